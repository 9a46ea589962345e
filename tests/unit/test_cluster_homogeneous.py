"""CLUSTER-HOMOGENEOUS: the /proc/cpuinfo and XAPI cpu_info parsers (recorded outputs), the rule
(stackaudit/rules/cluster_homogeneous.py), its scope and how a cluster's hosts are gathered (groups.py)."""
from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import json

from stackaudit import groups
from stackaudit.errors import NotCheckable, UnparsableOutput, Unreachable
from stackaudit.parsers.api_rows import HostRow, parse_api_rows
from stackaudit.parsers.cpuinfo import CpuIdentity, XapiHostCpu, parse_cpuinfo, parse_host_cpus
from stackaudit.rules.cluster_homogeneous import HostProfile, homogeneity_findings, kvm_os
from stackaudit.rules.scope import CONDITIONS, Undecided
from stackaudit.targets import Snapshot, Target
from tests.unit.hypothesis_budget import examples

RECORDED = Path(__file__).resolve().parent.parent / "data" / "recorded"


@pytest.mark.parametrize("name, vendor, model", [
    ("cpuinfo-debian12-amd-epyc.txt", "AuthenticAMD", "AMD EPYC"),
    ("cpuinfo-insights-core-i7-4800mq.txt", "GenuineIntel", "Intel(R) Core(TM) i7-4800MQ CPU @ 2.70GHz"),
    ("cpuinfo-insights-core-armv7.txt", "implementer 0x41", "ARMv7 Processor rev 5 (v7l)"),
])
def test_recorded_cpuinfo_gives_the_first_cpus_vendor_and_model(name, vendor, model):
    cpu = parse_cpuinfo((RECORDED / name).read_text())
    assert (cpu.vendor_name, cpu.model_name) == (vendor, model)


def test_the_first_block_wins_and_spacing_inside_a_model_name_is_kept():
    text = ("processor\t: 0\nvendor_id\t: GenuineIntel\nmodel name\t: Intel(R) Core(TM)2 Duo CPU     P8700  @ 2.53GHz\n\n"
            "processor\t: 1\nvendor_id\t: AuthenticAMD\nmodel name\t: AMD EPYC\n")
    assert parse_cpuinfo(text) == CpuIdentity("GenuineIntel", "Intel(R) Core(TM)2 Duo CPU     P8700  @ 2.53GHz")


@pytest.mark.parametrize("text, message", [
    ("", "no `processor` line"),
    ("cat: /proc/cpuinfo: No such file or directory\n", "no `processor` line"),
    ("processor\t: 0\nflags\t\t: fpu\n", "names no CPU vendor"),
    ("processor\t: 0\nvendor_id\t: GenuineIntel\n", "or no model"),
])
def test_text_that_is_not_a_cpuinfo_listing_is_unparsable(text, message):
    with pytest.raises(UnparsableOutput, match=message):
        parse_cpuinfo(text)


@settings(max_examples=examples(200), deadline=None)
@given(st.text(alphabet=st.characters(blacklist_characters="\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"), max_size=40)
       .map(str.strip).filter(bool))
def test_any_model_name_is_read_back_whole(model):
    cpu = parse_cpuinfo(f"processor\t: 0\nvendor_id\t: GenuineIntel\nmodel name\t: {model}\n")
    assert cpu.model == model


def kvm(name, version="Debian GNU/Linux 12", os="Debian", os_version="12", vendor="GenuineIntel",
        model="Intel(R) Xeon(R) Gold 6338"):
    return HostProfile(name, version, os, os_version, CpuIdentity(vendor, model))


def test_equal_hosts_pass_and_an_os_name_differing_only_in_case_is_the_same_as_cloudstack_compares_it():
    assert homogeneity_findings([kvm("hv1"), kvm("hv2", os="DEBIAN")]) == []


