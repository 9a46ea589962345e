"""The simulated API's guest networks, VPCs, routers and VMs (SVM-ROUTER-RUNNING's lab support): the
suite's own parsers read them and its rule judges them as the scenario says."""
from __future__ import annotations

import pytest

from lab.records_cloudstack import cloudstack_model
from lab.scenario import resolve_scenario
from lab.sim.cloudstack_api import Api
from lab.topology import build_topology
from stackaudit.config.schema import SchemaError
from stackaudit.parsers.router_rows import parse_networks, parse_routers, parse_vpcs
from stackaudit.rules.routers import router_findings, router_judged


def lab_lists(networks: list, vpcs: list, routers: list) -> dict:
    raw = {"name": "t", "cloudstack_version": "4.19.1.0", "zones": [{"name": "z1", "pods": [{"name": "p1", "clusters": [
        {"name": "c1", "hypervisor": "KVM", "hosts": [{"name": "kvm01"}]}]}],
        "networks": networks, "vpcs": vpcs,
        "system_vms": [{"type": "router", "host": "kvm01", **r} for r in routers]}]}
    return cloudstack_model(build_topology(resolve_scenario(raw, "t.yml")), [], [], "")["lists"]


def rows(lists: dict, command: str, **params) -> list[dict]:
    return Api.filter(command, lists[command]["rows"], params)


LISTS = lab_lists(
    networks=[{"name": "web", "redundant": True}, {"name": "tier1", "vpc": "shop", "provider": "VpcVirtualRouter"},
              {"name": "pub", "type": "Shared", "running_vms": 2}, {"name": "idle", "type": "Shared"}],
    vpcs=[{"name": "shop"}],
    routers=[{"name": "r-1-VM", "serves": {"network": "web"}, "redundant_state": "MASTER"},
             {"name": "r-2-VM", "serves": {"network": "web"}, "redundant_state": "BACKUP", "state": "Stopped"},
             {"name": "r-3-VM", "serves": {"vpc": "shop"}}])


def test_the_simulator_s_networks_are_judged_as_the_scenario_says():
    networks = {n.name: n for n in parse_networks(rows(LISTS, "listNetworks"))}
    running = {name: len(rows(LISTS, "listVirtualMachines", networkid=n.id, state="Running"))
               for name, n in networks.items()}
    assert running == {"web": 0, "tier1": 0, "pub": 2, "idle": 0}
    assert {name: router_judged(n, running[name]) for name, n in networks.items()} == {
        "web": True, "tier1": False, "pub": True, "idle": False}
    web = networks["web"]
    assert router_findings(web, parse_routers(rows(LISTS, "listRouters", networkid=web.id))) == [
        f"router r-2-VM of network web ({web.id}) is Stopped, not Running"]


def test_a_vpc_s_router_is_listed_by_vpcid_and_marked_redundant_only_when_the_vpc_is():
    [shop] = parse_vpcs(rows(LISTS, "listVPCs"))
    [r3] = parse_routers(rows(LISTS, "listRouters", vpcid=shop.id))
    assert (r3.name, r3.redundantstate, r3.isredundantrouter) == ("r-3-VM", "UNKNOWN", False)
    assert router_judged(shop) and router_findings(shop, [r3]) == []
    assert [r["name"] for r in rows(LISTS, "listRouters", networkid=parse_networks(rows(LISTS, "listNetworks"))[0].id)
            ] == ["r-1-VM", "r-2-VM"]


@pytest.mark.parametrize("networks, routers, message", [
    ([{"name": "a"}, {"name": "a"}], [], "networks: a name is used twice"),
    ([{"name": "a", "vpc": "nowhere"}], [], "vpc: 'nowhere' is not a VPC of this zone"),
    ([], [{"name": "r-1-VM", "serves": {"network": "web"}}], "serves.network: 'web' is not one of"),
])
def test_a_scenario_naming_what_its_zone_lacks_is_refused_in_one_line(networks, routers, message):
    with pytest.raises(SchemaError, match=message):
        lab_lists(networks, [], routers)
