"""XS-POOL-HA-LICENSED and XS-POOL-CS-MEMBERSHIP: the host licence parser on a recorded XAPI host record
(tests/data/recorded/SOURCES.md), where the licence rule applies, its findings, the membership rule, and
what discovery reads of each member."""
from __future__ import annotations

import ast
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lab.records_xapi import xapi_pools
from lab.scenario import resolve_scenario
from lab.topology import build_topology
from stackaudit.applicability import decide
from stackaudit.collect.transports import xapi
from stackaudit.config.schema import SchemaError
from stackaudit.discovery import pool_software
from stackaudit.errors import ApiError, UnparsableOutput
from stackaudit.parsers.xapi_licence import (HostLicence, parse_host_licences, parse_licence_expiry,
                                             parse_product_version)
from stackaudit.parsers.xapi_records import XapiHost
from stackaudit.rules.xenserver import ha_licence_findings, ha_licence_scope, membership_findings
from stackaudit.targets import Snapshot, Target
from tests.unit.hypothesis_budget import examples
from tests.unit.test_parsers_hypothesis import RECORDED

ANSIBLE_HOST = ast.literal_eval("{" + (RECORDED / "outside-xapi-host-ansible-fake-xenapi.py.txt").read_text() + "}")
NOW = datetime(2026, 12, 6, 12, 0, tzinfo=timezone.utc)


def host_record(label="xs1", address="198.18.1.1", software=None, licence=None) -> dict:
    return {"name_label": label, "address": address,
            "software_version": {"product_brand": "XenServer", "product_version": "6.1.0"} if software is None
            else software,
            "license_params": {"enable_xha": "true", "expiry": "never"} if licence is None else licence}


# --- the parser ------------------------------------------------------------------------------------

def test_ansibles_fake_host_has_no_brand_and_no_licence_keys():
    (host,) = parse_host_licences({"OpaqueRef:1": ANSIBLE_HOST})
    assert host == HostLicence("xenserver-hv-1", "127.0.0.1", None, "7.5.0", None, None, None)


def test_a_host_missing_the_ha_key_is_unlicensed_and_one_with_true_and_never_is_licensed():
    hosts = parse_host_licences({"OpaqueRef:2": host_record("b", licence={"expiry": "never"}),
                                 "OpaqueRef:1": host_record("a")})
    assert [h.name_label for h in hosts] == ["a", "b"]
    assert ha_licence_findings(hosts, NOW, 30) == ["b: license_params has no enable_xha: HA is not licensed"]


@pytest.mark.parametrize("text, expected", [
    ("never", None),
    ("20130701T00:00:00Z", datetime(2013, 7, 1, tzinfo=timezone.utc)),          # xapi's Date.to_rfc3339
    ("20130701T02:00:00+02:00", datetime(2013, 7, 1, tzinfo=timezone.utc)),     # with the offset it printed
    ("20130701T00:00:00", datetime(2013, 7, 1, tzinfo=timezone.utc)),           # xapi's "Empty" print type
    ("2013-07-01T00:00:00Z", datetime(2013, 7, 1, tzinfo=timezone.utc)),        # RFC 3339, which of_iso8601 takes
])
def test_expiry_forms_xapi_writes_and_reads(text, expected):
    assert parse_licence_expiry(text, "host x") == expected


@pytest.mark.parametrize("text", ["", "Never", "2013-07-01", "20131301T00:00:00Z", "20130701T00:00:00 Z",
                                  "٢٠١٣0701T00:00:00Z"])
def test_an_expiry_that_is_not_a_date_is_refused_with_the_host_named(text):
    with pytest.raises(UnparsableOutput, match=r"^XAPI host xs1 license_params: expiry .* is not"):
        parse_host_licences({"r": host_record(licence={"enable_xha": "true", "expiry": text})})


