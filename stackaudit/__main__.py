"""python -m stackaudit run|merge|summary|explain|pdf: pytest with sensible defaults, one run directory per run.

pytest stays the interface: `run` only adds defaults (`-n auto --dist loadgroup`, the run directory's
Allure results) and passes every other argument through; the run directory gets summary.json,
junit.xml, results.csv and metrics.prom (docs/outputs.md), and --metrics-file a copy of the metrics.

`run` validates the inventory, its policy, the waivers and every file they name before it creates
anything: a bad file is one line and exit code 4, and nothing is written. It reads them once and hands
what it read to the checks and the report (stackaudit/configuration.py). Then it makes `reports/runs/<UTC timestamp>/`
(never reusing one) and, when the run is over, points `reports/latest` at it.

`run --shard I/N` runs one shard of the targets (no report.html); `merge` joins a night's shard runs into
one run directory with its summary.json and report.html (README, "Sharding").

`explain CHECK-ID` prints what one check reads, calls and is tested by (stackaudit/explain.py).

Every run directory gets summary.html, the verdict page (report/verdict_page.py); `pdf RUN_DIR` prints it
to RUN_DIR/summary.pdf with headless Chromium (report/pdf.py).
"""
from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from pathlib import Path

from stackaudit.catalog import PROFILES, catalog
from stackaudit.config.files import shown
from stackaudit.config.safe_files import use_private_umask
from stackaudit.config.shard import parse_shard
from stackaudit.configuration import Configuration, load_configuration
from stackaudit.errors import ConfigError
from stackaudit.report.allure_report import ReportFailed
from stackaudit.report.merge import merge_into
from stackaudit.report.metrics import metrics_file_problem, publish_metrics
from stackaudit.report.outcomes import EXIT_BROKEN, EXIT_CONFIG, EXIT_NOT_RECORDED, EXIT_OK, EXIT_WARNING
from stackaudit.report.pdf import PdfFailed, PdfUnavailable, print_pdf
from stackaudit.report.publish import publish
from stackaudit.report.pytest_apart import run_pytest_apart
from stackaudit.report.recording import NotRecordable, open_run_dir, unrecorded
from stackaudit.report.runs import point_latest
from stackaudit.report.shard_runs import MergeRefused, read_shard_runs
from stackaudit.report.summary import load_results, summary_lines
from stackaudit.report.verdict_data import PAGE_FILE, CheckInfo, write_verdict_page
from stackaudit.report.visible import visible


MAX_WORKERS = 256
METRICS_HELP = ("also write the run's metrics.prom here, e.g. in node_exporter's textfile collector directory "
                "(written to a temporary name and renamed)")


def say(message: str) -> None:
    """One line on stderr; text from the cloud or a file in it is shown escaped (report/visible.py)."""
    print(f"stackaudit: {visible(message)}", file=sys.stderr)


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


def main(argv: list[str] | None = None) -> int:
    before = use_private_umask()     # before anything is written: the evidence is for its owner only
    try:
        return command(argv)
    finally:
        os.umask(before)    # called in-process (tests, a wrapper), the caller's own umask comes back


def command(argv: list[str] | None) -> int:
    parser = argparse.ArgumentParser(prog="python -m stackaudit", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="run the checks (extra arguments go to pytest)")
    run.add_argument("--inventory", required=True)
    run.add_argument("--waivers", help="accepted deviations (inventories/waivers.yml shows the format)")
    run.add_argument("--profile", choices=PROFILES, help="run only this profile's checks (pytest -m PROFILE)")
    run.add_argument("--reports", default="reports", help="where runs/ and latest go (default: reports)")
    run.add_argument("--workers", default="auto", help="pytest-xdist workers (default auto)")
    run.add_argument("--shard", metavar="I/N", help="run only shard I of N (0 <= I < N); no report.html")
    run.add_argument("--metrics-file", metavar="PATH", help=METRICS_HELP)
    merge = commands.add_parser("merge", help="merge one night's shard run directories into one run")
    merge.add_argument("--inventory", required=True)
    merge.add_argument("--waivers", help="the waivers the shards ran with (for stale and expiring waivers)")
    merge.add_argument("--reports", default="reports", help="where runs/ and latest go (default: reports)")
    merge.add_argument("--metrics-file", metavar="PATH", help=METRICS_HELP)
    merge.add_argument("shard_runs", nargs="+", metavar="SHARD_RUN_DIR", type=Path,
                       help="every shard's run directory (reports/runs/<UTC>), shards 0/N to N-1/N, in any order")
    summary = commands.add_parser("summary", help="per-check summary of an Allure results directory")
    summary.add_argument("results", nargs="?", default="reports/latest/allure-results")
    explain = commands.add_parser("explain", help="what one check reads, calls and is tested by (no ID: every ID)")
    explain.add_argument("check_id", nargs="?", metavar="CHECK-ID")
    explain.add_argument("--format", choices=("text", "json"), default="text")
    pdf = commands.add_parser("pdf", help="print a run's verdict page (summary.html) to summary.pdf with Chromium")
    pdf.add_argument("run_dir", metavar="RUN_DIR", type=Path, help="a run directory, e.g. reports/latest")
    args, rest = parser.parse_known_args(argv)
    if args.command == "pdf":
        return pdf_command(args.run_dir, rest)
    if args.command == "explain":
        return explain_command(args.check_id, args.format, rest)
    if args.command == "summary":
        results = load_results(Path(args.results))
        if not results:
            say(f"no StackAudit results in {args.results}")
            return EXIT_CONFIG
        print("\n".join(summary_lines(results)))
        return 0
    if args.command == "merge":
        if rest:
            say(f"merge: unrecognized arguments {shown(' '.join(rest))}; merge takes --inventory, "
                "--waivers, --reports and the shard run directories")
            return EXIT_CONFIG
        return merge_shards(args)
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
    options = [f"--inventory={args.inventory}", f"--run-dir={run_dir}", f"--reports-dir={reports}",
               f"--alluredir={run_dir / 'allure-results'}",
               f"--numprocesses={args.workers}", "--dist=loadgroup", "-q"]
    if args.waivers:
        options.append(f"--waivers={args.waivers}")
    if args.profile:
        options += ["-m", args.profile]
    if args.shard:
        options.append(f"--shard={args.shard}")
    from stackaudit.session import GivenConfiguration    # here: the checks' imports, once the input is good
    # pytest in a child process: the pages are written once it has exited (report/pytest_apart.py)
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


