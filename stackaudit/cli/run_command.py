"""`stackaudit run`: pytest with sensible defaults, one run directory per run.

pytest stays the interface: `run` only adds defaults (`-n auto --dist loadgroup`, the run directory's
Allure results) and passes every other argument through. It reads the inventory, its policy and the
waivers once, before it creates anything, and hands what it read to the checks and the report
(stackaudit/configuration.py). pytest runs in a child process; the pages are written once it has
exited (report/pytest_apart.py).
"""
from __future__ import annotations

import re
import time
from pathlib import Path

from stackaudit.catalog import catalog
from stackaudit.cli.output import say
from stackaudit.collect.factstore import raw_dir
from stackaudit.config.files import shown
from stackaudit.config.shard import parse_shard
from stackaudit.configuration import Configuration, load_configuration
from stackaudit.errors import ConfigError
from stackaudit.report.allure_report import ReportFailed
from stackaudit.report.metrics import metrics_file_problem, publish_metrics
from stackaudit.report.outcomes import EXIT_BROKEN, EXIT_CONFIG, EXIT_NOT_RECORDED, EXIT_OK, EXIT_WARNING
from stackaudit.report.publish import publish
from stackaudit.report.pytest_apart import run_pytest_apart
from stackaudit.report.recording import NotRecordable, open_run_dir, unrecorded
from stackaudit.report.runs import point_latest
from stackaudit.report.verdict_data import PAGE_FILE, CheckInfo, write_verdict_page
from stackaudit.report.visible import visible

MAX_WORKERS = 256


def workers_problem(workers: str) -> str | None:
    """pytest-xdist's -n: auto, logical, or a count (0: no workers, the checks run in this process)."""
    if workers in ("auto", "logical") or (re.fullmatch(r"[0-9]{1,4}", workers) and int(workers) <= MAX_WORKERS):
        return None
    return (f"--workers: {shown(workers)} is not a number of workers; give auto, logical or a whole number "
            f"from 0 to {MAX_WORKERS}")


def validate(inventory: str, waivers: str | None, workers: str = "auto", shard: str | None = None) -> str | None:
    """The first configuration problem (one line), or None."""
    try:
        checked_configuration(inventory, waivers, workers, shard)
    except ConfigError as err:
        return str(err)
    return None


def checked_configuration(inventory: str, waivers: str | None, workers: str = "auto",
                          shard: str | None = None, metrics_file: str | None = None) -> Configuration:
    """The run's configuration, each file read once; raises ConfigError with the first problem (one line)."""
    problem = workers_problem(workers) or (metrics_file_problem(metrics_file) if metrics_file else None)
    if problem:
        raise ConfigError(problem)
    if shard is not None:
        parse_shard(shard)
    return load_configuration(Path(inventory), Path(waivers) if waivers else None)


def run(args, rest: list[str]) -> int:
    try:
        configuration = checked_configuration(args.inventory, args.waivers, args.workers, args.shard, args.metrics_file)
    except ConfigError as err:
        say(str(err))
        return EXIT_CONFIG
    reports = Path(args.reports)
    try:
        run_dir = open_run_dir(reports)
    except NotRecordable as err:
        say(str(err))
        return EXIT_CONFIG
    # pytest's temporary directory in the run's private part, removed with it: without --basetemp, xdist
    # makes a numbered one in the system's temp directory, and pytest then deletes the oldest of those at
    # the end of the run, whatever other pytest sessions of the user left there (seconds to minutes).
    options = [f"--inventory={args.inventory}", f"--run-dir={run_dir}", f"--reports-dir={reports}",
               f"--alluredir={run_dir / 'allure-results'}", f"--basetemp={raw_dir(run_dir) / 'pytest'}",
               f"--numprocesses={args.workers}", "--dist=loadgroup", "-q"]
    if args.waivers:
        options.append(f"--waivers={args.waivers}")
    if args.profile:
        options += ["-m", args.profile]
    if args.shard:
        options.append(f"--shard={args.shard}")
    from stackaudit.session import GivenConfiguration    # here: the checks' imports, once the input is good
    code = run_pytest_apart([*options, *rest], [GivenConfiguration(configuration)])
    started = time.monotonic()
    problem, headline = write_pages(run_dir, configuration, args.shard)
    return finish(reports, run_dir, code, problem, time.monotonic() - started, args.shard, args.metrics_file,
                  headline)


def write_pages(run_dir: Path, configuration: Configuration, shard: str | None = None) -> tuple[str | None, str | None]:
    """(what the run's record lacks or None, the verdict page's headline): summary.html first, so that a
    run whose report.html could not be made still has its verdict; a shard has no report.html."""
    problem = unrecorded(run_dir)
    if problem:
        return problem, None
    try:
        headline = write_verdict_page(run_dir, verdict_checks())
    except (OSError, ValueError) as err:
        return f"{PAGE_FILE} not written: {err}", None
    return (None if shard else write_report(run_dir, configuration, headline)), headline


def verdict_checks() -> dict[str, CheckInfo]:
    """What the verdict page shows of each check's catalog record."""
    return {cid: CheckInfo(record.title, record.area, record.remediation) for cid, record in catalog().items()}


def write_report(run_dir: Path, configuration: Configuration, headline: str | None = None) -> str | None:
    """Generate the run's report.html, naming the input files as the run read them and linking the verdict
    page (`headline`: its verdict); the reason it could not be, or None."""
    try:
        publish(run_dir, configuration.input_files(), headline,
                passed_results=configuration.policy.report.passed_results)
    except ReportFailed as err:
        return f"report.html not written: {err}"
    return None


def finish(reports: Path, run_dir: Path, code: int, problem: str | None, seconds: float,
           shard: str | None = None, metrics_file: str | None = None, headline: str | None = None) -> int:
    """Say where the run is, point latest at it if its record is complete; the run's exit code.
    `metrics_file`: --metrics-file, written with that exit code (a monitor sees an incomplete record too)."""
    print(f"Run directory: {visible(str(run_dir.resolve()))}")
    if headline:
        print(f"Verdict: {visible(headline)}: {visible(str((run_dir / PAGE_FILE).resolve()))}")
    if metrics_file:
        final = EXIT_NOT_RECORDED if problem and code in (EXIT_OK, EXIT_WARNING, EXIT_BROKEN) else code
        not_written = publish_metrics(metrics_file, run_dir, final)
        problem = problem or not_written
    if problem:
        # latest stays on the last complete run. A code that could read as done (passed, a warning,
        # not checked) becomes 8; a failed blocker, a usage error or an interruption keep theirs.
        say(f"the run's record is incomplete: {problem}")
        return EXIT_NOT_RECORDED if code in (EXIT_OK, EXIT_WARNING, EXIT_BROKEN) else code
    point_latest(reports, run_dir)
    if shard:
        print(f"Shard {shard}: no report.html; `stackaudit merge` writes the night's report from all shards")
        return code
    report = (run_dir / "report.html").resolve()
    print(f"Report: {visible(str(report))} ({report.stat().st_size / 1e6:.1f} MB, generated in {seconds:.1f} s)")
    return code
