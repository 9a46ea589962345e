"""One night of the cloud with violations, checked twice on one lab: by one `stackaudit run`, and by
four `stackaudit run --shard=i/4` merged with `stackaudit merge`. The merged run must say what the
single run says, for every (check, target): the same outcome and the same message, in summary.json
and in the Allure results, and the same exit code, stale waivers and waived failures; each shard must
have run its own part only. One shard runs with xdist workers, the others in one process."""
from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.checks.test_run_directories import STALE, WAIVED, waivers_file

REPO = Path(__file__).resolve().parent.parent.parent
SHARDS = 4


def stackaudit(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "stackaudit", *args], cwd=REPO, capture_output=True, text=True,
                          timeout=900)


def run_directory(done: subprocess.CompletedProcess) -> Path:
    (line,) = [line for line in done.stdout.splitlines() if line.startswith("Run directory: ")]
    return Path(line.removeprefix("Run directory: "))


def summary_outcomes(run_dir: Path) -> dict[tuple[str, str], tuple[str, str]]:
    results = json.loads((run_dir / "summary.json").read_text())["results"]
    outcomes = {(r["check_id"], r["target"]): (r["status"], r["message"]) for r in results}
    assert len(outcomes) == len(results), f"{run_dir}: a (check, target) reported twice"
    return outcomes


def allure_outcomes(run_dir: Path) -> dict[tuple[str, str], tuple[str, str]]:
    outcomes = {}
    for path in (run_dir / "allure-results").glob("*-result.json"):
        result = json.loads(path.read_text())
        labels = {label["name"]: label["value"] for label in result["labels"]}
        key = (labels["check_id"], labels.get("target"))
        assert key not in outcomes, f"{run_dir}: {key} has two Allure results"
        outcomes[key] = (result["status"], (result.get("statusDetails") or {}).get("message", ""))
    return outcomes


@dataclass
class Night:
    single: subprocess.CompletedProcess
    shards: list[subprocess.CompletedProcess]
    merged: subprocess.CompletedProcess


@pytest.fixture(scope="module")
def night(tmp_path_factory, lab) -> Night:
    tmp = tmp_path_factory.mktemp("sharding")
    state = lab("violations.yml").state_dir
    inventory, waivers = f"--inventory={state / 'inventory.yml'}", f"--waivers={waivers_file(tmp / 'waivers.yml')}"
    single = stackaudit("run", inventory, waivers, f"--reports-dir={tmp / 'single'}", "-p", "no:randomly")
    shards = [stackaudit("run", inventory, waivers, f"--reports-dir={tmp / 'sharded'}", f"--shard={i}/{SHARDS}",
                         f"--workers={2 if i == 0 else 0}", "-p", "no:randomly") for i in range(SHARDS)]
    for done in [single, *shards]:
        assert "Run directory: " in done.stdout, done.stdout[-3000:] + done.stderr[-2000:]
    merged = stackaudit("merge", inventory, waivers, f"--reports-dir={tmp / 'sharded'}",
                        *(str(run_directory(s)) for s in shards))
    return Night(single, shards, merged)


@pytest.mark.lab
@pytest.mark.slow
@pytest.mark.lab_scenario("violations.yml")
def test_four_merged_shards_say_what_one_run_says_for_every_check_and_target(night):
    single_dir, merged_dir = run_directory(night.single), run_directory(night.merged)
    assert night.merged.returncode == night.single.returncode == 1, night.merged.stdout[-3000:] + night.merged.stderr
    single, merged = summary_outcomes(single_dir), summary_outcomes(merged_dir)
    assert set(merged) == set(single)
    assert {key: merged[key] for key in single if merged[key] != single[key]} == {}
    assert allure_outcomes(merged_dir) == allure_outcomes(single_dir)
    single_summary, merged_summary = (json.loads((d / "summary.json").read_text()) for d in (single_dir, merged_dir))
    assert merged_summary["exit_code"] == single_summary["exit_code"] == 1
    assert merged_summary["counts"] == single_summary["counts"]
    assert merged_summary["results"] == single_summary["results"]        # severity and waiver too
    assert merged_summary["changes"] == single_summary["changes"]        # both: the first night of their reports
    assert [(w["check_id"], w["target"]) for w in merged_summary["stale_waivers"]] == [STALE]
    assert merged_summary["stale_waivers"] == single_summary["stale_waivers"]
    assert merged_summary["expiring_waivers"] == single_summary["expiring_waivers"]
    assert single[WAIVED][0] == "waived"
    assert merged_summary["targets_differ"] == 0 and merged_summary["unchecked_targets"] == []
    assert (merged_dir / "report.html").stat().st_size > 0
    assert night.merged.stdout.rstrip().splitlines()[-1].startswith(f"Report: {merged_dir}/report.html (")
    assert (merged_dir.parent.parent / "latest").resolve() == merged_dir


@pytest.mark.lab
@pytest.mark.slow
@pytest.mark.lab_scenario("violations.yml")
def test_each_shard_ran_its_own_part_and_wrote_no_report(night):
    single = summary_outcomes(run_directory(night.single))
    parts = []
    for index, done in enumerate(night.shards):
        shard_dir = run_directory(done)
        summary = json.loads((shard_dir / "summary.json").read_text())
        assert summary["shard"] == f"{index}/{SHARDS}"
        assert summary["changes"] is None and summary["stale_waivers"] is None
        assert not (shard_dir / "report.html").exists()
        parts.append(set(summary_outcomes(shard_dir)))
    assert all(parts), "a shard ran nothing: four shards of this lab should each have targets"
    assert sum(len(part) for part in parts) == len(set().union(*parts)), "two shards ran the same (check, target)"
    assert set().union(*parts) == set(single)
