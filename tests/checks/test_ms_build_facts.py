"""MS-BUILD-IDENTICAL, selected alone on its matrix scenario: it reads the package line and the code's
sha256 list on each management server over SSH and nothing else, and its evidence gives each server's
build (ms2's rebuilt jar shows as another fingerprint)."""
from __future__ import annotations

import json

import pytest

from tests.checks.fault_lab import attachment
from tests.checks.suite_run import run_suite
from tests.checks.test_selected_facts import collected

pytestmark = [pytest.mark.lab, pytest.mark.slow, pytest.mark.lab_scenario("matrix/ms_build.yml")]

CLOUD = "cloud://lab-m-ms-build"


def test_ms_build_reads_the_package_and_the_code_digests_of_each_management_server(tmp_path, lab):
    inventory = lab("matrix/ms_build.yml").path("inventory.yml")
    run = run_suite(inventory, tmp_path / "build", "--allure-label", "check_id=MS-BUILD-IDENTICAL")
    assert run.outcomes() == {("MS-BUILD-IDENTICAL", CLOUD): "failed"}, run.output[-2000:]
    facts = {target: parts for target, parts in collected(tmp_path / "build").items() if parts}
    assert sorted(facts) == ["mgmt://ms1", "mgmt://ms2"], sorted(facts)
    for parts in facts.values():
        assert sorted(parts) == ["ssh"], json.dumps(parts)[:500]
        assert sorted(parts["ssh"]["sections"]) == ["management_code_digests", "management_package"]
    builds = json.loads(attachment(run, "MS-BUILD-IDENTICAL", CLOUD, "management servers' builds"))
    judged = builds["judged"]
    assert {t: b["package"] for t, b in judged.items()} == {"mgmt://ms1": "dpkg 4.19.1.0", "mgmt://ms2": "dpkg 4.19.1.0"}
    assert judged["mgmt://ms1"]["files"] == judged["mgmt://ms2"]["files"] == 2
    assert judged["mgmt://ms1"]["fingerprint"] != judged["mgmt://ms2"]["fingerprint"]
    assert builds["not Up, left out"] == []
