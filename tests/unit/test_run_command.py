"""`stackaudit run` validates every configuration file before it creates or deletes anything."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.unit.config_site import ssh_key_pair
from tests.unit.output_consumers import csv_rows, junit_problems, metric_samples, summary_problems

pytestmark = pytest.mark.integration     # starts processes (see pytest.ini)

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def inventory(tmp_path) -> Path:
    private, public = ssh_key_pair()
    (tmp_path / "id").write_text(private)
    (tmp_path / "id").chmod(0o600)
    (tmp_path / "known_hosts").write_text(f"198.18.0.1 {public}\n")
    path = tmp_path / "inventory.yml"
    path.write_text('cloud: {name: lab, api: {endpoint: "https://198.18.0.1:8080/client/api", key_env: K, secret_env: S}}\n'
                    "ssh: {private_key: id, known_hosts: known_hosts}\n")
    return path


def stackaudit_run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "stackaudit", "run", *args], cwd=REPO, capture_output=True,
                          text=True, timeout=120, env={**os.environ, "K": "key", "S": "secret"})


@pytest.mark.parametrize("bad", ["waivers", "inventory", "policy"])
def test_a_bad_file_is_exit_4_one_line_and_nothing_written(tmp_path, inventory, bad):
    reports = tmp_path / "reports"
    (reports / "runs" / "20260101T000000Z").mkdir(parents=True)     # an earlier run: must survive
    waivers = tmp_path / "waivers.yml"
    waivers.write_text("waivers:\n  - {check: MS-CA-STRICT, target: 'cloud://*', reason: r, approver: a,"
                       " ticket: T-1}\n" if bad == "waivers" else "waivers: []\n")
    if bad == "inventory":
        inventory.write_text(inventory.read_text() + "colud: typo\n")
    if bad == "policy":
        (tmp_path / "policy.yml").write_text("waivers: {max_days_ahead: 0}\n")
        inventory.write_text(inventory.read_text() + "policy: policy.yml\n")
    done = stackaudit_run(f"--inventory={inventory}", f"--waivers={waivers}", f"--reports-dir={reports}")
    assert done.returncode == 4, done.stdout + done.stderr
    expected = {"waivers": f"stackaudit: {waivers}: waivers[0] (MS-CA-STRICT): expires missing; every waiver needs "
                           "check, target, reason, approver, ticket, expires",
                "inventory": f"stackaudit: {inventory}: colud: unknown key; expected one of cloud, ssh, system_vms, "
                             "xenserver, databases, management_servers, tls_frontends, policy",
                "policy": f"stackaudit: {tmp_path / 'policy.yml'}: waivers.max_days_ahead: found int 0; "
                          "expected a whole number of days from 1 to 3650"}[bad]
    assert done.stderr.splitlines() == [expected] and done.stdout == ""
    assert sorted(p.relative_to(reports).as_posix() for p in reports.rglob("*")) == ["runs", "runs/20260101T000000Z"]


def test_a_night_that_cannot_list_the_targets_is_recorded_as_not_checked(tmp_path, inventory):
    import json
    import socket
    with socket.socket() as probe:          # a local port nothing listens on: discovery is refused
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    inventory.write_text(inventory.read_text().replace("198.18.0.1:8080", f"127.0.0.1:{port}"))
    reports = tmp_path / "reports"
    metrics_file = tmp_path / "stackaudit.prom"
    done = subprocess.run([sys.executable, "-m", "stackaudit", "run", f"--inventory={inventory}",
                           f"--reports-dir={reports}", "--workers=0", f"--metrics-file={metrics_file}"], cwd=REPO,
                          capture_output=True, text=True, timeout=120, env={**os.environ, "K": "key", "S": "secret"})
    assert done.returncode == 6, done.stdout + done.stderr
    (run,) = (reports / "runs").iterdir()
    summary = json.loads((reports / "latest" / "summary.json").read_text())
    assert (summary["run"], summary["exit_code"], summary["results"]) == (run.name, 6, [])
    # Zero counts, and the reason beside them; each output says the same to its own reader.
    assert summary_problems(summary) == [] and summary["counts"]["total"] == 0
    assert summary["discovery"]["status"] == "failed" and summary["discovery"]["reason"] == "unreachable"
    assert summary["discovery"]["message"].startswith("CloudStack API: listZones: ")
    junit = (run / "junit.xml").read_bytes()
    assert junit_problems(junit) == [] and b'<error type="broken" message="not checked (unreachable): ' in junit
    assert csv_rows((run / "results.csv").read_text()) == []
    for metrics in (run / "metrics.prom", metrics_file):
        samples = metric_samples(metrics.read_text())
        assert samples["stackaudit_discovery_failed", (("cloud", "lab"),)] == 1
        assert samples["stackaudit_run_exit_code", (("cloud", "lab"),)] == 6
    run_line, verdict_line, report_line = done.stdout.rstrip().splitlines()[-3:]
    assert run_line == f"Run directory: {run.resolve()}"
    assert verdict_line == f"Verdict: NOTHING CHECKED: {run.resolve()}/summary.html"
    assert report_line.startswith(f"Report: {run.resolve()}/report.html (")
    # The night's report is not an empty, quiet one: one broken result says why nothing was checked.
    (result,) = [json.loads(p.read_text()) for p in (run / "allure-results").glob("*-result.json")]
    assert result["status"] == "broken" and result["name"].startswith("Discovery · ")
    assert result["statusDetails"]["message"] == (     # the endpoint and the kind of failure (http_failures.py)
        f"not checked (unreachable): CloudStack API: listZones: cannot connect to https://127.0.0.1:{port}/client/api: "
        "connection refused (nothing listens on the port, or a firewall rejects)")
    assert "TO LET IT BE CHECKED" in result["descriptionHtml"]


def test_a_metrics_file_the_textfile_collector_would_skip_is_exit_4_before_anything_is_written(tmp_path, inventory):
    reports = tmp_path / "reports"
    done = stackaudit_run(f"--inventory={inventory}", f"--reports-dir={reports}", f"--metrics-file={tmp_path / 'm.txt'}")
    assert done.returncode == 4, done.stdout + done.stderr
    assert done.stderr.splitlines() == [
        f"stackaudit: --metrics-file={tmp_path / 'm.txt'}: node_exporter's textfile collector reads only files whose "
        "name ends in .prom; give a name like stackaudit.prom"]
    assert not reports.exists()