def test_each_differing_property_is_one_finding_naming_the_values_and_hosts():
    hosts = [kvm("hv1"), kvm("hv2"), kvm("hv3", version="Debian GNU/Linux 11", os_version="11",
                                         vendor="AuthenticAMD", model="AMD EPYC 7543")]
    assert homogeneity_findings(hosts) == [
        "hypervisorversion differs: 'Debian GNU/Linux 12' on 'hv1', 'hv2'; 'Debian GNU/Linux 11' on 'hv3'",
        "OS version differs: '12' on 'hv1', 'hv2'; '11' on 'hv3'",
        "CPU vendor differs: 'GenuineIntel' on 'hv1', 'hv2'; 'AuthenticAMD' on 'hv3'",
        "CPU model differs: 'Intel(R) Xeon(R) Gold 6338' on 'hv1', 'hv2'; 'AMD EPYC 7543' on 'hv3'"]


def test_policy_vendor_ignores_the_model_and_off_ignores_the_cpu():
    hosts = [kvm("hv1"), kvm("hv2", model="Intel(R) Xeon(R) Gold 6438")]
    assert homogeneity_findings(hosts, "vendor") == []
    assert homogeneity_findings([kvm("hv1"), kvm("hv2", vendor="AuthenticAMD")], "off") == []
    assert len(homogeneity_findings(hosts, "model")) == 1
    with pytest.raises(ValueError, match="cluster.cpu_match 'exact'"):
        homogeneity_findings(hosts, "exact")


def test_a_host_whose_values_are_unknown_is_left_out_and_the_others_still_compared():
    hosts = [kvm("hv1"), HostProfile("hv2", "Debian GNU/Linux 12"), kvm("hv3", model="other")]
    assert homogeneity_findings(hosts) == ["CPU model differs: 'Intel(R) Xeon(R) Gold 6338' on 'hv1'; 'other' on 'hv3'"]


@settings(max_examples=examples(200), deadline=None)
@given(st.lists(st.sampled_from(["8.2.1", "8.2.0", "7.1.2", None]), min_size=1, max_size=6))
def test_a_version_finding_exactly_when_two_known_versions_differ(versions):
    hosts = [HostProfile(f"h{i}", v) for i, v in enumerate(versions)]
    findings = homogeneity_findings(hosts, "off")
    assert bool(findings) == (len({v for v in versions if v is not None}) > 1)


def test_recorded_host_row_gives_its_hypervisor_version_and_no_os_details():
    rows = json.loads((RECORDED / "cloudstack-go-listhosts.json").read_text())["listhostsresponse"]["host"]
    [host] = parse_api_rows("listHosts", rows)
    assert host.hypervisorversion == "4.16.0.0-SNAPSHOT"
    assert kvm_os(host) == (None, None)      # a Simulator host: details are given for KVM only


def test_kvm_details_give_the_os_and_a_details_value_of_another_shape_is_unparsable():
    row = HostRow("hv1", details={"Host.OS": "Ubuntu", "Host.OS.Version": "22.04", "Host.OS.Kernel.Version": "5.15"})
    assert kvm_os(row) == ("Ubuntu", "22.04")
    with pytest.raises(UnparsableOutput, match="host 'hv1': details is not an object of texts"):
        kvm_os(HostRow("hv1", details={"Host.OS": ["Ubuntu"]}))


# --- XenServer: host.cpu_info --------------------------------------------------------------------
def xapi_host(label, address, **fields):
    return {"uuid": f"uuid-{label}", "name_label": label, "hostname": label, "address": address, **fields}


def test_recorded_xapi_cpu_info_without_a_model_name_leaves_the_cpu_unknown():
    # xapi's own test host (ocaml/tests/common/test_common.ml default_cpu_info): vendor "Abacus", no model name
    cpu_info = json.loads((RECORDED / "xapi-test-common-default-cpu-info.json").read_text())
    [host] = parse_host_cpus({"OpaqueRef:h1": xapi_host("h1", "198.18.1.1", cpu_info=cpu_info)})
    assert (host.cpu, host.unknown) == (None, "its XAPI cpu_info gives no modelname (xapi could not read the CPU)")


