"""The zones' traffic labels (fact `traffic_labels`): listPhysicalNetworks and listTrafficTypes answers
recorded from real clouds (tests/data/recorded/SOURCES.md), answers of unexpected shape, and the
collector's reading against the lab's API simulator, in process."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lab.records_cloudstack import cloudstack_model
from lab.scenario import resolve_scenario
from lab.sim.cloudstack_api import Api
from lab.topology import build_topology, stable_id
from stackaudit.collect.declarations import FACTS
from stackaudit.collect.readers import read_traffic_labels
from stackaudit.errors import UnparsableOutput
from stackaudit.parsers.traffic_labels import (TrafficLabel, TrafficTypeRow, parse_traffic_labels,
                                               parse_traffic_types)
from tests.unit.hypothesis_budget import examples

RECORDED = Path(__file__).resolve().parent.parent / "data" / "recorded"


def recorded(name: str):
    return json.loads((RECORDED / name).read_text())


def test_the_recorded_traffic_types_keep_both_labels_and_an_unset_one_is_none():
    rows = parse_traffic_types(recorded("listtraffictypes-cloudstack-go-126.json")["traffictype"])
    assert rows[0] == TrafficTypeRow("Guest", "b20ba0e0-5c8c-4cb7-ab68-8fe3e011a336",
                                     "ad0e9614-6d9c-41c8-9459-7539673b2107", None, None)
    assert [row.kvmnetworklabel for row in rows[1:]] == ["cloudbr0"] * 3


def test_a_recorded_physical_network_gives_its_zone_and_each_traffic_type_on_it():
    (network,) = recorded("listphysicalnetworks-cloudstack-pr-6588.json")["physicalnetwork"]
    traffic = recorded("listtraffictypes-cloudstack-go-126.json")["traffictype"]
    labels = parse_traffic_labels({"listPhysicalNetworks": [network], "listTrafficTypes": {network["id"]: traffic}})
    zone = labels["78e1da67-04e5-4683-9d52-346ef6cd7472"]
    assert sorted(zone) == ["Guest", "Management", "Public", "Storage"]
    assert zone["Guest"] == (TrafficLabel("Guest", "Physical Network 1", None, None),)
    assert zone["Storage"] == (TrafficLabel("Storage", "Physical Network 1", "cloudbr0", None),)


def test_guest_traffic_on_two_physical_networks_of_a_zone_keeps_both_labels_and_blank_is_unset():
    answer = {"listPhysicalNetworks": [{"id": "n1", "zoneid": "z", "name": "vxlan"}, {"id": "n2", "zoneid": "z"}],
              "listTrafficTypes": {
                  "n1": [{"traffictype": "Guest", "kvmnetworklabel": "broverlay", "xennetworklabel": " "}],
                  "n2": [{"traffictype": "Guest", "kvmnetworklabel": "brtrunk", "xennetworklabel": "xenbr1"}]}}
    assert parse_traffic_labels(answer) == {"z": {"Guest": (TrafficLabel("Guest", "vxlan", "broverlay", None),
                                                            TrafficLabel("Guest", "n2", "brtrunk", "xenbr1"))}}


@pytest.mark.parametrize("answer, message", [
    ([], "expected {'listPhysicalNetworks': rows"),
    ({"listPhysicalNetworks": [{"id": "n1"}], "listTrafficTypes": {"n1": []}}, "has no field zoneid"),
    ({"listPhysicalNetworks": [{"id": "n1", "zoneid": "z"}], "listTrafficTypes": {}},
     "listTrafficTypes physicalnetworkid=n1: not read"),
    ({"listPhysicalNetworks": [{"id": "n1", "zoneid": "z"}],
      "listTrafficTypes": {"n1": [{"traffictype": "Storage", "xennetworklabel": 7}]}},
     "physicalnetworkid=n1: row 1 .* field xennetworklabel is int"),
])
def test_an_answer_of_unexpected_shape_is_unparsable_and_names_the_call(answer, message):
    with pytest.raises(UnparsableOutput, match=message):
        parse_traffic_labels(answer)


LABEL = st.one_of(st.none(), st.text(max_size=20))


@settings(max_examples=examples(100))
@given(st.lists(st.tuples(st.sampled_from(["z1", "z2"]),
                          st.lists(st.tuples(st.sampled_from(["Management", "Public", "Guest", "Storage"]),
                                             LABEL, LABEL), max_size=4)), max_size=4))
def test_every_row_of_every_network_lands_in_its_zone_with_its_labels_stripped(networks):
    answer = {"listPhysicalNetworks": [{"id": f"n{i}", "zoneid": zone} for i, (zone, _) in enumerate(networks)],
              "listTrafficTypes": {f"n{i}": [{"traffictype": kind, **({"kvmnetworklabel": kvm} if kvm is not None else {}),
                                              **({"xennetworklabel": xen} if xen is not None else {})}
                                             for kind, kvm, xen in rows] for i, (_, rows) in enumerate(networks)}}
    labels = parse_traffic_labels(answer)
    assert sum(len(found) for zone in labels.values() for found in zone.values()) == sum(len(r) for _, r in networks)
    for zone in labels.values():
        for kind, found in zone.items():
            for label in found:
                assert label.traffictype == kind
                assert all(value is None or (value == value.strip() and value) for value in (label.kvm, label.xen))


# --- reading it: the collector against the lab's API simulator, in process -------------------------
class InProcessApi:
    """A CloudStack client whose commands the lab's simulator answers directly."""
    def __init__(self, simulator: Api):
        self.simulator = simulator
        self.asked: list[tuple[str, dict]] = []

    def __getattr__(self, command: str):
        def ask(**params):
            self.asked.append((command, params))
            return self.simulator.execute(command, {key: str(value) for key, value in params.items()})
        return ask


