"""`stackaudit explain CHECK-ID`: for every check of the catalog, each piece a reader needs, checked
against the declarations and the source it is read from."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from stackaudit.cli import main
from stackaudit.catalog import catalog
from stackaudit.collect.declarations import FACTS, closure
from stackaudit.explain import check_functions, explain, lab_text, text
from stackaudit.explain_lab import lab_cases
from stackaudit.explain_source import CHECKOUT

SECTIONS = ("CATALOG RECORD", "FACTS IT READS", "API ROWS IT READS", "CODE", "TARGETS IT APPLIES TO",
            "LAB CASES THAT MAKE IT FAIL", "LAB SCENARIOS WHERE IT PASSES", "TESTS THAT RUN THESE SCENARIOS")


def line_at(place: str) -> str:
    path, line = place.rsplit(":", 1)
    return (CHECKOUT / path).read_text().splitlines()[int(line) - 1]


def expected_reading_text(reading) -> str:
    """What the text must show of a reading, taken from the declaration itself."""
    if type(reading).__name__ == "Command":
        return reading.line if isinstance(reading.line, str) else reading.line.__qualname__
    if type(reading).__name__ == "Query":
        if callable(reading.statement):
            return f"chosen from the policy by {reading.statement.__qualname__} ("
        return reading.statement or f"by {reading.statement_of.__qualname__} ("
    if type(reading).__name__ == "Records":
        return f"{reading.xapi_class}.get_all_records"
    return reading.calls


@pytest.mark.parametrize("check_id", sorted(catalog()))
def test_explain_shows_every_piece_of_every_check(check_id):
    explanation = explain(check_id)
    shown = text(explanation)
    record = catalog()[check_id]
    for heading in SECTIONS:
        assert f"\n{heading}" in shown, heading
    assert shown.startswith(f"{check_id}: {record.title}\n")
    assert f"severity:    {record.severity}" in shown
    for kind in record.targets:
        assert f"\n  {kind} (" in shown

    function = check_functions()[check_id]
    own, members = function.stackaudit_reads
    declared = set(own) | {name for names in members.values() for name in names}
    assert {fact.fact for fact in explanation.facts} == declared
    for name in declared:
        assert f"\n  {name} on " in shown
        for fact_name in closure([name]):
            for reading in FACTS[fact_name].reads:
                assert f"{reading.name}:\n      " in shown, (name, reading)
                # a shell program of several lines is shown indented under its section, line by line
                expected = "\n      ".join(expected_reading_text(reading).splitlines())
                assert expected in shown, (name, reading)

    assert line_at(explanation.check_place).startswith(f"def {function.__name__}(")
    for name, place in (*explanation.calls.rules, *explanation.calls.helpers):
        assert line_at(place).lstrip().startswith(f"def {name.rsplit('.', 1)[1]}("), (name, place)
        assert f"({place})" in shown


@pytest.mark.parametrize("check_id", sorted(catalog()))
def test_every_check_has_a_lab_case_that_makes_it_fail(check_id):
    lab = explain(check_id).lab
    assert lab is not None, "lab/ ships in the checkout"
    assert lab.failing, f"{check_id}: no seeded case in lab/scenarios/violations.yml or matrix/*.yml fails it"
    for case in lab.failing:
        assert (CHECKOUT / case.scenario).is_file() and case.targets


def test_host_iptables_v4_names_its_commands_rules_and_lab_cases():
    shown = text(explain("HOST-IPTABLES-V4"))
    for command in ("iptables-save", "cat /etc/iptables/rules.v4", "cat /etc/sysconfig/iptables",
                    "ls -1 /etc/systemd/system/multi-user.target.wants", "cat /etc/os-release"):
        assert f"\n      {command}\n" in shown
    assert "(a missing file means the fact is absent)" in shown
    rules = [name for name, _ in explain("HOST-IPTABLES-V4").calls.rules]
    assert rules == ["stackaudit.rules.firewall.walk_firewall", "stackaudit.rules.firewall.firewall_findings",
                     "stackaudit.rules.firewall.firewall_evidence"]
    assert "helper:         checks.test_hosts.firewall_findings_with_evidence (checks/test_hosts.py:" in shown
    assert "lab/scenarios/violations.yml persisted_rules_missing: failed on kvm-host://zone1/kvm02" in shown
    assert "lab/scenarios/matrix/firewall.yml undecidable_before_verdict: broken on kvm-host://zone1/fw03" in shown
    assert "\n  lab/scenarios/compliant.yml\n" in shown
    assert "tests/checks/test_matrix.py: violations.yml, matrix/*.yml" in shown


@pytest.mark.parametrize("check_id, rows", [
    ("MS-VERSION-CONSISTENT", ("listManagementServers", "listHosts")),
    ("GATE-CAPACITY-N1", ("listHosts where clusterid=cluster.target.attrs.id",)),
    ("SVM-PER-ZONE", ("listSystemVms where zoneid=zone.target.attrs.id",)),
    ("HOST-IPTABLES-V4", ()),
])
def test_api_rows_read_straight_from_discovery_are_listed(check_id, rows):
    assert explain(check_id).calls.api_rows == rows


def test_a_command_built_per_target_says_what_builds_it():
    shown = text(explain("GATE-BACKUP-FRESH"))
    assert "built per target (from the policy and the target's kind) by backup_listing (" in shown
    shown = text(explain("DB-REPLICATION-HEALTHY"))
    assert "built per target from the answer of SQL query 'replicas' by source_lookup_line (" in shown
    assert ("chosen per target from the answer of server_version by replica_status_statement "
            "(stackaudit/collect/declared/database.py:") in shown


def test_scope_conditions_are_named():
    shown = text(explain("XS-POOL-HA-ENABLED"))
    assert "only where: pool HA relied on (decided by _pool_ha, stackaudit/rules/scope.py:" in shown
    assert "; judged on the versions listManagementServers reports, as discovered" in shown
    place = shown.split("decided by _pool_ha, ", 1)[1].split(")", 1)[0]
    assert line_at(place).startswith("def _pool_ha(")
    assert "only where: enabled zones (decided by _zone_enabled" in text(explain("SVM-PER-ZONE"))
    assert "only where:" not in text(explain("HOST-IPTABLES-V4"))


def test_every_api_call_of_the_declarations_says_what_it_asks():
    """The collector makes the calls a declaration names (readers.read_api_call), so what explain
    shows of them is the declaration's own: a list command, or a reader with its calls in words."""
    calls = [reading for fact in FACTS.values() for reading in fact.reads if type(reading).__name__ == "ApiCall"]
    assert calls and all((call.command.startswith("list") and call.reader is None and not call.asks)
                         or (call.reader is not None and call.asks and not call.command) for call in calls)


