"""Running the suite as an operator does (pytest on checks/ with an inventory) and reading its results."""
from __future__ import annotations

import subprocess
import sys
import json
from dataclasses import dataclass, field
from pathlib import Path

from stackaudit.report.outcomes import NOT_APPLICABLE_FILE
from stackaudit.report.summary import Result, load_results

REPO = Path(__file__).resolve().parent.parent.parent


@dataclass
class SuiteRun:
    exit_code: int
    results: list[Result]
    output: str
    work: Path
    # (check, target) -> reason of what the run left out at collection; target "" for a check with no
    # target of its kinds in the cloud (not-applicable.json in the run directory)
    not_applicable: dict[tuple[str, str], str] = field(default_factory=dict)

    def outcomes(self, check_id: str | None = None) -> dict[tuple[str, str], str]:
        return {(r.check_id, r.target): r.status for r in self.results if check_id in (None, r.check_id)}

    def not_passed(self) -> dict[tuple[str, str], str]:
        return {key: status for key, status in self.outcomes().items() if status != "passed"}


def run_suite(inventory: Path, work: Path, *args: str, env: dict[str, str] | None = None) -> SuiteRun:
    """`env`: the run's environment, when not this process's."""
    allure_dir = work / "allure-results"
    command = [sys.executable, "-m", "pytest", f"--inventory={inventory}", f"--alluredir={allure_dir}",
               f"--reports-dir={work / 'reports'}", "-q", *args]
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=600, env=env)
    return SuiteRun(done.returncode, load_results(allure_dir), done.stdout + done.stderr, work,
                    not_applicable_of(work / "reports"))


def not_applicable_of(reports: Path) -> dict[tuple[str, str], str]:
    """The latest run's not-applicable.json (the run directories' names sort by time)."""
    found = sorted((reports / "runs").glob(f"*/{NOT_APPLICABLE_FILE}"))
    entries = json.loads(found[-1].read_text()) if found else []
    return {(n["check_id"], n["target"] or ""): n["reason"] for n in entries}