def pdf_command(run_dir: Path, rest: list[str]) -> int:
    """`stackaudit pdf RUN_DIR`: one line naming summary.pdf, or why it was not written."""
    if rest:
        say(f"pdf: unrecognized arguments {shown(' '.join(rest))}; pdf takes one run directory")
        return EXIT_CONFIG
    try:
        if (run_dir / "summary.json").is_file() and not (run_dir / PAGE_FILE).is_file():
            write_verdict_page(run_dir, verdict_checks())     # a run recorded before the page existed
        written = print_pdf(run_dir)
    except (PdfUnavailable, ValueError) as err:     # no Chromium, no run there, a summary.json not ours
        say(str(err))
        return EXIT_CONFIG
    except (PdfFailed, OSError) as err:
        say(f"pdf: {err}")
        return EXIT_NOT_RECORDED
    print(f"Verdict page printed: {visible(str(written.resolve()))}")
    return EXIT_OK


def explain_command(check_id: str | None, output_format: str, rest: list[str]) -> int:
    """`stackaudit explain [CHECK-ID]`: the text (or JSON) stackaudit/explain.py makes of the check."""
    # here, not at the top: explain imports the plugin and every fact declaration, which a run that stops
    # at a bad input file (exit 4) never needs
    from stackaudit.explain import UnknownCheck, as_json as explanation_json, explain, listing as explain_listing, \
        text as explanation_text
    if rest:
        say(f"explain: unrecognized arguments {shown(' '.join(rest))}; explain takes a check ID and --format")
        return EXIT_CONFIG
    if check_id is None:
        print(explain_listing())
        return EXIT_OK
    try:
        explanation = explain(check_id)
    except UnknownCheck as err:
        say(str(err))
        return EXIT_CONFIG
    if output_format == "json":
        print(json.dumps(explanation_json(explanation), indent=2))
    else:
        print(visible(explanation_text(explanation), multiline=True), end="")
    return EXIT_OK


def merge_shards(args) -> int:
    """`stackaudit merge`: everything is checked before the merged run directory is made."""
    try:
        configuration = checked_configuration(args.inventory, args.waivers, metrics_file=args.metrics_file)
        shards = read_shard_runs(args.shard_runs, configuration.inventory.cloud_name)
        run_dir = open_run_dir(Path(args.reports))
    except (ConfigError, MergeRefused, NotRecordable) as err:
        say(str(err))
        return EXIT_CONFIG
    started = time.monotonic()
    try:
        summary = merge_into(run_dir, shards, configuration.waivers, configuration.today, configuration.input_files(),
                             catalog())
    except (MergeRefused, OSError) as err:
        say(str(err))
        return EXIT_NOT_RECORDED
    problem, headline = write_pages(run_dir, configuration)
    return finish(Path(args.reports), run_dir, summary["exit_code"], problem, time.monotonic() - started,
                  metrics_file=args.metrics_file, headline=headline)


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


def write_report(run_dir: Path, configuration: Configuration, headline: str | None = None) -> str | None:
    """Generate the run's report.html, naming the input files as the run read them and linking the verdict
    page (`headline`: its verdict); the reason it could not be, or None."""
    try:
        publish(run_dir, configuration.input_files(), headline,
                passed_results=configuration.policy.report.passed_results)
    except ReportFailed as err:
        return f"report.html not written: {err}"
    return None


if __name__ == "__main__":
    sys.exit(main())
