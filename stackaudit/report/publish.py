"""After the checks: the run's report.html, from its Allure results, its summary.json and the run before.

The environment shown on the report's overview says which cloud, which code and which input
files gave these results (with SHA-256, so an auditor can tell two nights ran on the same
inventory and policy), then what changed since the previous run.
"""
from __future__ import annotations

import json
import subprocess
from importlib import metadata
from pathlib import Path

from stackaudit.report.allure_report import (PROJECT, REPORT_FILE, ReportFailed, carry_history, change_entries,
                                             executor, find_allure, generate, write_results_context)
from stackaudit.report.auditor import categories
from stackaudit.report.passed_per_check import passed_note, results_for_report
from stackaudit.report.runs import earlier_runs, previous_run


def file_read(entry: dict | None, missing: str) -> str:
    """An input file as the run read it: its path and the SHA-256 of the bytes read (summary.json's `inputs`)."""
    return f"{entry['path']} (SHA-256 {entry['sha256']})" if entry else missing


def stackaudit_version() -> str:
    try:
        version = metadata.version("stackaudit")
    except metadata.PackageNotFoundError:
        version = "not installed"
    commit = git_commit(PROJECT)
    return f"{version}, commit {commit}" if commit else version


def git_commit(checkout: Path) -> str | None:
    """The checkout's commit, marked when files differ from it; None outside a git checkout."""
    if not (checkout / ".git").exists():
        return None
    try:
        head = subprocess.run(["git", "-C", str(checkout), "rev-parse", "HEAD"], capture_output=True,
                              text=True, timeout=30)
        dirty = subprocess.run(["git", "-C", str(checkout), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if head.returncode != 0:
        return None
    return head.stdout.strip() + (" with uncommitted changes" if dirty.stdout.strip() else "")


def environment(summary: dict, inputs: dict, headline: str | None = None,
                passed: str | None = None) -> dict[str, str]:
    """The overview's environment: the verdict and what changed first (the widget shows the first five
    entries until "Show all"), then which cloud, code and input files gave these results. `passed`: how
    the report lists passed results when it folds them per check (report/passed_per_check.py)."""
    first = {"Verdict": f"{headline}: summary.html, beside this report"} if headline else {}
    if passed:
        first["Passed results"] = passed
    context = {
        "Cloud": summary["cloud"],
        "CloudStack version": summary.get("cloudstack_version") or "unknown (no management server listed)",
        "StackAudit": stackaudit_version(),
        "Inventory": file_read(inputs.get("inventory"), "not recorded"),
        "Policy": file_read(inputs.get("policy"), "built-in defaults"),
        "Profile": summary.get("profile") or "all checks",
        "Run": summary["run"],
        "Exit code": str(summary["exit_code"]),
    }
    return {**first, **change_entries(summary), **context}


def publish(run_dir: Path, inputs: dict, headline: str | None = None, passed_results: str = "auto") -> Path:
    """Write run_dir/report.html; raises ReportFailed with a one-line reason. `inputs`: the inventory and
    policy as the run read them (stackaudit/configuration.py, input_files); `headline`: the verdict
    page's (summary.html, written first), linked from the overview; `passed_results`: the policy's
    report.passed_results (report/passed_per_check.py)."""
    try:
        summary = json.loads((run_dir / "summary.json").read_text())
    except (OSError, ValueError) as err:
        raise ReportFailed(f"{run_dir / 'summary.json'}: cannot read the run's summary ({err})") from None
    results = run_dir / "allure-results"
    before = previous_run(run_dir)
    previous_dir = before[0] if before else None
    carry_history(previous_dir / REPORT_FILE if previous_dir else None, results)
    order = len(earlier_runs(run_dir)) + 1
    with results_for_report(results, passed_results, run_dir) as (shown, folded):
        context = (environment(summary, inputs, headline, passed_note(folded, passed_results) if folded else None),
                   executor(summary, order, previous_dir.name if previous_dir else None), categories())
        for directory in {results, shown}:
            write_results_context(directory, *context)
        return generate(find_allure(), shown, run_dir / REPORT_FILE, verdict_headline=headline)