def test_recorded_xapi_host_with_an_empty_cpu_info_has_no_vendor_or_model():
    # the Ansible xenserver modules' fake host record: cpu_info {} as a new host has it
    text = (RECORDED / "outside-xapi-host-ansible-fake-xenapi.py.txt").read_text()
    assert '"cpu_info": {},' in text
    [host] = parse_host_cpus({"OpaqueRef:h1": xapi_host("h1", "198.18.1.1", cpu_info={})})
    assert host.unknown == "its XAPI cpu_info gives no vendor or modelname (xapi could not read the CPU)"


def test_xapi_cpu_info_gives_vendor_and_modelname_and_a_record_of_another_shape_is_unparsable():
    records = {"OpaqueRef:b": xapi_host("xs02", "198.18.1.2", cpu_info={"vendor": "GenuineIntel",
                                                                        "modelname": " Intel(R) Xeon(R) Gold 6338 ",
                                                                        "cpu_count": "64"}),
               "OpaqueRef:a": xapi_host("xs01", "198.18.1.1")}
    first, second = parse_host_cpus(records)
    assert (first.name_label, first.cpu, first.unknown) == (
        "xs01", None, "its XAPI host record has no cpu_info (XenServer before 5.6)")
    assert (second.address, second.cpu) == ("198.18.1.2", CpuIdentity("GenuineIntel", "Intel(R) Xeon(R) Gold 6338"))
    with pytest.raises(UnparsableOutput, match="XAPI host xs01: cpu_info is not a map of strings"):
        parse_host_cpus({"OpaqueRef:a": xapi_host("xs01", "198.18.1.1", cpu_info={"cpu_count": 64})})
    with pytest.raises(UnparsableOutput, match="record OpaqueRef:a: no name_label or address"):
        parse_host_cpus({"OpaqueRef:a": {"cpu_info": {}}})
    with pytest.raises(UnparsableOutput, match="expected a map of records, got list"):
        parse_host_cpus([])


@settings(max_examples=examples(200), deadline=None)
@given(st.text(max_size=30), st.text(max_size=30))
def test_any_xapi_vendor_and_model_are_known_exactly_when_both_have_text(vendor, model):
    [host] = parse_host_cpus({"r": xapi_host("h", "a", cpu_info={"vendor": vendor, "modelname": model})})
    assert (host.cpu is None) == (not vendor.strip() or not model.strip())
    assert host.cpu is None or (host.cpu.vendor, host.cpu.model) == (vendor.strip(), model.strip())


# --- scope: enabled clusters with at least two hosts -----------------------------------------------
@pytest.mark.parametrize("state, hosts, reason", [
    ("Enabled", 2, None),
    ("Enabled", 1, "cluster c1 has 1 host(s): none to compare"),
    ("Disabled", 3, "cluster c1 is Disabled"),
])
def test_scope_is_enabled_clusters_with_two_hosts_or_more(state, hosts, reason):
    target = Target("cluster", "c1", "zone1", attrs={"id": "c-1", "allocationstate": state, "hosts": hosts})
    assert CONDITIONS["cluster-compared"].out_of_scope(target, None, None, None) == reason


def test_a_cluster_listed_without_allocation_state_is_collected_and_broken():
    target = Target("cluster", "c1", "zone1", attrs={"id": "c-1", "hosts": 2})
    with pytest.raises(Undecided, match="listClusters gives cluster c1 no allocationstate"):
        CONDITIONS["cluster-compared"].out_of_scope(target, None, None, None)


# --- gathering a cluster's hosts (groups.cluster_hosts) --------------------------------------------
class MemberFacts:
    def __init__(self, **values):
        self.values = values

    def __getattr__(self, name):
        value = self.values[name]
        if isinstance(value, Exception):
            raise value
        return value


class ClusterFacts:
    """The cluster's facts as a check sees them: its target, the snapshot, each member's facts."""
    def __init__(self, cluster: Target, others: list[Target], members: dict):
        self.target, self.snapshot, self.members = cluster, Snapshot("lab", [cluster, *others]), members

    def of(self, member):
        return self.members[member.id]


INTEL, AMD = CpuIdentity("GenuineIntel", "Xeon"), CpuIdentity("AuthenticAMD", "EPYC")


