"""python -m stackaudit run|summary: pytest with sensible defaults, one run directory per run.

pytest stays the interface: `run` only adds defaults (`-n auto --dist loadgroup`, the run directory's
Allure results, junit.xml and summary.json) and passes every other argument through.

`run` validates the inventory, its policy, the waivers and every file they name before it creates
anything: a bad file is one line and exit code 4, and nothing is written. Then it makes `reports/runs/<UTC timestamp>/`
(never reusing one) and, when the run is over, points `reports/latest` at it.
"""
from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path

import pytest

from stackaudit.catalog import PROFILES, check_kinds
from stackaudit.config.files import shown
from stackaudit.config.inventory import load_inventory
from stackaudit.config.policy import load_policy
from stackaudit.config.waivers import load_waivers, utc_today
from stackaudit.errors import ConfigError
from stackaudit.report.allure_report import ReportFailed
from stackaudit.report.outcomes import EXIT_BROKEN, EXIT_CONFIG, EXIT_NOT_RECORDED, EXIT_OK, EXIT_WARNING
from stackaudit.report.publish import publish
from stackaudit.report.recording import NotRecordable, open_run_dir, unrecorded
from stackaudit.report.runs import point_latest
from stackaudit.report.summary import load_results, summary_lines


MAX_WORKERS = 256


def workers_problem(workers: str) -> str | None:
    """pytest-xdist's -n: auto, logical, or a count (0: no workers, the checks run in this process)."""
    if workers in ("auto", "logical") or (re.fullmatch(r"[0-9]{1,4}", workers) and int(workers) <= MAX_WORKERS):
        return None
    return (f"--workers: {shown(workers)} is not a number of workers; give auto, logical or a whole number "
            f"from 0 to {MAX_WORKERS}")


def validate(inventory: str, waivers: str | None, workers: str = "auto") -> str | None:
    """The first configuration problem (one line), or None."""
    problem = workers_problem(workers)
    if problem:
        return problem
    try:
        policy = load_policy(load_inventory(Path(inventory)).policy_path)
        load_waivers(Path(waivers) if waivers else None, check_kinds(), policy.waivers.max_days_ahead, utc_today())
    except ConfigError as err:
        return str(err)
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m stackaudit", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="run the checks (extra arguments go to pytest)")
    run.add_argument("--inventory", required=True)
    run.add_argument("--waivers", help="accepted deviations (inventories/waivers.yml shows the format)")
    run.add_argument("--profile", choices=PROFILES, help="run only this profile's checks (pytest -m PROFILE)")
    run.add_argument("--reports", default="reports", help="where runs/ and latest go (default: reports)")
    run.add_argument("--workers", default="auto", help="pytest-xdist workers (default auto)")
    summary = commands.add_parser("summary", help="per-check summary of an Allure results directory")
    summary.add_argument("results", nargs="?", default="reports/latest/allure-results")
    args, rest = parser.parse_known_args(argv)
    if args.command == "summary":
        results = load_results(Path(args.results))
        if not results:
            print(f"stackaudit: no StackAudit results in {args.results}", file=sys.stderr)
            return EXIT_CONFIG
        print("\n".join(summary_lines(results)))
        return 0
    problem = validate(args.inventory, args.waivers, args.workers)
    if problem:
        print(f"stackaudit: {problem}", file=sys.stderr)
        return EXIT_CONFIG
    reports = Path(args.reports)
    try:
        run_dir = open_run_dir(reports)
    except NotRecordable as err:
        print(f"stackaudit: {err}", file=sys.stderr)
        return EXIT_CONFIG
    options = [f"--inventory={args.inventory}", f"--run-dir={run_dir}", f"--reports-dir={reports}",
               f"--alluredir={run_dir / 'allure-results'}", f"--junitxml={run_dir / 'junit.xml'}",
               f"--numprocesses={args.workers}", "--dist=loadgroup", "-q"]
    if args.waivers:
        options.append(f"--waivers={args.waivers}")
    if args.profile:
        options += ["-m", args.profile]
    code = int(pytest.main([*options, *rest]))
    started = time.monotonic()
    problem = unrecorded(run_dir) or write_report(run_dir, Path(args.inventory))
    seconds = time.monotonic() - started
    print(f"Run directory: {run_dir.resolve()}")
    if problem:
        # latest stays on the last complete run. A code that could read as done (passed, a warning,
        # not checked) becomes 8; a failed blocker, a usage error or an interruption keep theirs.
        print(f"stackaudit: the run's record is incomplete: {problem}", file=sys.stderr)
        return EXIT_NOT_RECORDED if code in (EXIT_OK, EXIT_WARNING, EXIT_BROKEN) else code
    point_latest(reports, run_dir)
    report = (run_dir / "report.html").resolve()
    print(f"Report: {report} ({report.stat().st_size / 1e6:.1f} MB, generated in {seconds:.1f} s)")
    return code


def write_report(run_dir: Path, inventory: Path) -> str | None:
    """Generate the run's report.html; the reason it could not be, or None."""
    try:
        publish(run_dir, inventory, load_inventory(inventory).policy_path)
    except (ReportFailed, ConfigError) as err:
        return f"report.html not written: {err}"
    return None


if __name__ == "__main__":
    sys.exit(main())
