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
from stackaudit.report.outcomes import EXIT_CONFIG
from stackaudit.report.publish import publish
from stackaudit.report.runs import new_run_dir, point_latest
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
    run_dir = new_run_dir(reports)
    options = [f"--inventory={args.inventory}", f"--run-dir={run_dir}", f"--reports-dir={reports}",
               f"--alluredir={run_dir / 'allure-results'}", f"--junitxml={run_dir / 'junit.xml'}",
               f"--numprocesses={args.workers}", "--dist=loadgroup", "-q"]
    if args.waivers:
        options.append(f"--waivers={args.waivers}")
    if args.profile:
        options += ["-m", args.profile]
    code = pytest.main([*options, *rest])
    started = time.monotonic()
    report_problem = write_report(run_dir, Path(args.inventory))
    seconds = time.monotonic() - started
    point_latest(reports, run_dir)     # once the run is recorded: latest is always a finished run
    print(f"Run directory: {run_dir.resolve()}")
    if report_problem:
        print(f"stackaudit: report.html not written: {report_problem}", file=sys.stderr)
    else:
        report = (run_dir / "report.html").resolve()
        print(f"Report: {report} ({report.stat().st_size / 1e6:.1f} MB, generated in {seconds:.1f} s)")
    return int(code)


def write_report(run_dir: Path, inventory: Path) -> str | None:
    """Generate the run's report.html; the reason it could not be, or None. A run that stopped
    before it recorded a summary (pytest usage error) has no report."""
    if not (run_dir / "summary.json").is_file():
        return "the run recorded no summary.json (it stopped before the checks ran)"
    try:
        publish(run_dir, inventory, load_inventory(inventory).policy_path)
    except (ReportFailed, ConfigError) as err:
        return str(err)
    return None


if __name__ == "__main__":
    sys.exit(main())
