"""DB-VIP-SINGLE-HOLDER: sessions and the PROCESS privilege (parsers/processlist.py) on recorded
outputs, the VIP as the policy or db.properties names it, and the pair's rule (rules/db_vip.py)."""
from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stackaudit.config.policy import policy_from_data
from stackaudit.errors import NotCheckable, UnparsableOutput
from stackaudit.parsers.localnames import OwnNames
from stackaudit.parsers.processlist import Session, grantee_of, parse_process_privilege, parse_sessions
from stackaudit.parsers.unit_states import UnitState
from stackaudit.rules.db_vip import PairMember, ManagementView, management_view, pair_findings, the_vip
from stackaudit.rules.scope import DATABASE_VIP
from tests.unit.hypothesis_budget import examples

RECORDED = Path(__file__).resolve().parent.parent / "data" / "recorded"
VIP = "198.18.0.250"
RUNNING = UnitState("keepalived", "systemd", True, "enabled", "active")


def recorded(name: str):
    return json.loads((RECORDED / name).read_text())


def member(name: str, address: str, holds: bool, sessions=(), keepalived=RUNNING) -> PairMember:
    addresses = {"127.0.0.1", address} | ({VIP} if holds else set())
    return PairMember(f"db://{name}", (name, address), keepalived, frozenset(addresses), tuple(sessions))


def pair(holds1=True, holds2=False, sessions2=(), **kw) -> list[PairMember]:
    return [member("db1", "198.18.0.100", holds1, **kw), member("db2", "198.18.0.101", holds2, sessions2)]


VIEWS = {"mgmt://ms1": ManagementView(VIP, ("cloud",)), "mgmt://ms2": ManagementView(VIP, ("cloud",))}


def test_recorded_processlists_read_the_replication_threads_and_tcp_clients():
    assert parse_sessions(recorded("processlist-mydumper-issue236.json")) == (
        Session("event_scheduler", "localhost"), Session("system user", ""), Session("system user", ""),
        Session("root", "localhost"))
    clients = parse_sessions(recorded("processlist-mydumper-issue677.json"))
    assert [s.described for s in clients] == ["pmm@127.0.0.1:31994", "pmm@127.0.0.1:32068", "pmm@127.0.0.1:32114"]


@pytest.mark.parametrize("rows, message", [
    ({"USER": "x"}, r"^SELECT USER, HOST FROM information_schema.PROCESSLIST: expected a list of rows"),
    ([{"USER": "cloud"}], r"a row without HOST"),
    ([{"USER": 7, "HOST": ""}], r"USER is int, not text"),
])
def test_sessions_that_are_not_rows_are_unparsable(rows, message):
    with pytest.raises(UnparsableOutput, match=message):
        parse_sessions(rows)


def test_process_is_held_only_by_the_current_user_itself():
    row = {"account": "stackaudit@%", "GRANTEE": "'stackaudit'@'%'", "PRIVILEGE_TYPE": "PROCESS"}
    assert parse_process_privilege([row])
    # an audit user with SELECT on the mysql schema sees everyone's rows: root's PROCESS is not its own
    assert not parse_process_privilege([{**row, "GRANTEE": "'root'@'localhost'"}])
    assert not parse_process_privilege([])
    assert grantee_of("odd@name@10.0.0.%") == "'odd@name'@'10.0.0.%'"
    with pytest.raises(UnparsableOutput, match=r"not user@host"):
        parse_process_privilege([{**row, "account": "nobody"}])


@settings(max_examples=examples(200), deadline=None)
@given(st.one_of(st.lists(st.dictionaries(st.sampled_from(["USER", "HOST", "GRANTEE", "PRIVILEGE_TYPE", "account"]),
                                          st.one_of(st.none(), st.text(max_size=20), st.integers(), st.binary(max_size=4)))),
                 st.text(max_size=10), st.none()))
def test_any_rows_parse_or_raise_unparsable(rows):
    for parse in (parse_sessions, parse_process_privilege):
        try:
            parse(rows)
        except UnparsableOutput:
            pass


def test_one_holder_keepalived_everywhere_and_sessions_only_on_the_holder_pass():
    sessions = [Session("system user", ""), Session("repl", "198.18.0.100:40012")]
    findings, evidence = pair_findings(None, pair(sessions2=sessions), VIEWS, complete=True)
    assert findings == [] and evidence["holders"] == ["db://db1"] and evidence["VIP"] == VIP


def test_the_vip_held_by_none_or_by_both():
    assert pair_findings(None, pair(holds1=False), VIEWS, True)[0] == [
        f"no database server holds the VIP {VIP}: the management servers cannot reach the database"]
    assert pair_findings(None, pair(holds2=True), VIEWS, True)[0] == [
        f"the VIP {VIP} is on db://db1 and db://db2 at once: split brain, each takes writes the other replicates"]


def test_cloudstack_sessions_on_the_standby_fail_and_are_counted():
    sessions = [Session("cloud", f"198.18.0.11:{port}") for port in range(40000, 40007)] + [Session("system user", "")]
    (finding,), _ = pair_findings(None, pair(sessions2=sessions), VIEWS, True)
    assert finding.startswith(f"db://db2, the standby (db://db1 holds the VIP {VIP}), has 7 session(s) of the "
                              "CloudStack database user(s) cloud: cloud@198.18.0.11:40000")
    assert finding.endswith("and 2 more")
    # a usage user of its own counts too
    views = {**VIEWS, "mgmt://ms2": ManagementView(VIP, ("cloud", "usage"))}
    (finding,), _ = pair_findings(None, pair(sessions2=[Session("usage", "x:1")]), views, True)
    assert "user(s) cloud, usage: usage@x:1" in finding