def test_without_the_lab_the_lab_section_says_so(tmp_path):
    assert lab_cases("HOST-IPTABLES-V4", tmp_path / "no-lab") is None
    assert "lab cases: not in this installation" in lab_text(None)


def test_cli_prints_the_explanation(capsys):
    assert main(["explain", "HOST-IPTABLES-V4"]) == 0
    out = capsys.readouterr().out
    assert out == text(explain("HOST-IPTABLES-V4"))


def test_cli_json(capsys):
    assert main(["explain", "DB-BIND-ADDRESS", "--format=json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["record"]["id"] == "DB-BIND-ADDRESS"
    assert [fact["fact"] for fact in document["facts"]] == ["listeners"]


def test_unknown_id_is_one_line_with_the_closest_ids_and_exit_4(capsys):
    assert main(["explain", "HOST-IPTABLES"]) == 4
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1
    assert "no check 'HOST-IPTABLES' in the catalog" in captured.err
    assert "HOST-IPTABLES-V4" in captured.err and "HOST-IPTABLES-V6" in captured.err


def test_a_record_without_a_check_function_is_one_line(monkeypatch, capsys):
    monkeypatch.setattr("stackaudit.explain.check_functions", lambda: {})
    assert main(["explain", "DB-BIND-ADDRESS"]) == 4
    assert "DB-BIND-ADDRESS is in the catalog but no check function implements it" in capsys.readouterr().err


def test_without_an_id_every_check_is_listed_with_its_title(capsys):
    assert main(["explain"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == list(catalog())
    assert all(line.endswith(catalog()[line.split()[0]].title) for line in lines)


def test_paths_are_from_the_checkout():
    explanation = explain("DB-BINLOG-ROW")
    assert explanation.check_place.startswith("checks/test_database.py:")
    assert all(not Path(place).is_absolute() for _, place in explanation.calls.rules)


@pytest.mark.integration
def test_the_command_explains_from_any_directory(tmp_path):
    """As an operator runs it: a process of its own, started outside the checkout."""
    done = subprocess.run([sys.executable, "-m", "stackaudit", "explain", "HOST-IPTABLES-V4"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "  check function: checks.test_hosts.test_iptables_v4 (checks/test_hosts.py:" in done.stdout
    refused = subprocess.run([sys.executable, "-m", "stackaudit", "explain", "NO-SUCH-CHECK"], cwd=tmp_path,
                             capture_output=True, text=True, timeout=120)
    assert (refused.returncode, refused.stdout, refused.stderr.count("\n")) == (4, "", 1)
