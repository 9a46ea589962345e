"""Running the suite as an operator does (pytest on checks/ with an inventory) and reading its results."""
from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from stackaudit.report.summary import Result, load_results

REPO = Path(__file__).resolve().parent.parent.parent


@dataclass
class SuiteRun:
    exit_code: int
    results: list[Result]
    output: str
    work: Path

    def outcomes(self, check_id: str | None = None) -> dict[tuple[str, str], str]:
        return {(r.check_id, r.target): r.status for r in self.results if check_id in (None, r.check_id)}

    def not_passed(self) -> dict[tuple[str, str], str]:
        return {key: status for key, status in self.outcomes().items() if status != "passed"}


def run_suite(inventory: Path, work: Path, *args: str) -> SuiteRun:
    allure_dir = work / "allure-results"
    command = [sys.executable, "-m", "pytest", f"--inventory={inventory}", f"--alluredir={allure_dir}",
               f"--reports-dir={work / 'reports'}", "-q", *args]
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=600)
    return SuiteRun(done.returncode, load_results(allure_dir), done.stdout + done.stderr, work)
