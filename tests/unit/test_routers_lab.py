"""The simulated API's guest networks, VPCs, routers and VMs (SVM-ROUTER-RUNNING's lab support): the
suite's own parsers read them and its rule judges them as the scenario says."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from lab.records_cloudstack import cloudstack_model
from lab.records_networks import network_id, vpc_id
from lab.scenario import resolve_scenario
from lab.sim.cloudstack_api import Api
from lab.topology import build_topology
from stackaudit.config.schema import SchemaError
from stackaudit.discovery.networks import network_targets, running_vm_count
from stackaudit.errors import ApiError, NotCheckable, UnparsableOutput
from stackaudit.parsers.router_rows import parse_networks, parse_routers, parse_vpcs
from stackaudit.rules.routers import network_of, not_judged_reason, router_findings, router_judged
from stackaudit.rules.scope import CONDITIONS
from stackaudit.targets import Target

RECORDED = Path(__file__).resolve().parent.parent / "data" / "recorded"


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


# --- discovery's targets and the scope decided at collection -----------------------------------------
class SimulatedApi:
    """The simulated API's request logic behind the client's attribute calls (cloudstack.call)."""

    def __init__(self, lists: dict, refuse: str | None = None):
        self.api, self.refuse = Api({"lists": lists}), refuse

    def __getattr__(self, command: str):
        def answer(**params):
            if command == self.refuse:
                raise ApiError(f"CloudStack API: {command}: error 530: refused")
            return self.api.execute(command, {k: str(v) for k, v in params.items()})
        return answer


def discovered(refuse: str | None = None) -> dict[str, Target]:
    notes: list[str] = []
    targets = network_targets(SimulatedApi(LISTS, refuse), rows(LISTS, "listNetworks"), rows(LISTS, "listVPCs"), notes)
    assert notes == []
    return {t.attrs.name: t for t in targets}


def test_discovery_names_each_network_and_vpc_by_its_uuid_and_counts_a_shared_network_s_running_vms():
    targets = discovered()
    assert targets["web"].id == f"network://z1/{network_id('z1', 'web')}"
    assert targets["shop"].id == f"vpc://z1/{vpc_id('z1', 'shop')}"
    assert {name: t.attrs.running_vms for name, t in targets.items()} == {
        "web": None, "tier1": None, "pub": 2, "idle": 0, "shop": None}
    assert targets["web"].attrs.redundant and targets["web"].attrs.providers == ("VirtualRouter",)


def test_scope_keeps_networks_a_router_serves_and_says_why_not_the_others():
    out_of_scope = {name: CONDITIONS["router-serves"].out_of_scope(t, None, None, None)
                    for name, t in discovered().items()}
    assert {name: reason is None for name, reason in out_of_scope.items()} == {
        "web": True, "tier1": False, "pub": True, "idle": False, "shop": True}
    assert "tier of VPC" in out_of_scope["tier1"] and "has no Running VM" in out_of_scope["idle"]


def test_a_shared_network_whose_vms_cannot_be_listed_is_collected_and_not_checkable():
    pub = discovered(refuse="listVirtualMachines")["pub"]
    assert pub.attrs.running_vms is None and "error 530: refused" in pub.attrs.running_vms_error
    assert CONDITIONS["router-serves"].out_of_scope(pub, None, None, None) is None
    with pytest.raises(NotCheckable, match="its running VMs were not listed: CloudStack API: listVirtualMachines"):
        not_judged_reason(network_of(pub), pub.attrs.running_vms, pub.attrs.running_vms_error)


def test_two_recorded_vpcs_of_one_name_are_two_targets():
    vpc_rows = json.loads((RECORDED / "cloudstack-go-listvpcs.json").read_text())["listvpcresponse"]["vpc"]
    targets = network_targets(SimulatedApi({}), [], vpc_rows, [])
    assert [t.attrs.name for t in targets] == ["my-vpc", "my-vpc"] and len({t.id for t in targets}) == 2


def test_a_network_row_the_suite_cannot_read_is_a_note_not_a_target():
    notes: list[str] = []
    assert network_targets(SimulatedApi({}), [{"id": "n1", "name": "x", "redundantrouter": "yes"}], [], notes) == []
    assert notes == ["API listNetworks: row 1 ('x'): field redundantrouter is str, not true or false; not a target"]


def test_a_recorded_listvirtualmachines_answer_gives_its_count_and_is_found_by_networkid():
    answer = json.loads((RECORDED / "cloudstack-go-listvirtualmachines.json").read_text())["listVirtualMachines"]

    class Recorded:
        def listVirtualMachines(self, **params):
            return answer
    assert running_vm_count(Recorded(), "87503ba2-d59d-4a5e-8f7f-b3f486cedbd8") == 1
    vms = answer["virtualmachine"]
    assert Api.filter("listVirtualMachines", vms, {"networkid": "87503ba2-d59d-4a5e-8f7f-b3f486cedbd8"}) == vms
    assert Api.filter("listVirtualMachines", vms, {"networkid": "30358053-0f9d-4112-9948-976477896db6"}) == []


@pytest.mark.parametrize("answer", [[], {"count": "1"}, {"count": True}])
def test_an_answer_without_a_count_is_unparsable(answer):
    class Odd:
        def listVirtualMachines(self, **params):
            return answer
    with pytest.raises(UnparsableOutput, match="listVirtualMachines networkid=n1: no count"):
        running_vm_count(Odd(), "n1")


def test_a_redundant_vpc_s_running_vms_are_counted_over_its_tiers():
    lists = lab_lists(
        networks=[{"name": "a", "vpc": "busy", "provider": "VpcVirtualRouter", "running_vms": 1},
                  {"name": "b", "vpc": "busy", "provider": "VpcVirtualRouter", "running_vms": 2},
                  {"name": "c", "vpc": "idle", "provider": "VpcVirtualRouter"}],
        vpcs=[{"name": "busy", "redundant": True}, {"name": "idle", "redundant": True}, {"name": "single"}],
        routers=[])
    targets = {t.attrs.name: t for t in network_targets(SimulatedApi(lists), rows(lists, "listNetworks"),
                                                        rows(lists, "listVPCs"), [])}
    assert {name: targets[name].attrs.running_vms for name in ("busy", "idle", "single")} == {
        "busy": 3, "idle": 0, "single": None}
    refused = network_targets(SimulatedApi(lists, "listVirtualMachines"), rows(lists, "listNetworks"),
                              rows(lists, "listVPCs"), [])
    busy = next(t for t in refused if t.attrs.name == "busy")
    assert busy.attrs.running_vms is None and "error 530: refused" in busy.attrs.running_vms_error