@pytest.mark.parametrize("record, message", [
    ([], "expected a map of records, got list"),
    ({"r": "x"}, "record r is not a map"),
    ({"r": {"name_label": "a"}}, "no name_label or address"),
    ({"r": {**host_record(), "license_params": ["enable_xha"]}}, "license_params is not a map of strings"),
    ({"r": {**host_record(), "software_version": {"product_version": 6}}}, "software_version is not a map of strings"),
])
def test_records_xapi_does_not_send_are_refused(record, message):
    with pytest.raises(UnparsableOutput, match=message):
        parse_host_licences(record)


@pytest.mark.parametrize("text, number", [("6.1.0", (6, 1, 0)), ("6.10", (6, 10)), ("5.6.100", (5, 6, 100))])
def test_product_versions_compare_as_numbers(text, number):
    assert parse_product_version(text, "h") == number


@settings(max_examples=examples(200), deadline=None)
@given(st.dictionaries(st.text(max_size=12), st.one_of(st.text(max_size=24), st.integers(), st.none()), max_size=4),
       st.dictionaries(st.text(max_size=12), st.one_of(st.text(max_size=24), st.none()), max_size=4))
def test_any_software_and_licence_map_parses_or_is_refused_in_one_line(software, licence):
    try:
        hosts = parse_host_licences({"r": {"name_label": "h", "address": "a", "software_version": software,
                                           "license_params": licence}})
    except UnparsableOutput as err:
        assert "\n" not in str(err) and str(err).startswith("XAPI host h")
        return
    assert hosts[0].enable_xha == licence.get("enable_xha")
    ha_licence_findings(hosts, NOW, 30)


# --- where it applies (decided from what discovery read) ---------------------------------------------

def member(host, brand="XenServer", version="6.1.0") -> dict:
    return {"host": host, "address": "198.18.1.1", "product_brand": brand, "product_version": version}


@pytest.mark.parametrize("members, expected", [
    ([member("a"), member("b", version="6.2.0")], (True, "host a runs XenServer 6.1.0")),
    ([member("a", version="6.2.0"), member("b", version="6.10.0")], False),
    ([member("a", brand="XCP", version="1.6.10")], False),
    ([member("a", brand="XCP-ng", version=None)], False),
    ([member("a", version="7.5.0", brand=None)], False),              # Ansible's record: no brand, a new version
    ([member("a", version=None)], (None, "host a's software_version has no product_version")),
    ([member("a", version="6.1.0", brand=None)], (None, "host a runs version 6.1.0 and names no product_brand")),
    ([member("a", version="six")], (None, "host a: product_version 'six' is not a dotted version")),
    ([], (None, "discovery read no member's software_version")),
], ids=["old-member", "6.2-and-later", "xcp", "xcp-ng-no-version", "no-brand-new", "no-version", "no-brand-old",
        "unreadable-version", "not-read"])
def test_the_licence_rule_applies_to_pools_with_a_member_on_xenserver_before_6_2(members, expected):
    needs, why = ha_licence_scope(members, None)
    if expected is False:
        assert needs is False and why.startswith("no member runs XenServer before 6.2")
    else:
        assert (needs, why) == expected


def pool_target(name, software=(), software_reason=None) -> Target:
    return Target("xs-pool", name, "zone1", "198.18.1.1",
                  attrs={"id": name, "software": list(software), "software_reason": software_reason})


def test_collection_leaves_out_new_pools_and_collects_unknown_ones_as_undecided():
    record = SimpleNamespace(id="XS-POOL-HA-LICENSED", targets=("xs-pool",), scope=("ha-needs-licence",))
    snapshot = Snapshot("c", [pool_target("old", [member("a")]), pool_target("new", [member("a", version="8.2.1")]),
                              pool_target("unread", software_reason="XAPI 198.18.1.1: host.get_all failed: X")])
    decision = decide(record, snapshot, None, None)
    assert [t.name for t in decision.applies] == ["old", "unread"]
    assert [(n.target, n.reason) for n in decision.not_applicable] == [
        ("xs-pool://zone1/new", "no member runs XenServer before 6.2 (XenServer 8.2.1): HA needs no licence")]
    assert decision.undecided == {"xs-pool://zone1/unread": (
        "XS-POOL-HA-LICENSED applies only to pools with a member on XenServer before 6.2, and "
        "XAPI 198.18.1.1: host.get_all failed: X")}


