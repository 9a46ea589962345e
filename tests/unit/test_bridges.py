"""KVM-BRIDGES parsers: `ip -o link show dev NAME` flags, listTrafficTypes rows and the bridge names
agent.properties gives, on recorded outputs (tests/data/recorded/SOURCES.md), interface names from a
host treated as hostile input, and the lab's side: the simulator's answers and the host's bridges."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lab.parts.kvm_host import OVS_VSCTL, bridge_setup, ovs_vsctl_standin
from lab.records_cloudstack import cloudstack_model
from lab.scenario import resolve_scenario
from lab.sim.cloudstack_api import Api, ApiError
from lab.topology import build_topology, stable_id
from stackaudit.errors import UnparsableOutput
from stackaudit.parsers.bridges import (IFNAMSIZ, NamedBridge, agent_bridges, label_bridges, parse_link_flags,
                                        parse_link_listing, parse_ovs_bridges, parse_sys_bridges, valid_interface_name)
from stackaudit.parsers.properties import parse_java_properties_file
from stackaudit.parsers.traffic_labels import parse_traffic_labels
from tests.unit.hypothesis_budget import examples

RECORDED = Path(__file__).resolve().parent.parent / "data" / "recorded"


def recorded(name: str) -> str:
    return (RECORDED / name).read_text()


def test_a_new_bridge_is_down_and_after_link_set_up_it_is_up_though_its_state_says_unknown():
    down = parse_link_flags(recorded("ip-o-link-bridge-down-debian12.txt"), "br529")
    up = parse_link_flags(recorded("ip-o-link-bridge-up-debian12.txt"), "br529")
    assert down.flags == {"BROADCAST", "MULTICAST"} and not down.administratively_up
    assert up.flags == {"BROADCAST", "MULTICAST", "UP", "LOWER_UP"} and up.administratively_up
    assert "state UNKNOWN" in recorded("ip-o-link-bridge-up-debian12.txt")


@pytest.mark.parametrize("number, name, up", [(1, "lo", True), (4, "bond0", True), (5, "bond0.3000", True)])
def test_each_line_of_an_older_iproute2_reads_by_its_name_and_a_vlan_device_without_its_parent(number, name, up):
    line = recorded("ip-o-link-fusioninventory-640.txt").splitlines()[number - 1]
    assert parse_link_flags(line, name).administratively_up is up


def test_the_whole_recorded_listing_reads_every_device_by_name():
    links = parse_link_listing(recorded("ip-o-link-fusioninventory-640.txt"))
    assert list(links) == ["lo", "eth0", "eth1", "bond0", "bond0.3000"]
    assert links["bond0"].flags == {"BROADCAST", "MULTICAST", "MASTER", "UP", "LOWER_UP"}
    with pytest.raises(UnparsableOutput, match="ip -o link show line 2"):
        parse_link_listing("1: lo: <UP> mtu 1\nDevice \"br0\" does not exist.\n")


def test_a_whole_listing_a_line_about_another_device_or_no_line_at_all_is_unparsable():
    with pytest.raises(UnparsableOutput, match="expected one line, got 5"):
        parse_link_flags(recorded("ip-o-link-fusioninventory-640.txt"), "bond0")
    with pytest.raises(UnparsableOutput, match="about 'br529'"):
        parse_link_flags(recorded("ip-o-link-bridge-up-debian12.txt"), "br425")
    # `ip` prints nothing on standard output for a missing device (its complaint goes to stderr)
    with pytest.raises(UnparsableOutput, match="got 0"):
        parse_link_flags("", "br425")
    with pytest.raises(UnparsableOutput, match="expected '<index>: <name>: <FLAGS> mtu <MTU> ...'"):
        parse_link_flags(recorded("ip-o-link-no-device-debian12.stderr"), "br425")


def test_the_bridge_directories_name_the_bridges_and_anything_else_is_unparsable():
    assert parse_sys_bridges("/sys/class/net/cloudbr0/bridge\n/sys/class/net/br529/bridge\n\n") == {"cloudbr0", "br529"}
    assert parse_sys_bridges("") == frozenset()
    for line in ("/sys/class/net/br 0/bridge", "/sys/class/net/../bridge", "cloudbr0"):
        with pytest.raises(UnparsableOutput, match="bridge directories line 1"):
            parse_sys_bridges(line)


def zone_labels(network_id: str, traffic_rows: list[dict]) -> dict:
    """One zone's traffic labels (fact traffic_labels) of one physical network's listTrafficTypes rows."""
    answer = {"listPhysicalNetworks": [{"id": network_id, "zoneid": "z", "name": "physnet"}],
              "listTrafficTypes": {network_id: traffic_rows}}
    return parse_traffic_labels(answer)["z"]


def test_the_recorded_traffic_types_give_cloudbr0_three_times_and_the_unlabelled_guest_row_nothing():
    labels = zone_labels("n", json.loads(recorded("listtraffictypes-cloudstack-go-126.json"))["traffictype"])
    assert label_bridges(labels) == [NamedBridge("cloudbr0", f"zone traffic label {kind} (physnet)", kind == "Public")
                                     for kind in ("Management", "Public", "Storage")]
    assert label_bridges(zone_labels("n", [{"traffictype": "Guest", "kvmnetworklabel": "  "}])) == []


def test_agent_properties_name_the_three_bridges_and_an_absent_or_empty_key_is_not_checked():
    properties = parse_java_properties_file(
        "private.network.device=br529\npublic.network.device=br425\nguest.network.device=\n", "agent.properties")
    assert agent_bridges(properties) == [NamedBridge("br529", "agent.properties private.network.device"),
                                         NamedBridge("br425", "agent.properties public.network.device", True)]
    assert agent_bridges({}) == []


@pytest.mark.parametrize("name", ["", ".", "..", "a" * IFNAMSIZ, "../../etc", "br0/bridge", "br 0", "br0\n",
                                  "br0:1", "$(reboot)x", "é" * 8, "br\ud800"])
def test_names_linux_refuses_are_refused(name):
    # "$(reboot)x" is 10 characters Linux would accept; it is quoted (shlex), never refused, in commands
    assert valid_interface_name(name) is (name == "$(reboot)x")


@pytest.mark.parametrize("name", ["cloudbr0", "br529", "a" * (IFNAMSIZ - 1), "bond0.3000", "vlan-100_x"])
def test_ordinary_names_are_accepted(name):
    assert valid_interface_name(name)


FLAG = st.sampled_from(["BROADCAST", "MULTICAST", "UP", "LOWER_UP", "NO-CARRIER", "SLAVE", "MASTER", "M-DOWN"])
NAME = st.text(st.characters(codec="ascii", exclude_characters="/:@\0"), min_size=1, max_size=15).filter(
    valid_interface_name)


@settings(max_examples=examples(200), deadline=None)
@given(NAME, st.lists(FLAG, unique=True), st.integers(1, 10**6), st.sampled_from(["UP", "DOWN", "UNKNOWN"]))
def test_any_line_ip_prints_for_a_valid_name_reads_back_its_flags_whatever_its_state_word(name, flags, index, state):
    line = (f"{index}: {name}: <{','.join(flags)}> mtu 1500 qdisc noqueue state {state} mode DEFAULT group "
            "default qlen 1000\\    link/ether 02:e6:ae:ed:23:a3 brd ff:ff:ff:ff:ff:ff")
    parsed = parse_link_flags(line, name)
    assert parsed.flags == set(flags) and parsed.administratively_up is ("UP" in flags)


@settings(max_examples=examples(200), deadline=None)
@given(st.text(max_size=40))
def test_a_name_accepted_fits_a_sys_class_net_path_component(name):
    if valid_interface_name(name):
        assert "/" not in name and name not in (".", "..") and len(name.encode()) < IFNAMSIZ
        assert not any(character.isspace() for character in name)


# --- the lab: the API simulator's physical networks and traffic types, the KVM host's bridges ------
def lab_topology(zone: dict | None = None, host: dict | None = None):
    raw = {"name": "t", "zones": [{"name": "z1", "pods": [{"name": "p1", "clusters": [
        {"name": "c1", "hypervisor": "KVM", "hosts": [{"name": "kvm01", **(host or {})}]}]}], **(zone or {})}]}
    return build_topology(resolve_scenario(raw, "t.yml"))


def test_the_simulator_answers_the_zone_s_physical_network_and_its_labelled_traffic_types_as_cloudstack_does():
    api = Api(cloudstack_model(lab_topology({"traffic_labels": {"Management": "br529", "Guest": None}}), [], [], ""))
    (network,) = api.execute("listPhysicalNetworks", {"zoneid": stable_id("zone", "z1")})["physicalnetwork"]
    answer = api.execute("listTrafficTypes", {"physicalnetworkid": network["id"]})
    assert answer["count"] == 2 and "kvmnetworklabel" not in answer["traffictype"][1]
    assert label_bridges(zone_labels(network["id"], answer["traffictype"])) == [
        NamedBridge("br529", "zone traffic label Management (physnet)")]
    with pytest.raises(ApiError, match="listtraffictypes due to missing parameter physicalnetworkid"):
        api.execute("listTrafficTypes", {})


def test_the_default_zone_labels_cloudbr0_which_each_kvm_host_has_up():
    topology = lab_topology()
    api = Api(cloudstack_model(topology, [], [], ""))
    answer = api.execute("listTrafficTypes", {"physicalnetworkid": stable_id("physicalnetwork", "z1")})
    labels = zone_labels("n", answer["traffictype"])
    assert [kind for kind, (label,) in labels.items() if label.kvm is None] == ["Storage"]
    assert {bridge.name for bridge in label_bridges(labels)} == {"cloudbr0"}
    assert bridge_setup(topology.hosts[0]) == ["link add cloudbr0 type bridge", "link set cloudbr0 up"]


def test_a_lab_bridge_set_down_is_created_down_and_a_name_linux_refuses_stops_the_lab():
    assert bridge_setup(lab_topology(host={"bridges": {"br425": "up", "br529": "down"}}).hosts[0]) == [
        "link add br425 type bridge", "link set br425 up", "link add br529 type bridge", "link set br529 down"]
    with pytest.raises(ValueError, match="device name 'br 0' is not a Linux interface name"):
        bridge_setup(lab_topology(host={"bridges": {"br 0": "up"}}).hosts[0])


def test_plain_devices_and_ovs_bridges_are_veths_and_only_an_ovs_host_gets_an_ovs_vsctl_that_lists_them():
    host = lab_topology(host={"bridges": {}, "devices": {"bond0": "up"},
                              "ovs_bridges": {"br529": "up", "br$(x)": "down"}}).hosts[0]
    assert bridge_setup(host) == [
        "link add bond0 type veth peer name lab-peer0", "link set bond0 up",
        "link add br529 type veth peer name lab-peer1", "link set br529 up",
        "link add 'br$(x)' type veth peer name lab-peer2", "link set 'br$(x)' down"]
    script = ovs_vsctl_standin(host)[OVS_VSCTL]
    assert "list-br) printf '%s\\n' 'br$(x)' br529; exit 0" in script
    assert parse_ovs_bridges("br$(x)\nbr529\n") == {"br$(x)", "br529"}
    assert ovs_vsctl_standin(lab_topology().hosts[0]) == {}


def test_each_listed_link_has_its_mtu():
    """SVM-SSVM-MTU reads the storage bridge's MTU from the same listing KVM-BRIDGES reads."""
    links = parse_link_listing(recorded("ip-o-link-fusioninventory-640.txt"))
    assert links["lo"].mtu == 65536 and links["eth0"].mtu == 1500
    with pytest.raises(UnparsableOutput):
        parse_link_listing("3: cloudbr0: <BROADCAST,UP> qdisc noqueue state UP\n")
