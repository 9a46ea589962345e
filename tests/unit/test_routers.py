"""SVM-ROUTER-RUNNING's parsers (recorded listNetworks/listVPCs answers) and rule."""
from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stackaudit.errors import NotCheckable, UnparsableOutput
from stackaudit.parsers.router_rows import GuestNetwork, RouterRow, parse_networks, parse_routers, parse_vpcs
from stackaudit.rules.routers import router_findings, router_judged
from tests.unit.hypothesis_budget import examples
from tests.unit.json_strategy import answers

RECORDED = Path(__file__).resolve().parent.parent / "data" / "recorded"


def recorded(name: str, response: str, key: str) -> list[dict]:
    return json.loads((RECORDED / name).read_text())[response][key]


def network(**changes) -> GuestNetwork:
    base = GuestNetwork(kind="network", id="5f0c-net", name="web", state="Implemented", type="Isolated",
                        redundant=False, providers=frozenset({"VirtualRouter"}))
    return replace(base, **changes)


def router(name: str, state: str = "Running", redundantstate: str = "UNKNOWN") -> RouterRow:
    return RouterRow(name=name, state=state, redundantstate=redundantstate, isredundantrouter=redundantstate != "UNKNOWN")


# --- parsers, on answers recorded by others --------------------------------------------------------
def test_recorded_vpcs_keep_two_vpcs_of_one_name_apart_by_id():
    vpcs = parse_vpcs(recorded("cloudstack-go-listvpcs.json", "listvpcresponse", "vpc"))
    assert [v.name for v in vpcs] == ["my-vpc", "my-vpc"]
    assert len({v.id for v in vpcs}) == 2
    assert all(v.kind == "vpc" and v.state == "Enabled" and not v.redundant for v in vpcs)
    assert vpcs[0].providers == frozenset({"VpcVirtualRouter", "InternalLbVm"})
    assert all(router_judged(v) for v in vpcs)


def test_recorded_network_without_providers_cannot_be_judged():
    [net] = parse_networks(recorded("cloudstack-go-listnetworks.json", "listnetworksresponse", "network"))
    assert (net.type, net.state, net.redundant, net.providers) == ("Isolated", "Allocated", False, None)
    with pytest.raises(NotCheckable, match="names no service provider"):
        router_judged(net)


def test_router_rows_read_redundant_state_and_leave_missing_flags_false():
    [one, two] = parse_routers([
        {"name": "r-7-VM", "state": "Running", "redundantstate": "MASTER", "isredundantrouter": True},
        {"name": "r-8-VM", "state": "Stopped"}])
    assert one == RouterRow("r-7-VM", "Running", "MASTER", True)
    assert two == RouterRow("r-8-VM", "Stopped", None, False)


@pytest.mark.parametrize("rows, message", [
    ({"network": []}, "expected a list of rows"),
    ([{"id": "1"}], "has no field name"),
    ([{"id": "1", "name": "n", "redundantrouter": "true"}], "redundantrouter is str"),
    ([{"id": "1", "name": "n", "service": [{"name": "Dns", "provider": ["VirtualRouter"]}]}], "without names"),
])
def test_bad_network_rows_are_unparsable_with_the_place(rows, message):
    with pytest.raises(UnparsableOutput, match=message):
        parse_networks(rows)


FIELDS = ["id", "name", "state", "type", "service", "provider", "redundantrouter",
          "redundantvpcrouter", "vpcid", "redundantstate", "isredundantrouter"]


@settings(max_examples=examples(200), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=answers(FIELDS, 6))
def test_any_answer_parses_or_is_unparsable(rows):
    for parse in (parse_networks, parse_vpcs, parse_routers):
        try:
            parse(rows)
        except UnparsableOutput:
            pass


# --- which networks are judged (decided at collection) ----------------------------------------------
@pytest.mark.parametrize("changes, running_vms, judged", [
    ({}, None, True),
    ({"state": "Allocated"}, None, False),
    ({"providers": frozenset({"Netscaler"})}, None, False),
    ({"type": "Shared"}, 3, True),
    ({"type": "Shared"}, 0, False),
    ({"type": "L2"}, None, False),
    ({"vpcid": "vpc-1"}, None, False),
    ({"kind": "vpc", "type": None, "state": "Enabled", "providers": frozenset({"VpcVirtualRouter"})}, None, True),
    ({"kind": "vpc", "type": None, "state": "Inactive", "providers": frozenset({"VpcVirtualRouter"})}, None, False),
])
def test_which_networks_have_a_router_to_judge(changes, running_vms, judged):
    assert router_judged(network(**changes), running_vms) is judged


