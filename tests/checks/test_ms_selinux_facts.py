"""MS-SELINUX-MODE, selected alone, reads getenforce and /etc/selinux/config on each management
server and nothing else; its evidence names both modes and the policy's."""
from __future__ import annotations

import json

import pytest

from tests.checks.fault_lab import attachment
from tests.checks.suite_run import run_suite
from tests.checks.test_selected_facts import collected

pytestmark = [pytest.mark.lab, pytest.mark.slow, pytest.mark.lab_scenario("matrix/ms_selinux.yml")]


def test_ms_selinux_mode_reads_getenforce_and_the_config_only(tmp_path, lab):
    inventory = lab("matrix/ms_selinux.yml").path("inventory.yml")
    run = run_suite(inventory, tmp_path / "selinux", "--allure-label", "check_id=MS-SELINUX-MODE")
    assert run.outcomes() == {("MS-SELINUX-MODE", f"mgmt://{name}"): outcome for name, outcome in (
        ("ms1", "failed"), ("ms2", "passed"), ("ms3", "failed"), ("ms4", "broken"), ("ms5", "broken"),
        ("ms6", "passed"), ("ms7", "passed"))}, run.output[-2000:]
    facts = {target: parts for target, parts in collected(tmp_path / "selinux").items() if parts}
    assert sorted(facts) == [f"mgmt://ms{n}" for n in range(1, 8)]
    for target, parts in facts.items():
        assert sorted(parts) == ["ssh"] and sorted(parts["ssh"]["sections"]) == ["getenforce", "selinux_config"], target
    ms2 = json.loads(attachment(run, "MS-SELINUX-MODE", "mgmt://ms2", "SELinux modes"))
    assert ms2 == {"running (getenforce)": "permissive", "at the next boot (/etc/selinux/config)": "permissive",
                   "allowed (ms.selinux_modes)": ["permissive", "disabled"]}
    ms7 = json.loads(attachment(run, "MS-SELINUX-MODE", "mgmt://ms7", "SELinux modes"))
    assert ms7["running (getenforce)"] == "no getenforce: disabled"
    assert ms7["at the next boot (/etc/selinux/config)"] == "no file: disabled"
