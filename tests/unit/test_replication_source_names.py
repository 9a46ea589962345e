"""DB-REPLICATION-HEALTHY with sources given by host name, resolved on the replica's own host.

Recorded (tests/data/recorded/SOURCES.md says where each comes from):
- outside-mariadb-show-slave-status-wikimedia-fqdn.txt: `SHOW SLAVE STATUS\\G` of a Wikimedia replica
  (db1251) whose Master_Host is the fully qualified `db1184.eqiad.wmnet` (wikimedia/operations-cookbooks);
- getent-ahosts-localhost-debian12.txt: `getent ahosts localhost` on this Debian 12 machine.
"""
from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stackaudit.collect.collectors import Collector
from stackaudit.collect import collected
from stackaudit.collect.collected import Collected
from stackaudit.collect.declared.database import source_lookup_line, source_names
from stackaudit.config.policy import policy_from_data
from stackaudit.targets import Snapshot, Target
from stackaudit.errors import NotCheckable, UnparsableOutput
from stackaudit.parsers.getent import lookup_command, parse_getent_ahosts, parse_lookups
from stackaudit.parsers.mysql import parse_replica_status
from stackaudit.rules.database import ReplicationMember, replication_findings
from tests.unit.hypothesis_budget import examples
from tests.unit.vertical import vertical_rows

RECORDED = Path(__file__).resolve().parent.parent / "data" / "recorded"
MASTER_MASTER = policy_from_data({}, "test")
MASTER_REPLICA = policy_from_data({"database": {"topology": "master-replica"}}, "test")
WIKIMEDIA = vertical_rows((RECORDED / "outside-mariadb-show-slave-status-wikimedia-fqdn.txt").read_text())
VARIABLES = ({"server_id": "171978826", "auto_increment_increment": "2", "auto_increment_offset": "1"},
             {"server_id": "171978827", "auto_increment_increment": "2", "auto_increment_offset": "2"})
# The source by address, as the pair's other direction (the lab's form)
BACK = [{**WIKIMEDIA[0], "Master_Host": "198.18.0.151"}]


def pair(resolved: dict, back=BACK) -> dict[str, ReplicationMember]:
    """db1184 (the source) and db1251, the recorded replica, with what db1251's host resolves."""
    return {"db://db1184": ReplicationMember("db1184", "198.18.0.150", (), VARIABLES[0],
                                             tuple(parse_replica_status(back))),
            "db://db1251": ReplicationMember("db1251", "198.18.0.151", (), VARIABLES[1],
                                             tuple(parse_replica_status(WIKIMEDIA)), resolved)}


def test_the_recorded_fqdn_source_was_reported_outside_the_inventory_without_a_lookup():
    assert replication_findings(pair({}), MASTER_MASTER) == [
        "db://db1251 replicating from db1184.eqiad.wmnet: db1184.eqiad.wmnet is not a database server of the "
        "inventory (by name, alias or address)",
        "db://db1251 does not replicate from its peer (db://db1184): master-master needs both directions"]


@pytest.mark.parametrize("addresses", [("198.18.0.150",), ("2001:db8::1", "198.18.0.150")],
                         ids=["ipv4", "ipv6-and-ipv4"])
def test_the_fqdn_resolved_on_the_replica_to_its_peer_is_a_healthy_pair(addresses):
    resolved = {"db1184.eqiad.wmnet": addresses}
    assert replication_findings(pair(resolved), MASTER_MASTER) == []
    assert replication_findings(pair(resolved), MASTER_REPLICA) == []


def test_a_name_resolving_elsewhere_is_a_finding():
    findings = replication_findings(pair({"db1184.eqiad.wmnet": ("198.18.0.9",)}), MASTER_MASTER)
    assert findings[0].startswith("db://db1251 replicating from db1184.eqiad.wmnet: db1184.eqiad.wmnet is not a "
                                  "database server of the inventory")
    assert "db://db1251 does not replicate from its peer (db://db1184)" in findings[1]


def test_a_name_the_replica_cannot_resolve_is_not_checked_never_passed():
    with pytest.raises(NotCheckable, match=r"^db://db1251 replicating from db1184.eqiad.wmnet: db1184.eqiad.wmnet "
                                           r"does not resolve on db://db1251's host \(getent ahosts: not found\)$"):
        replication_findings(pair({"db1184.eqiad.wmnet": None}), MASTER_MASTER)
    # with another finding, the result fails and still says what it could not check
    stopped = [{**BACK[0], "Slave_SQL_Running": "No"}]
    findings = replication_findings(pair({"db1184.eqiad.wmnet": None}, stopped), MASTER_MASTER)
    assert findings == ["db://db1184 replicating from db://db1251: Slave_SQL_Running is No",
                        "(not checked: db://db1251 replicating from db1184.eqiad.wmnet: db1184.eqiad.wmnet does "
                        "not resolve on db://db1251's host (getent ahosts: not found))"]