def test_keepalived_must_be_enabled_running_and_installed():
    stopped = UnitState("keepalived", "systemd", True, "disabled", "inactive")
    findings, _ = pair_findings(None, pair(keepalived=stopped), VIEWS, True)
    assert findings == ["db://db1: keepalived is disabled: it does not start at boot",
                        "db://db1: keepalived is not running (inactive)"]
    missing = UnitState("keepalived", "systemd", False)
    assert pair_findings(None, pair(keepalived=missing), VIEWS, True)[0] == [
        "db://db1: keepalived is not installed (the host knows no unit keepalived)"]
    # half the pair read: only keepalived is judged, where the VIP is cannot be told
    assert pair_findings(None, pair(holds1=False, keepalived=missing), VIEWS, complete=False) == (
        ["db://db1: keepalived is not installed (the host knows no unit keepalived)"], {})


def test_the_vip_is_the_policys_else_the_one_host_db_properties_name():
    members = pair()
    assert the_vip("198.18.0.7", VIEWS, members) == "198.18.0.7"
    # a server bypassing the VIP to name db1 itself does not make the VIP ambiguous
    assert the_vip(None, {**VIEWS, "mgmt://ms3": ManagementView("198.18.0.100", ("cloud",))}, members) == VIP
    with pytest.raises(NotCheckable, match=r"^the database is named by a server's own address, not a VIP "
                                           r"\(mgmt://ms1, mgmt://ms2: db1 \(db://db1\)\); if it is reached without one, "
                                           r"set database.address"):
        the_vip(None, {k: ManagementView("db1", ("cloud",)) for k in VIEWS}, members)
    with pytest.raises(NotCheckable, match=r"name different database hosts \(198.18.0.250 \(mgmt://ms1\); "
                                           r"198.18.0.9 \(mgmt://ms2\)\)"):
        the_vip(None, {**VIEWS, "mgmt://ms2": ManagementView("198.18.0.9", ())}, members)
    with pytest.raises(NotCheckable, match=r"name the database as 'db-vip.example', not an address"):
        the_vip(None, {k: ManagementView("db-vip.example", ()) for k in VIEWS}, members)
    with pytest.raises(NotCheckable, match=r"^no management server's db.properties names a database host"):
        the_vip(None, {k: ManagementView(None, ()) for k in VIEWS}, members)


def test_db_properties_as_cloudstack_reads_it_uri_first_and_never_the_server_itself():
    own = OwnNames(frozenset({"ms1"}), frozenset({"198.18.0.10"}))
    packaged = {"db.cloud.driver": "jdbc:mysql", "db.usage.driver": "jdbc:mysql", "db.cloud.port": "3306",
                "db.usage.port": "3306", "db.cloud.timeBetweenEvictionRunsMillis": "40000",
                "db.cloud.minEvictableIdleTimeMillis": "240000", "db.cloud.maxActive": "250", "db.cloud.maxIdle": "30",
                "db.cloud.maxWait": "10000", "db.usage.maxActive": "100", "db.usage.maxIdle": "30",
                "db.usage.maxWait": "10000"}
    props = {**packaged, "db.cloud.host": "localhost", "db.cloud.uri": f"jdbc:mysql://{VIP}:3306/cloud",
             "db.usage.username": "u"}
    assert management_view(props, own) == ManagementView(VIP, ("cloud", "u"))
    assert management_view({**packaged, "db.cloud.host": "198.18.0.10"}, own) == ManagementView(None, ("cloud",))
    # a file CloudStack cannot load makes it fall back on localhost: no VIP from it
    assert management_view({**packaged, "db.cloud.host": VIP, "db.cloud.port": "x"}, own) == ManagementView(None, ("cloud",))
    assert management_view(None, own) == ManagementView(None, ())


def test_scope_a_pair_behind_an_address_of_its_own():
    servers = [SimpleNamespace(name=n, address=a, ssh_address=None, aliases=("db-a",) if n == "db1" else ())
               for n, a in (("db1", "198.18.0.100"), ("db2", "198.18.0.101"))]
    inventory = SimpleNamespace(databases=SimpleNamespace(servers=servers))
    check = DATABASE_VIP.out_of_scope
    assert check(None, None, policy_from_data({}, "p"), inventory) is None
    assert check(None, None, policy_from_data({"database": {"address": VIP}}, "p"), inventory) is None
    assert check(None, None, policy_from_data({"database": {"address": "DB-A"}}, "p"), inventory) == (
        "the policy's database.address DB-A is database server db1 itself, not a VIP")
    v6 = SimpleNamespace(databases=SimpleNamespace(servers=[
        SimpleNamespace(name="db1", address="fd00::100", ssh_address=None, aliases=()), servers[1]]))
    assert check(None, None, policy_from_data({"database": {"address": "fd00:0:0::100"}}, "p"), v6) == (
        "the policy's database.address fd00:0:0::100 is database server db1 itself, not a VIP")
    one = SimpleNamespace(databases=SimpleNamespace(servers=servers[:1]))
    assert check(None, None, policy_from_data({}, "p"), one) == "fewer than two database servers: no pair to hold a VIP"
    assert check(None, None, policy_from_data({}, "p"), SimpleNamespace(databases=None)).startswith("fewer than two")


def test_recorded_mariadb_sessions_of_a_standby_fail_on_cloud_only():
    sessions = parse_sessions(recorded("processlist-mariadb-10.11-lab.json"))
    assert {s.user for s in sessions} == {"stackaudit", "cloud", "system user", "repl"}
    assert parse_process_privilege(recorded("user-privileges-process-mariadb-10.11-lab.json"))
    (finding,), _ = pair_findings(None, pair(sessions2=sessions), VIEWS, True)
    assert "has 1 session(s) of the CloudStack database user(s) cloud: cloud@198.18.0.11:" in finding
