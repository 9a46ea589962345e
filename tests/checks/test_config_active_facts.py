"""MS-CONFIG-ACTIVE, selected alone on its matrix scenario: it reads the start program on each
management server over SSH and the cloud's setting changes and settings from the API, nothing else;
its evidence gives each server's start, the settings changed since and the start-only files' dates."""
from __future__ import annotations

import json

import pytest

from tests.checks.fault_lab import attachment
from tests.checks.suite_run import run_suite
from tests.checks.test_selected_facts import collected

pytestmark = [pytest.mark.lab, pytest.mark.slow, pytest.mark.lab_scenario("matrix/config_active.yml")]

DB_PROPERTIES = "/etc/cloudstack/management/db.properties"


def test_config_active_reads_each_servers_start_and_the_clouds_setting_changes(tmp_path, lab):
    inventory = lab("matrix/config_active.yml").path("inventory.yml")
    run = run_suite(inventory, tmp_path / "config", "--allure-label", "check_id=MS-CONFIG-ACTIVE")
    assert run.outcomes() == {("MS-CONFIG-ACTIVE", "mgmt://ms1"): "failed", ("MS-CONFIG-ACTIVE", "mgmt://ms2"): "failed",
                              ("MS-CONFIG-ACTIVE", "mgmt://ms3"): "broken"}, run.output[-2000:]
    facts = {target: parts for target, parts in collected(tmp_path / "config").items() if parts}
    servers = {t: p for t, p in facts.items() if t.startswith("mgmt://")}
    assert sorted(servers) == ["mgmt://ms1", "mgmt://ms2", "mgmt://ms3"], sorted(facts)
    for parts in servers.values():
        assert sorted(parts) == ["ssh"] and sorted(parts["ssh"]["sections"]) == ["management_start"], json.dumps(parts)[:500]
    (cloud,) = [p for t, p in facts.items() if t.startswith("cloud://")]
    assert sorted(cloud) == ["api"], json.dumps(cloud)[:500]
    for server, files in (("mgmt://ms1", {DB_PROPERTIES: False}), ("mgmt://ms2", {DB_PROPERTIES: True})):
        evidence = json.loads(attachment(run, "MS-CONFIG-ACTIVE", server, "since the server's start"))
        assert evidence["settings changed since"] == ["allow.user.view.destroyed.vm", "expunge.interval"], evidence
        started, modified = evidence["started"], evidence["start-only files"][DB_PROPERTIES]
        assert (modified > started) is files[DB_PROPERTIES], evidence
        assert evidence["start-only files"]["/etc/cloudstack/management/key"] is None, evidence