# --- the rule ----------------------------------------------------------------------------------------

def licence(name, enable_xha="true", days=None) -> HostLicence:
    expiry = None if days is None else NOW + timedelta(days=days)
    return HostLicence(name, "", "XenServer", "6.1.0", enable_xha, expiry, None if days is None else "T")


def test_expiry_inside_the_window_and_past_it_fail_and_outside_it_passes():
    findings = ha_licence_findings([licence("a", days=29), licence("b", days=-1), licence("c", days=31),
                                    licence("d", enable_xha="True")], NOW, 30)
    assert findings == ["a: the licence expires within 30 days (expiry T): HA goes with it",
                        "b: the licence expired (expiry T): HA goes with it",
                        "d: license_params enable_xha is 'True': HA is not licensed"]
    assert ha_licence_findings([licence("a", days=29)], NOW, 0) == []


def xapi_host(name, address) -> XapiHost:
    return XapiHost(f"OpaqueRef:{name}", name, name, name, address, True, "")


def test_membership_names_members_cloudstack_does_not_list_and_hosts_not_in_the_pool():
    members = {h.ref: h for h in (xapi_host("xs1", "198.18.1.1"), xapi_host("xs2", "fd00::2"),
                                  xapi_host("xs3", "198.18.1.3"))}
    listed = [("xs1", "198.18.1.1"), ("xs2", "fd00:0::2"), ("xs3", "198.18.1.3")]
    assert membership_findings(listed, members, {}, {}) == []
    assert membership_findings([("xs1", "198.18.1.1"), ("xs2", "fd00::2"), ("old", "198.18.1.9")], members, {},
                               {}) == [
        "pool members CloudStack does not list in this cluster: xs3 (198.18.1.3)",
        "CloudStack hosts of this cluster that are not in the pool: old (198.18.1.9)"]
    with pytest.raises(UnparsableOutput, match="host xs1 has no ipaddress"):
        membership_findings([("xs1", None)], members, {}, {})


def test_a_host_in_another_clusters_pool_is_named_with_that_cluster_on_both_sides():
    members = {h.ref: h for h in (xapi_host("xs1", "198.18.1.1"), xapi_host("xt4", "198.18.1.4"))}
    # pool A holds xt4, which CloudStack lists in cluster B; cluster B's pool does not hold it
    assert membership_findings([("xs1", "198.18.1.1")], members, {}, {"198.18.1.4": "B"}) == [
        "pool members CloudStack does not list in this cluster: xt4 (198.18.1.4), which CloudStack lists in cluster B"]
    assert membership_findings([("xt1", "198.18.1.1"), ("xt4", "198.18.1.4")],
                               {"r": xapi_host("xt1", "198.18.1.1")}, {"198.18.1.4": "A"}, {}) == [
        "hosts of this cluster found in another pool: xt4 (198.18.1.4) is in the pool of cluster A"]


# --- discovery: what each member runs, read from the master -------------------------------------------

@pytest.fixture
def master(monkeypatch):
    """A master whose XAPI answers host.get_all and each host's getters from `hosts` ({ref: record})."""
    state = SimpleNamespace(hosts={}, logins=[], fail=None)

    def login(address, *args, **kwargs):
        state.logins.append(address)
        if isinstance(state.fail, BaseException):
            raise state.fail
        return "session"

    def call(session, address, method, *args):
        if method == state.fail:
            raise ApiError(f"XAPI {address}: {method} failed: INTERNAL_ERROR")
        if method == "host.get_all":
            return list(state.hosts)
        return state.hosts[args[0]][method.removeprefix("host.get_")]
    monkeypatch.setattr(pool_software.xapi, "login", login)
    monkeypatch.setattr(pool_software.xapi, "logout", lambda session: None)
    monkeypatch.setattr(pool_software.xapi, "call", call)
    return state


SETTINGS = SimpleNamespace(port=443, username="root", password=SimpleNamespace(read=lambda: "pw"), ca_file=None,
                           timeout=5, insecure=True)


