"""Targets that cannot be checked are broken, never passed or failed, and the exit code says so."""
from __future__ import annotations

import json
import shutil

import pytest
import yaml

from lab.scenario import load_scenario
from tests.checks.check_reads import checks_reading
from tests.checks.suite_run import run_suite
from tests.lab.conftest import SCENARIOS

pytestmark = [pytest.mark.lab, pytest.mark.slow]
EXIT_BROKEN = 6


@pytest.fixture(scope="module")
def host_without_ssh(tmp_path_factory, labs):
    """The compliant cloud, except that kvm02 runs no sshd: the API still lists it and its console proxy."""
    work = tmp_path_factory.mktemp("no-ssh")
    scenario = yaml.safe_load((SCENARIOS / "compliant.yml").read_text())
    scenario["name"] = "kvm02-no-ssh"
    scenario["zones"][0]["pods"][0]["clusters"][1]["hosts"][1]["ssh"] = False
    path = work / "scenario.yml"
    path.write_text(yaml.safe_dump(scenario))
    load_scenario(path)
    with labs.own(path, work / "lab"):
        yield work


def test_unreachable_host_is_broken_for_its_ssh_checks_and_its_vms(host_without_ssh):
    """Drift: the API lists kvm02, SSH cannot reach it. Its SSH checks, its console proxy's, and the
    cloud-wide identity check that needs its agent.properties are broken; its API check still runs."""
    result = run_suite(host_without_ssh / "lab" / "inventory.yml", host_without_ssh / "run1")
    assert result.not_passed() == {
        **{(check, "kvm-host://zone1/kvm02"): "broken" for check in checks_reading("kvm-host", "ssh")},
        **{(check, "cpvm://zone1/v-2-VM"): "broken" for check in checks_reading("cpvm", "ssh")},
        ("HOST-UUID-UNIQUE", "cloud://lab-kvm02-no-ssh"): "broken",
        **{(check, "cluster://zone1/kvm-cluster1"): "broken" for check in checks_reading("cluster", "ssh", on="kvm-host")},
    }, result.output
    assert result.outcomes()[("HOST-CS-STATE", "kvm-host://zone1/kvm02")] == "passed"
    messages = {(r.check_id, r.target): r.message for r in result.results}
    assert messages[("HOST-IPTABLES-V4", "kvm-host://zone1/kvm02")].startswith("not checked (unreachable): ")
    assert "cannot connect" in messages[("HOST-IPTABLES-V4", "kvm-host://zone1/kvm02")]
    assert result.exit_code == EXIT_BROKEN
    # A broken result keeps pytest's traceback for the engineer (report/auditor.py); no secret rides along.
    traces = [(json.loads(p.read_text()).get("statusDetails") or {}).get("trace") or ""
              for p in (result.work / "allure-results").glob("*-result.json")]
    assert any("stackaudit.errors.Unreachable" in trace for trace in traces)
    keys = host_without_ssh / "lab" / "keys"
    secrets = [(keys / name).read_text().strip() for name in ("api.key", "api.secret", "xapi.password",
                                                              "db-audit.password", "db-replication.password")]
    assert [secret[:4] for secret in secrets if any(secret in trace for trace in traces)] == []


def test_unknown_host_key_is_refused_and_broken(host_without_ssh):
    lab = host_without_ssh / "lab"
    strict = host_without_ssh / "strict"
    strict.mkdir()
    for name in ("keys", "policy.yml"):
        (shutil.copytree if name == "keys" else shutil.copy)(lab / name, strict / name)
    (strict / "inventory.yml").write_text((lab / "inventory.yml").read_text())
    kept = [line for line in (lab / "known_hosts").read_text().splitlines() if not line.startswith("198.18.1.4 ")]
    (strict / "known_hosts").write_text("\n".join(kept) + "\n")
    result = run_suite(strict / "inventory.yml", host_without_ssh / "run2", "-k", "iptables")
    assert result.outcomes()[("HOST-IPTABLES-V4", "kvm-host://zone1/kvm01")] == "broken"
    message = next(r.message for r in result.results if r.target == "kvm-host://zone1/kvm01")
    assert message.startswith("not checked (host key): ") and "host key unknown" in message
