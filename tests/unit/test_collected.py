"""A collected reading is typed (collect/collected.py): what each channel returned, with the command,
statement or call used and when, is written to a target's raw facts and read back in one place, and
the facts' value functions read it from there (never by key names, never parsing a fact twice)."""
from __future__ import annotations

from types import SimpleNamespace

import pytest

from stackaudit.collect import collected
from stackaudit.collect.collected import Collected
from stackaudit.collect.facts import Facts
from stackaudit.collect.target_secrets import secrets_in
from stackaudit.errors import CollectionFailed, UnparsableOutput
from stackaudit.targets import Target
from tests.unit.test_declarations import Store
from tests.unit.test_replication_source_names import WIKIMEDIA

AT = "2026-12-06T19:00:00+00:00"
ERROR = {"type": "CollectionFailed", "message": "MariaDB db://db1: SHOW GLOBAL VARIABLES failed: denied"}
READINGS = {
    "ssh": [Collected("ssh", "hostname", "db1\n", "hostname", AT, 0, ""),
            Collected("ssh", "etc_hostname", "", "cat /etc/hostname", AT, 1, "cat: /etc/hostname: No such file\n")],
    "sql": [Collected("sql", "replicas", [{"Master_Host": "db2"}], "SHOW REPLICA STATUS", AT),
            Collected("sql", "variables", None, "SHOW GLOBAL VARIABLES", AT, error=ERROR)],
    "xapi": [Collected("xapi", "pool", {"OpaqueRef:1": {"ha_enabled": False}}, "pool.get_all_records", AT)],
    "api": [Collected("api", "ldap", [], "listLdapConfigurations listall=true", AT)],
}


@pytest.mark.parametrize("channel", sorted(READINGS))
def test_each_channel_reads_back_what_it_stored(channel):
    part = collected.store(channel, READINGS[channel], tls="not verified")
    assert part["tls"] == "not verified"
    for reading in READINGS[channel]:
        assert collected.load(channel, reading.name, part) == reading
    assert collected.load(channel, "never_read", part) is None


def test_the_stored_layout_is_the_one_the_fact_store_masking_and_summary_read():
    assert collected.store("ssh", READINGS["ssh"][:1]) == {"sections": {"hostname": {
        "exit_code": 0, "stdout": "db1\n", "stderr": "", "used": "hostname", "read_at": AT}}}
    assert collected.store("sql", READINGS["sql"])["queries"]["variables"] == {
        "error": ERROR, "used": "SHOW GLOBAL VARIABLES", "read_at": AT}
    assert collected.store("api", READINGS["api"], domains=[]) == {
        "ldap": [], "read": {"ldap": {"used": "listLdapConfigurations listall=true", "read_at": AT}}, "domains": []}


def test_a_record_of_another_shape_has_no_output():
    assert collected.load("ssh", "hostname", {"sections": {"hostname": "db1"}}).output is None
    assert collected.load_all("ssh", {"sections": ["hostname"]}) == {}
    assert collected.load_all("ssh", {"error": ERROR}) == {} and collected.load_all("sql", None) == {}
    assert secrets_in({"ssh": {"sections": {"db_properties": "db.cloud.password=x"}}},
                      {("ssh", "db_properties"): lambda text: [text]}) == []


def facts_of(raw: dict) -> Facts:
    return Facts(Target("db", "db1"), Store(raw))


@pytest.fixture(autouse=True)
def no_allure(monkeypatch):
    monkeypatch.setattr("stackaudit.collect.facts.allure", SimpleNamespace(attach=lambda *a: None,
                        attachment_type=SimpleNamespace(TEXT=None, JSON=None)))


def test_the_replication_status_is_read_in_the_statement_recorded_with_it_without_the_version():
    """The collector chose the statement from the server's version; the fact takes it from the
    reading: a server_version that would now say otherwise, or none at all, changes nothing."""
    replicas = Collected("sql", "replicas", WIKIMEDIA, "SHOW ALL SLAVES STATUS", AT)
    facts = facts_of({"sql": collected.store("sql", [replicas])})
    assert [channel.source_host for channel in facts.replica_channels] == ["db1184.eqiad.wmnet"]
    wrong = Collected("sql", "replicas", [{"Master_Host": "db2"}], "SHOW REPLICA STATUS", AT)
    with pytest.raises(UnparsableOutput, match="^SHOW REPLICA STATUS row 1: no "):
        facts_of({"sql": collected.store("sql", [wrong])}).replica_channels


def test_a_reading_that_failed_or_was_never_read_is_broken_not_empty():
    facts = facts_of({"sql": collected.store("sql", READINGS["sql"]), "ssh": collected.store("ssh", READINGS["ssh"])})
    with pytest.raises(CollectionFailed, match="SHOW GLOBAL VARIABLES failed: denied"):
        facts.sql("variables")
    with pytest.raises(CollectionFailed, match="no output for schema_versions"):
        facts.sql("schema_versions")
    assert facts.reading("ssh", "hostname").used == "hostname"
    assert facts.section("etc_hostname") is None       # cat of a file that does not exist: absent


def test_the_declarations_hold_no_rule():
    """Which processes to list is a reading's parameter; which of them is the server, a rule the
    check calls: no module of collect/ imports one of rules/."""
    from pathlib import Path

    from tests.unit.test_layout import imported
    collect = Path(__file__).resolve().parents[2] / "stackaudit" / "collect"
    found = {str(path.relative_to(collect)): sorted(n for n in imported(path) if n.startswith("stackaudit.rules"))
             for path in sorted(collect.rglob("*.py"))}
    assert {path: names for path, names in found.items() if names} == {}