def test_kvm_hosts_give_their_os_from_the_row_and_their_cpu_from_their_own_facts():
    cluster = Target("cluster", "kc", "z1", attrs={"id": "c-1", "hypervisor": "KVM", "allocationstate": "Enabled"})
    hosts = [Target("kvm-host", n, "z1", attrs={"clusterid": "c-1"}) for n in ("hv1", "hv2", "hv3")]
    facts = ClusterFacts(cluster, hosts, {"kvm-host://z1/hv1": MemberFacts(cpuinfo=INTEL),
                                          "kvm-host://z1/hv2": MemberFacts(cpuinfo=AMD),
                                          "kvm-host://z1/hv3": MemberFacts(cpuinfo=UnparsableOutput("no model"))})
    rows = [HostRow(n, hypervisorversion="9", details={"Host.OS": "Debian", "Host.OS.Version": "12"})
            for n in ("hv3", "hv2", "hv1", "hv4")]
    profiles, gathered = groups.cluster_hosts(facts, rows, "model")
    assert [(p.name, p.os, p.cpu) for p in profiles] == [("hv1", "Debian", INTEL), ("hv2", "Debian", AMD),
                                                         ("hv3", "Debian", None), ("hv4", "Debian", None)]
    assert gathered.unreadable == ["kvm-host://z1/hv3: no model",
                                   "kvm-host://z1/hv4: not among the KVM hosts discovery found"]
    off, nothing = groups.cluster_hosts(facts, rows, "off")
    assert [p.cpu for p in off] == [None] * 4 and nothing.unreadable == []


def test_xenserver_members_are_found_in_their_pool_by_the_address_cloudstack_lists():
    cluster = Target("cluster", "xp", "z1", attrs={"id": "c-2", "hypervisor": "XenServer", "allocationstate": "Enabled"})
    pool = Target("xs-pool", "xp", "z1", "198.18.1.1", attrs={"id": "c-2"})
    cpus = [XapiHostCpu("xs01", "198.18.1.1", INTEL), XapiHostCpu("xs02", "198.18.1.2", None, "no modelname")]
    facts = ClusterFacts(cluster, [pool], {pool.id: MemberFacts(pool_cpus=cpus)})
    rows = [HostRow("xs01", ipaddress="198.18.1.1"), HostRow("xs02", ipaddress="198.18.1.2"),
            HostRow("xs03", ipaddress="198.18.1.3")]
    profiles, gathered = groups.cluster_hosts(facts, rows, "model")
    assert [p.cpu for p in profiles] == [INTEL, None, None]
    assert gathered.unreadable == ["xs-host://z1/xs02: no modelname",
                                   "xs-host://z1/xs03: the XAPI of pool xp lists no host at 198.18.1.3"]
    unreachable = ClusterFacts(cluster, [pool], {pool.id: MemberFacts(pool_cpus=Unreachable("cannot connect"))})
    profiles, gathered = groups.cluster_hosts(unreachable, rows, "vendor")
    assert [p.cpu for p in profiles] == [None] * 3
    assert gathered.unreadable == ["xs-pool://z1/xp: cannot connect"]      # the pool named once, not per host
    with pytest.raises(NotCheckable, match="^could not read xs-pool://z1/xp: cannot connect$"):
        groups.findings_or_not_checked(homogeneity_findings(profiles, "vendor"), gathered)


def test_proc_cpuinfo_is_asked_only_when_the_policy_compares_cpus():
    from dataclasses import replace
    from stackaudit.collect.declared.cpu import CPUINFO_COMMAND, cpuinfo_line
    from stackaudit.config.policy import load_policy
    from stackaudit.config.policy_sections import ClusterPolicy
    policy = load_policy(None)      # the built-in defaults: cpu_match model
    assert cpuinfo_line(policy, "kvm-host") == CPUINFO_COMMAND == "cat /proc/cpuinfo"
    assert cpuinfo_line(replace(policy, cluster=ClusterPolicy(cpu_match="vendor")), "kvm-host") == CPUINFO_COMMAND
    assert cpuinfo_line(replace(policy, cluster=ClusterPolicy(cpu_match="off")), "kvm-host") is None
