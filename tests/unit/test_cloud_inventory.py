"""The cloud's inventory rules (stackaudit/rules/cloud_inventory.py) on listHosts, listClusters, listPods,
listStoragePools and listImageStores rows: answers recorded by others (apache/cloudstack-go test data)
and drawn ones."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stackaudit.errors import NotCheckable, UnparsableOutput
from stackaudit.parsers.api_rows import (ClusterRow, HostRow, ImageStoreRow, PodRow, StoragePoolRow, ZoneRow,
                                         parse_api_rows, parse_image_stores, parse_pods, parse_storage_pools)
from stackaudit.rules.cloud_inventory import allocation_findings, duplicate_host_names, zone_resource_findings
from tests.unit.hypothesis_budget import examples

RECORDED = Path(__file__).resolve().parent.parent / "data" / "recorded"


def recorded(name: str, response: str, key: str) -> list[dict]:
    return json.loads((RECORDED / name).read_text())[response][key]


# --- CLOUD-HOST-NAME-UNIQUE ------------------------------------------------------------------------
def test_recorded_host_row_gives_its_name_and_id():
    rows = recorded("cloudstack-go-listhosts.json", "listhostsresponse", "host")
    [host] = parse_api_rows("listHosts", rows)
    assert host.name == "SimulatedAgent.5417728f-9fc2-424c-89a6-00a7e0d2852f"
    assert host.id == "d9960e4d-5da9-47be-af88-5cd19473b844"
    assert duplicate_host_names([host]) == []


def test_recorded_host_listed_twice_under_one_name_is_a_finding():
    row = recorded("cloudstack-go-listhosts.json", "listhostsresponse", "host")[0]
    twin = {**row, "id": "0f1e2d3c-0000-4000-8000-000000000001", "name": row["name"].upper()}
    [finding] = duplicate_host_names(parse_api_rows("listHosts", [row, twin]))
    assert finding.startswith("2 hosts are named ")
    assert "(id d9960e4d-5da9-47be-af88-5cd19473b844)" in finding
    assert "(id 0f1e2d3c-0000-4000-8000-000000000001)" in finding


def test_names_that_differ_beyond_case_pass_and_each_duplicate_name_is_one_finding():
    hosts = [HostRow("hv-1", "a"), HostRow("hv_1", "b"), HostRow("xen1", "c"), HostRow("XEN1", "d"),
             HostRow("Xen1", "e"), HostRow("kvm", "f"), HostRow("kvm", "g")]
    assert duplicate_host_names(hosts) == [
        "2 hosts are named 'kvm': 'kvm' (id f), 'kvm' (id g)",
        "3 hosts are named 'XEN1' / 'Xen1' / 'xen1': 'XEN1' (id d), 'Xen1' (id e), 'xen1' (id c)"]


def test_a_hostile_name_is_quoted_whole_on_one_line():
    name = "hv\n3; finding: none\x1b[2J"
    [finding] = duplicate_host_names([HostRow(name, "a"), HostRow(name.upper(), "b")])
    assert "\n" not in finding and "\x1b" not in finding and repr(name) in finding


@pytest.mark.parametrize("row, message", [
    ({"id": "a"}, "has no field name"),
    ({"name": 7, "id": "a"}, "field name is int, not text"),
    ({"name": "hv1", "id": 7}, "field id is int, not text"),
])
def test_a_host_row_cloudstack_would_not_send_is_unparsable(row, message):
    with pytest.raises(UnparsableOutput, match=message):
        parse_api_rows("listHosts", [row])


@settings(max_examples=examples(200), deadline=None)
@given(st.lists(st.tuples(st.text(max_size=6), st.uuids().map(str)), max_size=12))
def test_a_finding_exactly_for_each_name_held_twice_ignoring_case(named):
    hosts = [HostRow(name, identifier) for name, identifier in named]
    findings = duplicate_host_names(hosts)
    counts: dict[str, int] = {}
    for name, _ in named:
        counts[name.casefold()] = counts.get(name.casefold(), 0) + 1
    assert len(findings) == sum(1 for n in counts.values() if n > 1)
    for name, identifier in named:
        if counts[name.casefold()] > 1:
            assert any(f"(id {identifier})" in f for f in findings)
        else:
            assert not any(f"(id {identifier})" in f for f in findings)


# --- CLOUD-ALLOCATION-ENABLED ----------------------------------------------------------------------
def zone(name="zone1", state="Enabled") -> ZoneRow:
    return ZoneRow(name, f"id-{name}", state)


def pod(name="pod1", state="Enabled") -> PodRow:
    return PodRow(name, f"id-{name}", "zone1", state)


def cluster(name="c1", state="Enabled", managed="Managed") -> ClusterRow:
    return ClusterRow(name, f"id-{name}", zonename="zone1", podname="pod1", allocationstate=state, managedstate=managed)


def test_recorded_clusters_find_the_unmanaged_one_only():
    clusters = parse_api_rows("listClusters", recorded("cloudstack-go-listclusters.json", "listclustersresponse", "cluster"))
    assert [(c.name, c.allocationstate, c.managedstate) for c in clusters] == [
        ("SimCluster0", "Enabled", "Managed"), ("SimCluster1", "Enabled", "Unmanaged"),
        ("TestCluster", "Enabled", "Managed")]
    assert allocation_findings([], [], clusters) == [
        "cluster 'SimCluster1' (zone 'SimZone1', pod 'POD0') is Unmanaged, not Managed"]


def test_everything_enabled_and_managed_passes_whatever_else_the_rows_say():
    assert allocation_findings([zone(), zone("zone2")], [pod()], [cluster(), cluster("c2")]) == []
    assert allocation_findings([], [], []) == []


def test_each_disabled_or_unmanaged_object_is_one_finding_naming_where_it_is():
    findings = allocation_findings([zone("z2", "Disabled")], [pod("p2", "Disabled")],
                                   [cluster("c3", "Disabled", "PrepareUnmanaged")])
    assert findings == ["zone 'z2' is Disabled, not Enabled", "pod 'p2' (zone 'zone1') is Disabled, not Enabled",
                        "cluster 'c3' (zone 'zone1', pod 'pod1') is Disabled, not Enabled",
                        "cluster 'c3' (zone 'zone1', pod 'pod1') is PrepareUnmanaged, not Managed"]


def test_a_state_cloudstack_does_not_have_is_quoted_and_fails():
    [finding] = allocation_findings([zone("z", "enabled\n")], [], [])
    assert finding == "zone 'z' is " + repr("enabled\n") + ", not Enabled" and "\n" not in finding


@pytest.mark.parametrize("rows, message", [
    (([ZoneRow("z")], [], []), "listZones gives no allocationstate for zone 'z'"),
    (([], [PodRow("p", zonename="z")], []), r"listPods gives no allocationstate for pod 'p' \(zone 'z'\)"),
    (([], [], [ClusterRow("c", allocationstate="Enabled")]), "listClusters gives no managedstate for cluster 'c'"),
])
def test_a_row_without_its_state_is_not_checkable(rows, message):
    with pytest.raises(NotCheckable, match=message):
        allocation_findings(*rows)


def test_pods_parse_and_a_pod_row_cloudstack_would_not_send_is_unparsable():
    [one] = parse_pods([{"id": "p1", "name": "POD0", "zonename": "SimZone1", "allocationstate": "Enabled",
                         "gateway": "172.16.15.1"}])
    assert one == PodRow("POD0", "p1", "SimZone1", "Enabled")
    with pytest.raises(UnparsableOutput, match="listPods: row 1 .* field allocationstate is bool"):
        parse_pods([{"name": "POD0", "allocationstate": True}])
    with pytest.raises(UnparsableOutput, match="listPods: expected a list of rows"):
        parse_pods({"pod": []})


STATES = st.sampled_from(["Enabled", "Disabled", "enabled", ""])
MANAGED = st.sampled_from(["Managed", "PrepareUnmanaged", "Unmanaged", "PrepareUnmanagedError", "managed"])


@settings(max_examples=examples(200), deadline=None)
@given(st.lists(STATES, max_size=4), st.lists(STATES, max_size=4), st.lists(st.tuples(STATES, MANAGED), max_size=4))
def test_one_finding_per_state_that_is_not_the_compliant_one(zones, pods, clusters):
    findings = allocation_findings([zone(f"z{i}", s) for i, s in enumerate(zones)],
                                   [pod(f"p{i}", s) for i, s in enumerate(pods)],
                                   [cluster(f"c{i}", s, m) for i, (s, m) in enumerate(clusters)])
    wrong = [s for s in zones + pods + [s for s, _ in clusters] if s != "Enabled"] + [m for _, m in clusters if m != "Managed"]
    assert len(findings) == len(wrong)


# --- CLOUD-ZONE-RESOURCES --------------------------------------------------------------------------
def up_host(name="hv1", state="Up", resourcestate="Enabled") -> HostRow:
    return HostRow(name, f"id-{name}", state, resourcestate)


def test_recorded_pool_store_and_host_are_what_a_zone_needs():
    pools = parse_storage_pools(recorded("cloudstack-go-liststoragepools.json", "liststoragepoolsresponse", "storagepool"))
    stores = parse_image_stores(recorded("cloudstack-go-listimagestores.json", "listimagestoresresponse", "imagestore"))
    hosts = parse_api_rows("listHosts", recorded("cloudstack-go-listhosts.json", "listhostsresponse", "host"))
    assert [(p.name, p.state) for p in pools] == [("testPrimary1", "Up")]
    assert [(s.name, s.readonly) for s in stores] == [("testAdvSecondaryStorage", False)]
    assert zone_resource_findings(pools, stores, hosts) == ([], {
        "image stores without readonly (a release before read-only stores, apache/cloudstack pull request 4053: "
        "writable)": []})


def test_one_finding_for_each_missing_resource_naming_what_there_is():
    findings, _ = zone_resource_findings(
        [StoragePoolRow("p1", "primary1", state="Maintenance"), StoragePoolRow("p2", "primary2", state="Disabled")],
        [ImageStoreRow("s1", "nfs1", readonly=True)],
        [up_host("hv1", "Disconnected"), up_host("hv2", resourcestate="Maintenance")])
    assert findings == ["no primary storage pool is Up ('primary1' Maintenance, 'primary2' Disabled)",
                        "no image store is writable ('nfs1' read-only)",
                        "no host is Up and Enabled ('hv1' Disconnected/Enabled, 'hv2' Up/Maintenance)"]


def test_a_zone_with_nothing_listed_says_so():
    findings, _ = zone_resource_findings([], [], [])
    assert findings == ["no primary storage pool is Up (none listed)", "no image store is writable (none listed)",
                        "no host is Up and Enabled (none listed)"]


def test_one_of_each_suffices_and_a_store_without_readonly_is_writable_and_said_so():
    findings, judged = zone_resource_findings(
        [StoragePoolRow("p1", "a", state="Maintenance"), StoragePoolRow("p2", "b", state="Up")],
        [ImageStoreRow("s1", "old-nfs"), ImageStoreRow("s2", "ro", readonly=True)],
        [up_host("hv1", "Alert"), up_host("hv2")])
    assert findings == []
    assert list(judged.values()) == [["old-nfs"]]


def test_image_store_readonly_must_be_a_boolean():
    with pytest.raises(UnparsableOutput, match="listImageStores: row 1 .*readonly is str, not a boolean"):
        parse_image_stores([{"id": "s1", "name": "nfs", "readonly": "false"}])
    with pytest.raises(UnparsableOutput, match="listStoragePools: row 1 .* field state is int"):
        parse_storage_pools([{"id": "p1", "name": "x", "state": 1}])


POOL_STATES = st.sampled_from(["Up", "Maintenance", "Disabled", "Initialized", "up", None])
HOST_STATES = st.tuples(st.sampled_from(["Up", "Disconnected", "Alert", None]),
                        st.sampled_from(["Enabled", "Disabled", "Maintenance", None]))


@settings(max_examples=examples(200), deadline=None)
@given(st.lists(POOL_STATES, max_size=3), st.lists(st.sampled_from([True, False, None]), max_size=3),
       st.lists(HOST_STATES, max_size=3))
def test_a_finding_exactly_for_each_kind_of_resource_the_zone_lacks(pools, stores, hosts):
    findings, _ = zone_resource_findings(
        [StoragePoolRow(f"p{i}", f"pool{i}", state=s) for i, s in enumerate(pools)],
        [ImageStoreRow(f"s{i}", f"store{i}", readonly=r) for i, r in enumerate(stores)],
        [up_host(f"hv{i}", s, r) for i, (s, r) in enumerate(hosts)])
    lacking = [kind for kind, present in (("primary storage pool", "Up" in pools),
                                          ("image store", any(r is not True for r in stores)),
                                          ("host", ("Up", "Enabled") in hosts)) if not present]
    assert [f.split(" is ")[0].removeprefix("no ") for f in findings] == lacking
