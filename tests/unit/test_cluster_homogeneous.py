"""CLUSTER-HOMOGENEOUS's pieces built so far: the /proc/cpuinfo parser (recorded outputs) and the
rule (stackaudit/rules/cluster_homogeneous.py)."""
from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import json

from stackaudit.errors import UnparsableOutput
from stackaudit.parsers.api_rows import HostRow, parse_api_rows
from stackaudit.parsers.cpuinfo import CpuIdentity, parse_cpuinfo
from stackaudit.rules.cluster_homogeneous import HostProfile, homogeneity_findings, kvm_os
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