def test_an_inventory_alias_still_counts_whatever_the_name_resolves_to():
    servers = pair({"db1184.eqiad.wmnet": ("10.64.0.5",)})     # a replication network the inventory does not list
    servers["db://db1184"] = ReplicationMember("db1184", "198.18.0.150", ("db1184.eqiad.wmnet",), VARIABLES[0],
                                               tuple(parse_replica_status(BACK)))
    assert replication_findings(servers, MASTER_MASTER) == []


# --- the lookup: which names, the command, its output ---------------------------------------------

def replicas(rows) -> Collected:
    """The replication status as the collector keeps it: the rows, and the statement they answer."""
    return Collected("sql", "replicas", rows, "SHOW SLAVE STATUS", "2026-12-06T19:00:00+00:00")


def test_only_host_names_are_looked_up_each_once():
    channels = parse_replica_status(WIKIMEDIA + [{**WIKIMEDIA[0], "Master_Host": "198.18.0.150"},
                                                 {**WIKIMEDIA[0], "Master_Host": "[2001:db8::1]"},
                                                 {**WIKIMEDIA[0], "Master_Host": "x; reboot"},
                                                 WIKIMEDIA[0]])
    assert source_names(channels) == ["db1184.eqiad.wmnet"]
    assert source_lookup_line(replicas(WIKIMEDIA)) == lookup_command(["db1184.eqiad.wmnet"])
    assert source_lookup_line(replicas(BACK)) is None
    assert source_lookup_line(replicas([{"Master_Host": "x"}])) is None      # unparsable: no lookup
    with pytest.raises(ValueError):
        lookup_command(["-s", "x"])


def test_the_collector_builds_the_lookup_from_the_replicas_answer():
    snapshot = Snapshot("c", [Target("db", "db1251")])
    collector = Collector(SimpleNamespace(), None, snapshot)
    collector.needs = {"db://db1251": {"source_addresses"}}
    target = snapshot.by_id("db://db1251")
    assert "source_lookups" not in collector.commands(target)
    assert collector.runs_commands(target)        # so its SSH endpoint is connected to after its SQL
    sql = collected.store("sql", [replicas(WIKIMEDIA)])
    assert collector.commands(target, sql)["source_lookups"] == lookup_command(["db1184.eqiad.wmnet"])
    refused = Collected("sql", "replicas", error={"type": "CollectionFailed", "message": "x"})
    assert "source_lookups" not in collector.commands(target, collected.store("sql", [refused]))


def test_recorded_getent_ahosts_output():
    text = (RECORDED / "getent-ahosts-localhost-debian12.txt").read_text()
    assert parse_getent_ahosts(text) == ("127.0.0.1",)
    framed = "".join(f" {line}\n" for line in text.splitlines()) + "= 0\n= 2\n"
    assert parse_lookups(framed, ["localhost", "db9.invalid"]) == {"localhost": ("127.0.0.1",), "db9.invalid": None}


@pytest.mark.parametrize("text, message", [
    ("= 0\n", "answers for 1 of 2 names"),
    (" 127.0.0.1 STREAM a\n", "answers for 0 of 2 names"),
    ("= 0\n= 0\n= 0\n", "unexpected line '= 0'"),
    ("127.0.0.1 STREAM forged\n= 0\n= 0\n", "unexpected line '127.0.0.1 STREAM forged'"),
    (" not-an-address STREAM a\n= 0\n= 0\n", "getent ahosts a line 1: expected '<address>"),
    ("= 1\n= 0\n", "getent ahosts a exited 1"),
], ids=["cut-short", "no-end", "extra-answer", "unframed-line", "not-an-address", "other-exit"])
def test_malformed_lookups_are_unparsable(text, message):
    with pytest.raises(UnparsableOutput, match=message.replace("(", r"\(").replace("'", "'")):
        parse_lookups(text, ["a", "b"])


@settings(max_examples=examples(300), deadline=None)
@given(st.text(alphabet=st.sampled_from(list(" =0123456789.:abSTREAM\n")), max_size=200),
       st.lists(st.sampled_from(["a", "b.example", "c"]), min_size=1, max_size=3))
def test_lookup_parser_raises_only_unparsable(text, names):
    try:
        parse_lookups(text, names)
    except UnparsableOutput:
        pass
