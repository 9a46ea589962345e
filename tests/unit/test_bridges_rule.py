"""KVM-BRIDGES' rule on recorded outputs (tests/data/recorded/SOURCES.md): which names are wanted, and
what the host must have for each: a Linux bridge or, under network.bridge.type=openvswitch, an Open
vSwitch bridge; a plain device only for guest and public traffic; administratively up."""
from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stackaudit.errors import UnparsableOutput
from stackaudit.parsers.bridges import parse_link_listing, parse_ovs_bridges
from stackaudit.parsers.traffic_labels import TrafficLabel
from stackaudit.rules.bridges import HostDevices, bridge_findings, bridge_type, wanted_bridges
from tests.unit.hypothesis_budget import examples

RECORDED = Path(__file__).resolve().parent.parent / "data" / "recorded"
BOND_LINKS = parse_link_listing((RECORDED / "ip-o-link-fusioninventory-640.txt").read_text())
UP = parse_link_listing((RECORDED / "ip-o-link-bridge-up-debian12.txt").read_text())
DOWN = parse_link_listing((RECORDED / "ip-o-link-bridge-down-debian12.txt").read_text())
OVS = parse_ovs_bridges((RECORDED / "ovs-vsctl-list-br-debian12.txt").read_text())


def labels(**by_type: str | None) -> dict[str, tuple[TrafficLabel, ...]]:
    return {kind: (TrafficLabel(kind, "physnet", label),) for kind, label in by_type.items()}


def test_the_recorded_list_br_gives_the_real_and_the_fake_vlan_bridges():
    assert OVS == {"br425", "cloudbr", "cloudbr0", "cloudbr1", "mgmt0"}
    with pytest.raises(UnparsableOutput, match="list-br line 2: 'br 0' is no bridge name"):
        parse_ovs_bridges("br425\nbr 0\n")


def test_a_name_from_agent_properties_and_a_label_is_checked_once_and_names_both():
    wanted = wanted_bridges({"private.network.device": "br529", "guest.network.device": " "},
                            labels(Management="br529", Storage=None, Guest="br425"))
    assert {name: [b.named_by for b in named] for name, named in wanted.items()} == {
        "br529": ["agent.properties private.network.device", "zone traffic label Management (physnet)"],
        "br425": ["zone traffic label Guest (physnet)"]}


def test_an_up_bridge_passes_and_a_down_one_fails_with_how_to_bring_it_up():
    wanted = wanted_bridges({"private.network.device": "br529"}, {})
    assert bridge_findings(wanted, HostDevices(UP, frozenset({"br529"}))) == []
    (finding,) = bridge_findings(wanted, HostDevices(DOWN, frozenset({"br529"})))
    assert finding == ("'br529' (agent.properties private.network.device) is down (flags <BROADCAST,MULTICAST> "
                       "without UP): `ip link set br529 up`")


def test_a_missing_management_bridge_fails_and_a_bond_is_no_bridge_for_management():
    wanted = wanted_bridges({"private.network.device": "br529", "public.network.device": "bond0"},
                            labels(Management="bond0"))
    findings = bridge_findings(wanted, HostDevices(BOND_LINKS, frozenset()))
    assert findings == [
        "'br529' (agent.properties private.network.device) does not exist on the host (no such device in "
        "`ip -o link show`)",
        "'bond0' (agent.properties public.network.device and zone traffic label Management (physnet)) is a device "
        "but no Linux bridge (no /sys/class/net/<name>/bridge)"]


def test_guest_and_public_traffic_on_a_vlan_capable_device_pass_as_the_agent_makes_bridges_on_it():
    wanted = wanted_bridges({"public.network.device": "bond0", "guest.network.device": "bond0.3000"},
                            labels(Guest="bond0", Public="bond0"))
    assert bridge_findings(wanted, HostDevices(BOND_LINKS, frozenset())) == []


def test_an_openvswitch_host_needs_ovs_bridges_even_where_a_linux_bridge_of_the_name_exists():
    properties = {"network.bridge.type": " OpenVSwitch", "private.network.device": "cloudbr0",
                  "guest.network.device": "br529"}
    assert bridge_type(properties) == "openvswitch" and bridge_type({}) == "native"
    links = {**parse_link_listing("7: cloudbr0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 state UNKNOWN"), **UP}
    findings = bridge_findings(wanted_bridges(properties, {}), HostDevices(links, frozenset({"br529"}), OVS))
    assert findings == ["'br529' (agent.properties guest.network.device) is no Open vSwitch bridge (`ovs-vsctl "
                        "list-br` does not list it) and agent.properties says network.bridge.type=openvswitch"]


def test_an_ovs_bridge_without_its_internal_device_cannot_be_up():
    (finding,) = bridge_findings(wanted_bridges({"private.network.device": "mgmt0"}, {}),
                                 HostDevices(UP, frozenset(), OVS))
    assert finding.endswith("has no device in `ip -o link show`, so it cannot be up")


def test_a_name_linux_refuses_fails_quoted_and_is_never_looked_up():
    hostile = "../../etc/passwd"
    (finding,) = bridge_findings(wanted_bridges({}, labels(Storage=hostile)), HostDevices(UP, frozenset({hostile})))
    assert finding.startswith("'../../etc/passwd' (zone traffic label Storage (physnet)) is no Linux interface name")


def test_a_name_with_shell_characters_linux_accepts_is_quoted_in_the_advice():
    name = "br$(id)"
    links = parse_link_listing(f"9: {name}: <BROADCAST,MULTICAST> mtu 1500 state DOWN")
    (finding,) = bridge_findings(wanted_bridges({"private.network.device": name}, {}),
                                 HostDevices(links, frozenset({name})))
    assert finding.endswith("`ip link set 'br$(id)' up`")


NAMES = st.sampled_from(["br529", "br425", "cloudbr0", "bond0", "eth0"])


@settings(max_examples=examples(200), deadline=None)
@given(st.dictionaries(NAMES, st.booleans()), st.sets(NAMES), NAMES, st.sampled_from(["Guest", "Storage"]))
def test_a_wanted_name_passes_only_as_an_up_bridge_or_an_up_device_where_devices_are_allowed(
        up_by_name, bridges, name, traffictype):
    links = {n: parse_link_listing(f"1: {n}: <{'UP' if up else 'BROADCAST'}> mtu 1500")[n] for n, up in up_by_name.items()}
    findings = bridge_findings(wanted_bridges({}, labels(**{traffictype: name})), HostDevices(links, frozenset(bridges)))
    exists = name in bridges or (traffictype == "Guest" and name in links)
    assert (findings == []) is (exists and up_by_name.get(name, False))
