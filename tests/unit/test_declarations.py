"""Facts are declared once (collect/declarations.py) and tied to the checks that read them: a check
declares its facts, the declarations exist for its target kinds, a run collects only what its
selected checks read, and a check cannot read a fact it did not declare."""
from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace

import pytest

from stackaudit.catalog import catalog, check, validate_reads
from stackaudit.collect.collectors import Collector
from stackaudit.collect.declarations import DECLARED, FACTS, Command, Query, readings_of, shell
from stackaudit.collect.facts import Facts
from stackaudit.targets import KINDS, Snapshot, Target
from stackaudit.errors import CollectionFailed
from stackaudit.plugin import fact_needs
from tests.unit.test_catalog import implementations

PARSERS = Path(__file__).resolve().parents[2] / "stackaudit" / "parsers"


def test_every_fact_is_declared_once_with_kinds_readings_and_a_parser():
    assert len(FACTS) == len(DECLARED)
    for fact in DECLARED:
        assert fact.kinds and set(fact.kinds) <= set(KINDS), fact.name
        assert fact.reads and callable(fact.parse), fact.name
        assert set(fact.uses) <= set(FACTS), fact.name


def test_a_section_name_means_one_command_everywhere():
    commands = {}
    for fact in DECLARED:
        for reading in fact.reads:
            if isinstance(reading, Command):
                assert commands.setdefault(reading.name, reading) == reading, reading.name


def test_parsers_hold_no_command_strings():
    """Commands live in the declarations; a parser only parses."""
    found = [f"{path.name}: {m[0]}" for path in sorted(PARSERS.glob("*.py"))
             for m in re.finditer(r"^[A-Z_]*(COMMAND|FORMAT)[A-Z_]* = .*$", path.read_text(), re.M)]
    assert found == []


def test_arguments_are_quoted_for_the_shell():
    assert shell("cat", "/etc/my file") == "cat '/etc/my file'"
    assert shell("dpkg-query", "-W", "libssl*") == "dpkg-query -W 'libssl*'"


def test_every_check_declares_facts_that_exist_for_each_kind_it_reads_them_on():
    for check_id, function in implementations():
        own, members = function.stackaudit_reads
        validate_reads(catalog()[check_id], own, members)   # raises on an undeclared fact or kind


def test_a_check_reading_an_unknown_fact_or_a_fact_of_another_kind_is_refused():
    with pytest.raises(ValueError, match="reads fact 'nonsense', which no declaration names"):
        check("DB-BINLOG-ROW", reads=("nonsense",))
    with pytest.raises(ValueError, match="reads fact 'management_processes' on a db; it is declared for mgmt"):
        check("DB-BINLOG-ROW", reads=("management_processes",))


def item(function, target_id):
    return SimpleNamespace(function=function, callspec=SimpleNamespace(params={"any": target_id}))


def test_a_run_of_one_check_collects_only_its_facts_on_only_its_targets(monkeypatch):
    monkeypatch.setattr("stackaudit.plugin.TARGET_FIXTURES", {"any": ()})
    functions = dict(implementations())
    snapshot = Snapshot("c", [Target("db", "db1"), Target("db", "db2"), Target("cloud", "c"),
                              Target("kvm-host", "hv1", "z")])
    assert fact_needs([item(functions["DB-BINLOG-ROW"], "db://db1")], snapshot) == {"db://db1": {"variables"}}
    needs = fact_needs([item(functions["DB-REPLICATION-HEALTHY"], "cloud://c")], snapshot)
    assert needs == {"cloud://c": set(), "db://db1": {"variables", "replica_channels", "source_addresses"},
                     "db://db2": {"variables", "replica_channels", "source_addresses"}}
    collector = Collector(SimpleNamespace(), None, snapshot)
    collector.needs = fact_needs([item(functions["KVM-LIBVIRTD-LISTEN"], "kvm-host://z/hv1")], snapshot)
    assert collector.commands(Target("kvm-host", "hv1", "z"))["libvirtd_process"] == shell(
        "ps", "-C", "libvirtd", "-o", "user:32,pid,args", "--no-headers")
    assert collector.collect(Target("db", "db1")) == {}   # nothing selected reads it: not even connected to


def test_facts_a_parse_uses_are_read_with_it():
    names = [r.name for r in readings_of({"replica_channels"}, "db")]
    assert names == ["server_version", "replicas"]
    assert all(isinstance(r, Query) for r in readings_of({"replica_channels"}, "db"))
    assert {r.name for r in readings_of({"mysqld_options"}, "db")} == {"cnf_files", "server_version"}


class Store:
    def __init__(self, raw):
        self._raw = raw

    def raw(self, target):
        return self._raw


def test_a_check_cannot_read_a_fact_it_did_not_declare(monkeypatch):
    monkeypatch.setattr("stackaudit.collect.facts.allure", SimpleNamespace(attach=lambda *a: None,
                        attachment_type=SimpleNamespace(TEXT=None, JSON=None)))
    rows = [{"Variable_name": "log_bin", "Value": "ON"}]
    facts = Facts(Target("db", "db1"), Store({"sql": {"queries": {"variables": {"rows": rows}}}}),
                  declared=(("listeners",), {}))
    with pytest.raises(CollectionFailed, match="the check reads fact variables but does not declare it"):
        facts.variables
    declared = Facts(Target("db", "db1"), Store({"sql": {"queries": {"variables": {"rows": rows}}}}),
                     declared=(("variables",), {}))
    assert declared.variables["log_bin"] == "ON"
