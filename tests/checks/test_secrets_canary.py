"""No secret reaches an output: distinct canaries planted where a real cloud keeps secrets
(lab/scenarios/canaries.yml: process arguments, environment files, agent.properties and
db.properties, API settings and rows, an XAPI field) and the lab's own secrets (the inventory's
API key and secret, XAPI and database passwords, SSH private keys, the replication password)
appear nowhere in what a run leaves: every file of the run directory (Allure results and
attachments, report.html with the attachments it embeds base64-encoded, summary.json, junit.xml,
targets.json, the facts files), and the terminal output of `stackaudit run` and of pytest at -vv
with local variables in tracebacks (-l: a broken result's traceback goes to its Allure result)."""
from __future__ import annotations

import base64
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from stackaudit.config.redact import MASK
from stackaudit.report.summary import load_results
from stackaudit.rules.db_accounts import native_hash
from tests.checks.suite_run import REPO
from tests.lab.conftest import SCENARIOS

LAB_SECRET_FILES = ("api.key", "api.secret", "xapi.password", "db-audit.password", "db-replication.password")
PRIVATE_KEYS = ("id_ed25519", "id_rsa.cloud")
EMBEDDED = re.compile(r"d\('[^']*',\s*'([A-Za-z0-9+/=]*)'\)")


def planted_scenario(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """canaries.yml with each CANARY-<where>-XXXX given its own random token; {canary: token}."""
    canaries: dict[str, str] = {}

    def plant(match: re.Match) -> str:
        token = secrets.token_hex(8)
        canaries[f"CANARY-{match[1]}-{token}"] = token
        return f"CANARY-{match[1]}-{token}"

    text = re.sub(r"CANARY-([a-z]+)-XXXX", plant, (SCENARIOS / "canaries.yml").read_text())
    path = tmp_path / "canaries.yml"
    path.write_text(text)
    return path, canaries


def lab_secrets(state: Path) -> list[str]:
    """The lab's own secrets: its secret files, and every line of its private keys."""
    keys = state / "keys"
    values = [(keys / name).read_text().strip() for name in LAB_SECRET_FILES]
    for name in PRIVATE_KEYS:
        values += [line for line in (keys / name).read_text().splitlines()
                   if line and not line.startswith("-----")]
    return values


def readable(path: Path) -> str:
    """A file's text; for report.html, also every file it embeds (base64)."""
    text = path.read_bytes().decode("utf-8", errors="replace")
    if path.suffix == ".html":
        text += "\n".join(base64.b64decode(data).decode("utf-8", errors="replace")
                          for data in EMBEDDED.findall(text))
    return text


def leaks(outputs: dict[str, str], needles: list[str]) -> list[str]:
    return sorted(f"{where}: {needle[:12]}..." for where, text in outputs.items() for needle in needles
                  if needle in text)


@pytest.fixture(scope="module")
def canary_runs(tmp_path_factory, labs):
    """One lab of its own with the canaries; `stackaudit run` over it, then pytest -vv -l with long tracebacks."""
    tmp_path = tmp_path_factory.mktemp("canaries")
    scenario, canaries = planted_scenario(tmp_path)
    state = tmp_path / "lab"
    with labs.own(scenario, state):
        inventory = state / "inventory.yml"
        run = subprocess.run([sys.executable, "-m", "stackaudit", "run", f"--inventory={inventory}",
                              f"--reports-dir={tmp_path / 'reports'}", "-p", "no:randomly"],
                             cwd=REPO, capture_output=True, text=True, timeout=900)
        verbose = subprocess.run([sys.executable, "-m", "pytest", f"--inventory={inventory}", "-vv", "-l",
                                  "--tb=long", "-p", "no:randomly", f"--alluredir={tmp_path / 'verbose-allure'}",
                                  f"--junitxml={tmp_path / 'verbose-junit.xml'}",
                                  f"--reports-dir={tmp_path / 'verbose-reports'}"],
                                 cwd=REPO, capture_output=True, text=True, timeout=900)
        planted = list(canaries) + list(canaries.values()) + lab_secrets(state)
        # the databases keep each password as a hash, itself a secret (DB-NO-KNOWN-PASSWORD reads them)
        planted += [native_hash(value) for value in planted]
    outputs = {"stackaudit run stdout": run.stdout, "stackaudit run stderr": run.stderr,
               "pytest -vv stdout": verbose.stdout, "pytest -vv stderr": verbose.stderr}
    for root in (tmp_path / "reports", tmp_path / "verbose-allure", tmp_path / "verbose-reports"):
        outputs |= {str(p.relative_to(tmp_path)): readable(p) for p in sorted(root.rglob("*")) if p.is_file()}
    outputs["verbose-junit.xml"] = readable(tmp_path / "verbose-junit.xml")
    return tmp_path, run, verbose, outputs, planted


@pytest.mark.lab
@pytest.mark.slow
def test_no_canary_and_no_lab_secret_appears_in_any_output(canary_runs):
    tmp_path, run, verbose, outputs, planted = canary_runs
    run_dir = next((tmp_path / "reports" / "runs").iterdir())
    names = {p.relative_to(run_dir).as_posix() for p in run_dir.rglob("*") if p.is_file()}
    for expected in ("summary.json", "junit.xml", "results.csv", "metrics.prom", "targets.json", "report.html"):
        assert expected in names, f"{expected} not written: {run.stdout[-2000:]} {run.stderr[-2000:]}"
    assert any(n.startswith("facts/") for n in names) and any(n.endswith("-attachment.txt") for n in names)
    assert leaks(outputs, planted) == []


@pytest.mark.lab
@pytest.mark.slow
def test_the_canaries_were_read_and_masked_not_missed(canary_runs):
    """The suite did read where the canaries are: their keys are there, their values masked."""
    tmp_path, run, verbose, outputs, planted = canary_runs
    facts = "\n".join(text for where, text in outputs.items() if "/facts/" in where)
    for seen in (f"keystore.passphrase={MASK}", f"db.cloud.password={MASK}", f"db.cloud.encrypt.secret={MASK}",
                 f'"chappassword": "{MASK}"', "--tls-password=" + MASK, f"jdbc:mysql://cloud:{MASK}@db1",
                 f'\\"authentication_string\\":\\"{MASK}\\"'):
        assert seen in facts, seen
    results = load_results(next((tmp_path / "reports" / "runs").iterdir()) / "allure-results")
    message = next(r.message for r in results
                   if (r.check_id, r.target) == ("KVM-LIBVIRTD-LISTEN", "kvm-host://zone1/kvm02"))
    assert f"--admin-password {MASK}" in message
    assert "libvirtd runs without --listen" in verbose.stdout