def test_discovery_keeps_each_members_brand_and_version_and_nothing_else(master):
    master.hosts = {"r2": {"name_label": "xs2", "address": "198.18.1.2", "software_version": ANSIBLE_HOST["software_version"]},
                    "r1": {"name_label": "xs1", "address": "198.18.1.1",
                           "software_version": {"product_brand": "XenServer", "product_version": "6.1.0",
                                                "build_number": "59235p"}}}
    assert pool_software.member_software(SETTINGS, "198.18.1.1") == ([
        {"host": "xs1", "address": "198.18.1.1", "product_brand": "XenServer", "product_version": "6.1.0"},
        {"host": "xs2", "address": "198.18.1.2", "product_brand": None, "product_version": "7.5.0"}], None)
    assert master.logins == ["198.18.1.1"]


def test_discovery_says_why_when_the_members_cannot_be_read(master):
    master.fail = "host.get_all"
    assert pool_software.member_software(SETTINGS, "198.18.1.1") == (
        [], "members' software not read: XAPI 198.18.1.1: host.get_all failed: INTERNAL_ERROR")
    master.fail = xapi.NotMaster("198.18.1.7")
    software, why = pool_software.member_software(SETTINGS, "198.18.1.1")
    assert software == [] and why.startswith("XAPI 198.18.1.1 answered HOST_IS_SLAVE")
    master.fail = None
    master.hosts = {"r1": {"name_label": "x" * 5000, "address": "198.18.1.1", "software_version": "not a map"}}
    assert pool_software.member_software(SETTINGS, "198.18.1.1")[0] == [
        {"host": "", "address": "198.18.1.1", "product_brand": None, "product_version": None}]


# --- the lab's scenario: where a XenServer host's XAPI is a member ----------------------------------

def scenario_with(*hosts) -> dict:
    return {"name": "s", "zones": [{"name": "z", "pods": [{"name": "p", "clusters": [
        {"name": "a", "hypervisor": "XenServer", "hosts": list(hosts)},
        {"name": "b", "hypervisor": "XenServer", "hosts": [{"name": "b1"}]}]}]}]}


def test_a_hosts_xapi_pool_is_its_own_or_a_xenserver_clusters():
    resolve_scenario(scenario_with({"name": "a1"}, {"name": "a2", "xapi_pool": "own"}, {"name": "a3", "xapi_pool": "b"}),
                     "s.yml")
    with pytest.raises(SchemaError, match=r"hosts\[1\]\.xapi_pool: 'c'; expected own or a XenServer cluster's name"):
        resolve_scenario(scenario_with({"name": "a1"}, {"name": "a2", "xapi_pool": "c"}), "s.yml")
    with pytest.raises(SchemaError, match="none is both listed and in its cluster's pool"):
        resolve_scenario(scenario_with({"name": "a1", "listed": False}, {"name": "a2", "xapi_pool": "own"}), "s.yml")


def test_the_simulated_pools_hold_each_hosts_licence_and_product_where_its_xapi_is():
    scenario = resolve_scenario(scenario_with(
        {"name": "a1", "product_version": "6.1.0", "licence_expiry_days": -1},
        {"name": "a2", "enable_xha": None, "product_brand": None},
        {"name": "a3", "xapi_pool": "b"}, {"name": "a4", "xapi_pool": "own"}), "s.yml")
    pools = xapi_pools(build_topology(scenario))
    assert {name: sorted(h["name_label"] for h in pool["objects"]["host"].values()) for name, pool in pools.items()} \
        == {"a": ["a1", "a2"], "b": ["a3", "b1"], "a/own-a4": ["a4"]}
    assert pools["b"]["master_address"] != build_topology(scenario).host("a3").address
    a1, a2 = parse_host_licences(pools["a"]["objects"]["host"])
    assert (a1.product_brand, a1.product_version, a1.enable_xha) == ("XenServer", "6.1.0", "true")
    assert timedelta(days=-1, minutes=-1) < a1.expiry - datetime.now(timezone.utc) < timedelta(days=-1, minutes=1)
    assert (a2.product_brand, a2.enable_xha, a2.expiry_text) == (None, None, "never")