def test_shared_network_without_its_running_vms_is_not_checkable():
    with pytest.raises(NotCheckable, match="running VMs were not listed"):
        router_judged(network(type="Shared"))


# --- the rule -------------------------------------------------------------------------------------------
def test_running_router_passes_and_stopped_or_missing_fails():
    assert router_findings(network(), [router("r-1-VM")]) == []
    assert router_findings(network(), [router("r-1-VM", state="Stopped")]) == [
        "router r-1-VM of network web (5f0c-net) is Stopped, not Running"]
    assert router_findings(network(kind="vpc", name="shop"), []) == ["vpc shop (5f0c-net) has no virtual router"]


@pytest.mark.parametrize("states", [("PRIMARY", "BACKUP"), ("BACKUP", "MASTER")])
def test_redundant_pair_of_one_primary_and_one_backup_passes_old_name_too(states):
    pair = [router("r-1-VM", redundantstate=states[0]), router("r-2-VM", redundantstate=states[1])]
    assert router_findings(network(redundant=True), pair) == []


@pytest.mark.parametrize("states, expected", [
    (("BACKUP", "BACKUP"), "the redundant pair is BACKUP/BACKUP"),
    (("PRIMARY", "MASTER"), "the redundant pair is MASTER/PRIMARY"),
    (("PRIMARY", "FAULT"), "the redundant pair is FAULT/PRIMARY"),
    (("PRIMARY",), "has 1 router(s) (PRIMARY), not a pair"),
])
def test_redundant_routers_that_are_not_a_primary_backup_pair_fail(states, expected):
    routers = [router(f"r-{n}-VM", redundantstate=s) for n, s in enumerate(states)]
    [finding] = router_findings(network(redundant=True), routers)
    assert expected in finding


def test_unknown_redundant_state_is_not_checkable_never_passed():
    pair = [router("r-1-VM", redundantstate="PRIMARY"), router("r-2-VM", redundantstate="STANDBY")]
    with pytest.raises(NotCheckable, match="redundant state STANDBY is not one the suite knows"):
        router_findings(network(redundant=True), pair)


def test_a_redundant_vpc_with_no_running_vm_has_no_pair_to_judge_but_its_routers_must_run():
    """apache/cloudstack issue 10677: with no VM on its tiers both routers report FAULT (UNKNOWN after
    pull request 11518) and work; with a VM running, FAULT/FAULT is a broken pair."""
    vpc = network(kind="vpc", type=None, redundant=True, state="Enabled")
    faults = [router("r-1-VM", redundantstate="FAULT"), router("r-2-VM", redundantstate="FAULT")]
    assert router_findings(vpc, faults, running_vms=0) == []
    assert router_findings(vpc, [router("r-1-VM", redundantstate="UNKNOWN"), router("r-2-VM", "Stopped", "UNKNOWN")],
                           running_vms=0) == ["router r-2-VM of vpc web (5f0c-net) is Stopped, not Running"]
    [finding] = router_findings(vpc, faults, running_vms=1)
    assert "the redundant pair is FAULT/FAULT" in finding
    with pytest.raises(NotCheckable, match="whether a VM of the VPC runs .* is unknown: error 530"):
        router_findings(vpc, faults, running_vms=None, vms_error="error 530")
    pair = [router("r-1-VM", redundantstate="PRIMARY"), router("r-2-VM", redundantstate="BACKUP")]
    assert router_findings(vpc, pair, running_vms=None, vms_error="error 530") == []


def test_an_isolated_redundant_network_is_judged_whatever_runs_on_it():
    faults = [router("r-1-VM", redundantstate="FAULT"), router("r-2-VM", redundantstate="FAULT")]
    assert router_findings(network(redundant=True), faults, running_vms=0) != []
