"""MS-MKISOFS, selected alone, stats the three ISO programs CloudStack tries on each management
server and reads nothing else; its evidence gives the real stat's type, mode and owner."""
from __future__ import annotations

import json

import pytest

from tests.checks.fault_lab import attachment
from tests.checks.suite_run import run_suite
from tests.checks.test_selected_facts import collected

pytestmark = [pytest.mark.lab, pytest.mark.slow, pytest.mark.lab_scenario("matrix/ms_mkisofs.yml")]
EVIDENCE = "ISO programs CloudStack tries"


def test_ms_mkisofs_reads_the_iso_programs_only(tmp_path, lab):
    inventory = lab("matrix/ms_mkisofs.yml").path("inventory.yml")
    run = run_suite(inventory, tmp_path / "iso", "--allure-label", "check_id=MS-MKISOFS")
    assert run.outcomes() == {("MS-MKISOFS", f"mgmt://{name}"): outcome for name, outcome in (
        ("ms1", "failed"), ("ms2", "failed"), ("ms3", "failed"), ("ms4", "failed"), ("ms5", "passed"),
        ("ms6", "passed"))}, run.output[-2000:]
    facts = {target: parts for target, parts in collected(tmp_path / "iso").items() if parts}
    assert sorted(facts) == [f"mgmt://ms{n}" for n in range(1, 7)]
    for target, parts in facts.items():
        assert sorted(parts) == ["ssh"] and sorted(parts["ssh"]["sections"]) == ["iso_tools"], target
    assert json.loads(attachment(run, "MS-MKISOFS", "mgmt://ms1", EVIDENCE)) == {}
    assert json.loads(attachment(run, "MS-MKISOFS", "mgmt://ms2", EVIDENCE)) == {
        "/usr/bin/genisoimage": "regular file, mode 0644, root:root",
        "/usr/bin/mkisofs": "regular file, mode 0755, root:root"}
    assert json.loads(attachment(run, "MS-MKISOFS", "mgmt://ms6", EVIDENCE)) == {
        "/usr/bin/genisoimage": "regular file, mode 0711, root:root"}