def test_the_collector_reads_each_zone_s_physical_network_then_its_traffic_types():
    raw = {"name": "t", "zones": [
        {"name": name, "pods": [{"name": f"p-{name}", "clusters": [
            {"name": f"c-{name}", "hypervisor": "KVM", "hosts": [{"name": f"kvm-{name}"}]}]}], **zone}
        for name, zone in (("z1", {"traffic_labels": {"Storage": "br425", "Guest": None},
                                   "xen_traffic_labels": {"Storage": "xenbr2"}}), ("z2", {}))]}
    api = InProcessApi(Api(cloudstack_model(build_topology(resolve_scenario(raw, "t.yml")), [], [], "")))
    answer = read_traffic_labels(api, None)
    assert [command for command, _ in api.asked] == ["listPhysicalNetworks", "listTrafficTypes", "listTrafficTypes"]
    labels = parse_traffic_labels(answer.output)
    z1, z2 = stable_id("zone", "z1"), stable_id("zone", "z2")
    assert labels[z1] == {"Storage": (TrafficLabel("Storage", "physnet-z1", "br425", "xenbr2"),),
                          "Guest": (TrafficLabel("Guest", "physnet-z1", None, None),)}
    assert {kind: found[0].kvm for kind, found in labels[z2].items()} == {
        "Management": "cloudbr0", "Public": "cloudbr0", "Guest": "cloudbr0", "Storage": None}
    assert answer.used == "listPhysicalNetworks; listTrafficTypes physicalnetworkid=<id> per physical network"


def test_traffic_labels_is_one_fact_of_the_cloud_read_by_its_own_api_call():
    fact = FACTS["traffic_labels"]
    assert fact.kinds == ("cloud",) and [(call.name, call.reader) for call in fact.reads] == [
        ("traffic_labels", read_traffic_labels)]
    assert fact.reads[0].calls == "listPhysicalNetworks; listTrafficTypes physicalnetworkid=<id> per physical network"
