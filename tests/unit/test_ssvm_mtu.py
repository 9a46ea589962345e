"""SVM-SSVM-MTU: the words of an SSVM's boot line the suite keeps (parsers/boot_line.py), eth3's MTU,
the rule (rules/ssvm_mtu.py) on `secstorage.vm.mtu.size` and the policy's `ssvm.storage_mtu`, and
the lab's boot line and eth3 (lab/parts/ssvm_boot.py).

Input: a real SSVM boot line posted in apache/cloudstack issue 7185 and what the collector's command
printed of it (tests/data/recorded/SOURCES.md); /sys/class/net/lo/mtu of Debian 12.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from lab.parts.ssvm_boot import DEFAULT_VM_PASSWORD, boot_args, boot_line, ssvm_boot_parts, storage_nic_setup
from lab.records_xapi import xapi_pools
from lab.scenario import resolve_scenario
from lab.topology import build_topology
from stackaudit.collect.declared.storage_network import STORAGE_WORDS_COMMAND, StorageNetwork
from stackaudit.config.policy import SsvmPolicy, policy_from_data
from stackaudit.errors import ConfigError, NotCheckable, UnparsableOutput
from stackaudit.parsers.boot_line import (StorageBoot, boot_word_value, parse_interface_mtu,
                                          parse_storage_boot)
from stackaudit.parsers.traffic_labels import TrafficLabel
from stackaudit.parsers.xapi_records import XapiNetwork, XapiPIF, parse_xapi_records
from stackaudit.rules.ssvm_mtu import (effective_ssvm_mtu, host_bridge_findings, kvm_storage_bridge,
                                       ssvm_mtu_findings, wanted_path_mtu, xen_path_findings, xen_storage_label)
from tests.unit.hypothesis_budget import examples
from tests.unit.numbers_strategy import ascii_decimal, java_parse, number_texts

RECORDED = Path(__file__).resolve().parent.parent / "data" / "recorded"


def words_of(cmdline: str) -> str:
    """What the target-side filter prints, as a model: the line split on blanks, the words whose key
    (before the first `=`, or the whole word) is mtu or storageip, in order."""
    kept = [w for w in cmdline.split() if w.split("=")[0] in ("mtu", "storageip")]
    return "".join(f"{w}\n" for w in kept)


def test_the_recorded_boot_line_keeps_only_its_mtu_word():
    cmdline = (RECORDED / "outside-ssvm-cmdline-cloudstack-7185.txt").read_text()
    printed = (RECORDED / "ssvm-storage-words-cloudstack-7185.txt").read_text()
    assert printed == words_of(cmdline) == "mtu=1500\n"
    assert "keystore_password" in cmdline and "keystore_password" not in printed
    assert parse_storage_boot(printed) == StorageBoot(1500, "1500", None)
    assert not parse_storage_boot(printed).has_storage_network


def test_the_recorded_sysfs_mtu_reads():
    assert parse_interface_mtu((RECORDED / "sys-class-net-lo-mtu-debian12.txt").read_text(), "lo") == 65536


def test_the_command_reads_the_boot_line_into_the_shell_and_prints_two_keys_only():
    assert "/var/cache/cloud/cmdline" in STORAGE_WORDS_COMMAND and "set -f" in STORAGE_WORDS_COMMAND
    assert "mtu|mtu=*|storageip|storageip=*)" in STORAGE_WORDS_COMMAND
    assert "vmpassword" not in STORAGE_WORDS_COMMAND


@pytest.mark.parametrize("text, expected", [
    ("", StorageBoot(None, None, None)),
    ("mtu=9000\nstorageip=198.18.2.5\n", StorageBoot(9000, "9000", "198.18.2.5")),
    # a later word overrides an earlier one, as parse_cmd_line's loop assigns it again
    ("mtu=1500\nstorageip=10.0.0.1\nmtu=9000\n", StorageBoot(9000, "9000", "10.0.0.1")),
    # cut -d= -f2: the value ends at a second "="
    ("mtu=9000=x\n", StorageBoot(9000, "9000", None)),
    # an empty storageip= sets no storage network (setup_storage_network returns at once)
    ("storageip=\nmtu=1500\n", StorageBoot(1500, "1500", "")),
    # CloudStack appends nic.getIPv4Address(), which is "null" for a NIC without an address
    ("storageip=null\n", StorageBoot(None, None, "null")),
    ("mtu=-1\n", StorageBoot(-1, "-1", None)),
])
def test_storage_words(text, expected):
    assert parse_storage_boot(text) == expected


@pytest.mark.parametrize("text, message", [
    ("mtu\n", "/var/cache/cloud/cmdline mtu=: 'mtu' is not an int as Java writes one"),
    ("mtu=\n", "/var/cache/cloud/cmdline mtu=: '' is not an int as Java writes one"),
    ("mtu=+9000\n", "/var/cache/cloud/cmdline mtu=: '+9000' is not an int as Java writes one"),
    ("mtu=٩٠٠٠\n", "/var/cache/cloud/cmdline mtu=: '٩٠٠٠' is not an int as Java writes one"),
    ("mtu=2147483648\n", "/var/cache/cloud/cmdline mtu=: '2147483648' is not an int as Java writes one"),
    ("storageip=1.2.3.4\nvmpassword=hunter2\n",
     "/var/cache/cloud/cmdline line 2: not an mtu= or storageip= word (the collector prints no other word "
     "of the boot line)"),
])
def test_words_it_refuses_in_one_line(text, message):
    with pytest.raises(UnparsableOutput) as error:
        parse_storage_boot(text)
    assert str(error.value) == message


@pytest.mark.parametrize("text, expected", [("1500\n", 1500), ("9000", 9000), ("68\n", 68)])
def test_interface_mtu(text, expected):
    assert parse_interface_mtu(text) == expected


@pytest.mark.parametrize("text", ["", " 1500\n", "1500 \n", "-1\n", "١٥٠٠\n", "4294967296\n", "1500\n1500\n"])
def test_interface_mtu_refused(text):
    with pytest.raises(UnparsableOutput, match=r"^/sys/class/net/eth3/mtu: .* is not an MTU$"):
        parse_interface_mtu(text)


KEYS = st.sampled_from(["mtu", "storageip"])
VALUES = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\n\r\x0b\x0c\x1c\x1d\x1e\x85"
                                                                                 "\u2028\u2029 \t="), max_size=12)


@settings(max_examples=examples(200), deadline=None)
@given(words=st.lists(st.tuples(KEYS, st.one_of(VALUES, number_texts(blanks=False))), max_size=6))
def test_any_storage_words_read_as_the_last_of_each_key(words):
    text = "".join(f"{key}={value}\n" for key, value in words)
    last = dict(words)
    mtu_text = last.get("mtu")
    mtu = None if mtu_text is None else ascii_decimal(mtu_text, -2 ** 31, 2 ** 31 - 1, "-")
    if mtu_text is not None and mtu is None:
        with pytest.raises(UnparsableOutput):
            parse_storage_boot(text)
        return
    boot = parse_storage_boot(text)
    assert boot.storage_ip == last.get("storageip") and boot.mtu_text == mtu_text
    assert boot.mtu == mtu


@settings(max_examples=examples(200), deadline=None)
@given(key=st.text(st.characters(min_codepoint=33, max_codepoint=126, blacklist_characters="="), min_size=1),
       secret=st.text(st.characters(min_codepoint=48, max_codepoint=122), min_size=8))
def test_a_word_of_another_key_is_refused_without_quoting_it(key, secret):
    if key in ("mtu", "storageip"):
        return
    with pytest.raises(UnparsableOutput) as without_secret:
        parse_storage_boot(f"mtu=1500\n{key}=-\n")
    assume(secret not in str(without_secret.value))     # the message's own words ("storagei...") are no leak
    with pytest.raises(UnparsableOutput) as error:
        parse_storage_boot(f"mtu=1500\n{key}={secret}\n")
    assert secret not in str(error.value)


@settings(max_examples=examples(200), deadline=None)
@given(text=number_texts())
def test_the_setting_reads_as_numbersutil_parseint(text):
    expected = java_parse(text, 32)
    assert effective_ssvm_mtu(text)[0] == (1500 if expected is None else expected)


def test_boot_word_value_is_cut_s_first_and_second_fields():
    assert boot_word_value("a=b=c") == ("a", "b")
    assert boot_word_value("mtu") == ("mtu", "mtu")
    assert boot_word_value("=x") == ("", "x")


def network(storage_ip: str | None, boot_mtu: int | None, nic_mtu: int | None) -> StorageNetwork:
    return StorageNetwork(StorageBoot(boot_mtu, None if boot_mtu is None else str(boot_mtu), storage_ip), nic_mtu)


@pytest.mark.parametrize("net, setting, policy_mtu, expected", [
    # no storage network: nothing the setting applies to
    (network(None, 1500, None), "9000", 9000, []),
    (network("", 1500, None), "9000", 9000, []),
    # all agree
    (network("10.0.0.5", 9000, 9000), "9000", 9000, []),
    (network("10.0.0.5", 9000, 9000), "+9000", None, []),
    (network("10.0.0.5", 1500, 1500), None, None, []),
    (network("10.0.0.5", 1500, 1500), "jumbo", 1500, []),
    (network("10.0.0.5", 9000, 1500), "9000", None,
     ["eth3 has MTU 1500, not the mtu=9000 it booted with: something changed it after boot, or "
      "setup_storage_network did not apply it"]),
    (network("10.0.0.5", 1500, 1500), "1500", 9000,
     ["secstorage.vm.mtu.size 1500 is not the policy's ssvm.storage_mtu 9000: set it, restart the management "
      "servers and recreate the SSVM"]),
    (network("10.0.0.5", 1500, 1500), None, 9000,
     ["secstorage.vm.mtu.size (not listed: CloudStack uses 1500) is not the policy's ssvm.storage_mtu 9000: "
      "set it, restart the management servers and recreate the SSVM"]),
    (network("10.0.0.5", 9000, None), "9000", None,
     ["it booted with storageip=10.0.0.5 but has no eth3: its storage network was never set up "
      "(setup_storage_network needs storageip= and storagenetmask=), so storage traffic takes another NIC"]),
    (network("10.0.0.5", 1500, 1500), "9000", None,
     ["it booted with mtu=1500, but secstorage.vm.mtu.size 9000 now: a management server reads the setting "
      "when it starts and an SSVM gets it when it is created, so restart the management servers, then destroy "
      "the SSVM for CloudStack to create it again"]),
    (network("10.0.0.5", None, 1500), "9000", None,
     ["eth3 has MTU 1500 and its boot line has no mtu=, so nothing set it to secstorage.vm.mtu.size 9000"]),
    (network("10.0.0.5", None, 9000), "9000", 9000, []),
])
def test_rule(net, setting, policy_mtu, expected):
    assert ssvm_mtu_findings(net, setting, policy_mtu) == expected


def test_every_way_at_once_is_named_in_order():
    # Integer.parseInt reads Arabic-Indic digits: the setting is 1500 to CloudStack
    findings = ssvm_mtu_findings(network("10.0.0.5", 1500, 9000), "١٥٠٠", 9000)
    assert [f.split(":")[0] for f in findings] == [
        "secstorage.vm.mtu.size ١٥٠٠ is not the policy's ssvm.storage_mtu 9000",
        "eth3 has MTU 9000, not the mtu=1500 it booted with"]


def test_the_policy_mtu_defaults_to_unset_and_refuses_a_bad_value_in_one_line():
    assert policy_from_data({}, "p.yml").ssvm == SsvmPolicy()
    assert policy_from_data({"ssvm": {"storage_mtu": 9000}}, "p.yml").ssvm.storage_mtu == 9000
    for bad in (67, 65536, "jumbo"):
        with pytest.raises(ConfigError) as error:
            policy_from_data({"ssvm": {"storage_mtu": bad}}, "p.yml")
        assert "\n" not in str(error.value) and "ssvm.storage_mtu" in str(error.value)


def lab_ssvm(settings_: dict | None = None, **ssvm) -> tuple:
    raw = {"name": "t", "cloudstack_version": "4.19.1.0", "global_settings": settings_ or {},
           "zones": [{"name": "z1", "pods": [{"name": "p1", "clusters": [
               {"name": "c1", "hypervisor": "KVM", "hosts": [{"name": "kvm01"}]}]}],
               "system_vms": [{"name": "s-1-VM", "type": "secondarystoragevm", "host": "kvm01", **ssvm},
                              {"name": "v-2-VM", "type": "consoleproxy", "host": "kvm01"}]}]}
    topo = build_topology(resolve_scenario(raw, "t.yml"))
    return topo, topo.system_vms


def test_the_lab_writes_the_boot_line_as_cloudstack_does():
    topo, (ssvm, cpvm) = lab_ssvm({"secstorage.vm.mtu.size": "+9000"})
    words = boot_args(topo, ssvm)
    assert words["mtu"] == "9000" and words["vmpassword"] == DEFAULT_VM_PASSWORD and "storageip" not in words
    files, setup = ssvm_boot_parts(topo, ssvm)
    assert files == {"/var/cache/cloud/cmdline": boot_line(words)} and setup == []
    assert words_of(boot_line(words)) == "mtu=9000\n"
    assert ssvm_boot_parts(topo, cpvm) == ({}, [])


def test_the_lab_gives_eth3_where_the_boot_line_has_storageip():
    topo, (ssvm, _) = lab_ssvm(boot_args={"storageip": "198.18.2.5", "mtu": "9000", "vmpassword": None})
    words = boot_args(topo, ssvm)
    assert "vmpassword" not in words
    assert storage_nic_setup(words, None)[:2] == ["link add eth3 type veth peer name storage-peer",
                                                  "link set eth3 mtu 9000"]
    assert storage_nic_setup(words, 1500)[1] == "link set eth3 mtu 1500"
    assert storage_nic_setup(words, 0) == []
    assert storage_nic_setup({"mtu": "9000"}, None) == []


# --- the host side -----------------------------------------------------------------------------------

def label(kvm: str | None, network: str = "Physical Network 1") -> TrafficLabel:
    return TrafficLabel("Storage", network, kvm)


@pytest.mark.parametrize("labels, properties, expected", [
    ((label("cloudbr1"),), {"private.network.device": "cloudbr0"},
     ("cloudbr1", "the zone's Storage kvmnetworklabel (Physical Network 1)")),
    ((label(None),), {"private.network.device": " cloudbr0 "},
     ("cloudbr0", "agent.properties private.network.device (the zone's Storage traffic has no kvmnetworklabel)")),
    ((), {"private.network.device": "br-mgmt"},
     ("br-mgmt", "agent.properties private.network.device (the zone's Storage traffic has no kvmnetworklabel)")),
])
def test_the_storage_bridge_is_the_label_else_the_agent_s_private_bridge(labels, properties, expected):
    assert kvm_storage_bridge(labels, properties) == expected


@pytest.mark.parametrize("labels, properties, reason", [
    ((label(None),), {}, "the zone's Storage traffic has no kvmnetworklabel and the host's agent.properties no "
                         "private.network.device"),
    ((label(None),), None, "the zone's Storage traffic has no kvmnetworklabel"),
    ((label("a", "net1"), label("b", "net2")), {}, "2 physical networks of the zone carry Storage traffic "
                                                    "(net1, net2)"),
])
def test_a_storage_bridge_that_cannot_be_told_is_not_checkable(labels, properties, reason):
    with pytest.raises(NotCheckable, match=re.escape(reason)):
        kvm_storage_bridge(labels, properties)


def test_the_host_bridge_carries_the_frames_the_ssvm_sends():
    bridge = ("cloudbr1", "the zone's Storage kvmnetworklabel (pn1)")
    assert host_bridge_findings("kvm01", bridge, {"cloudbr1": 9000}, 9000) == []
    assert host_bridge_findings("kvm01", bridge, {"cloudbr1": 9216}, 9000) == []
    assert host_bridge_findings("kvm01", bridge, {"cloudbr1": 1500}, 9000) == [
        "its host kvm01's storage bridge cloudbr1 (named by the zone's Storage kvmnetworklabel (pn1)) has MTU 1500, "
        "below the 9000 the SSVM sends: larger frames are dropped on the way to secondary storage"]
    with pytest.raises(NotCheckable, match="host kvm01 has no device 'cloudbr1'"):
        host_bridge_findings("kvm01", bridge, {"cloudbr0": 9000}, 9000)


def test_the_path_carries_what_eth3_sends_else_what_it_booted_with_else_the_setting():
    assert wanted_path_mtu(network("10.0.0.5", 9000, 1500), "9000") == 1500
    assert wanted_path_mtu(network("10.0.0.5", 9000, None), "1500") == 9000
    assert wanted_path_mtu(network("10.0.0.5", None, None), "4500") == 4500


def test_the_host_side_is_judged_with_a_storage_network_only_and_is_broken_only_on_its_own():
    def unknown():
        raise NotCheckable("its host runs VMware")

    def called():
        raise AssertionError("the host side is not read without a storage network")

    assert ssvm_mtu_findings(network(None, 1500, None), "9000", None, called) == []
    assert ssvm_mtu_findings(network("10.0.0.5", 9000, 9000), "9000", None, lambda: ["host finding"]) == [
        "host finding"]
    with pytest.raises(NotCheckable, match="VMware"):
        ssvm_mtu_findings(network("10.0.0.5", 9000, 9000), "9000", None, unknown)
    findings = ssvm_mtu_findings(network("10.0.0.5", 9000, 1500), "9000", None, unknown)
    assert findings[-1] == "its host side was not judged: its host runs VMware" and len(findings) == 2


def xen_label(xen: str | None) -> TrafficLabel:
    return TrafficLabel("Storage", "pn1", None, xen)


def test_the_xenserver_storage_network_is_the_zone_s_xennetworklabel():
    assert xen_storage_label((xen_label("storage-net"),)) == "storage-net"
    for labels in ((xen_label(None),), ()):
        with pytest.raises(NotCheckable, match="the zone's Storage traffic has no xennetworklabel"):
            xen_storage_label(labels)


def xapi_network(label: str, mtu: str, pifs: tuple[str, ...]) -> XapiNetwork:
    return XapiNetwork(f"OpaqueRef:{label}", label, mtu, pifs)


PIFS = {"P1": XapiPIF("P1", "H1", "OpaqueRef:storage-net", "eth1", "9000"),
        "P2": XapiPIF("P2", "H2", "OpaqueRef:storage-net", "eth1", "1500")}


@pytest.mark.parametrize("host_ref, network_mtu, expected", [
    ("H1", "9000", []),
    ("H2", "9000", ["its host xs02's PIF eth1 of the storage network 'storage-net' has MTU 1500, below the 9000 the "
                    "SSVM sends: larger frames are dropped on the way to secondary storage"]),
    ("H1", "1500", ["its host xs02's storage network 'storage-net' (the zone's Storage xennetworklabel) has MTU 1500, "
                    "below the 9000 the SSVM sends"]),
    ("H3", "9000", ["the storage network 'storage-net' has no PIF on its host xs02: its traffic cannot leave the "
                    "host"]),
])
def test_xenserver_network_and_pif_mtus(host_ref, network_mtu, expected):
    networks = {"N": xapi_network("storage-net", network_mtu, ("P1", "P2"))}
    assert xen_path_findings("xs02", host_ref, "storage-net", networks, PIFS, 9000) == expected


def test_a_xenserver_network_that_cannot_be_told_is_not_checkable():
    with pytest.raises(NotCheckable, match="the pool has 0 networks named 'storage-net'"):
        xen_path_findings("xs01", "H1", "storage-net", {}, PIFS, 9000)
    two = {"A": xapi_network("storage-net", "9000", ("P1",)), "B": xapi_network("storage-net", "9000", ("P1",))}
    with pytest.raises(NotCheckable, match="2 networks named 'storage-net'.*2 of them with a PIF on host xs01"):
        xen_path_findings("xs01", "H1", "storage-net", two, PIFS, 9000)
    # two of that name, one of them on the host: that one
    one_here = {"A": xapi_network("storage-net", "9000", ("P1",)), "B": xapi_network("storage-net", "1500", ())}
    assert xen_path_findings("xs01", "H1", "storage-net", one_here, PIFS, 9000) == []
    with pytest.raises(UnparsableOutput, match="XAPI network 'storage-net' MTU: '9k' is not an MTU"):
        xen_path_findings("xs01", "H1", "storage-net", {"A": xapi_network("storage-net", "9k", ("P1",))}, PIFS, 9000)


def test_the_lab_s_xapi_networks_and_pifs_read_as_xapi_records():
    raw = {"name": "t", "cloudstack_version": "4.19.1.0", "zones": [{"name": "z1", "pods": [{"name": "p1", "clusters": [
        {"name": "pool1", "hypervisor": "XenServer", "hosts": [{"name": "xs01"}, {"name": "xs02"}],
         "pool": {"networks": {"storage-net": {"mtu": 9000, "pif_mtus": {"xs01": 1500}}}}}]}]}]}
    objects = xapi_pools(build_topology(resolve_scenario(raw, "t.yml")))["pool1"]["objects"]
    networks, pifs = parse_xapi_records("network", objects["network"]), parse_xapi_records("PIF", objects["PIF"])
    hosts = {h.name_label: h.ref for h in parse_xapi_records("host", objects["host"]).values()}
    assert xen_path_findings("xs02", hosts["xs02"], "storage-net", networks, pifs, 9000) == []
    assert xen_path_findings("xs01", hosts["xs01"], "storage-net", networks, pifs, 9000) == [
        "its host xs01's PIF eth1 of the storage network 'storage-net' has MTU 1500, below the 9000 the SSVM sends: "
        "larger frames are dropped on the way to secondary storage"]
