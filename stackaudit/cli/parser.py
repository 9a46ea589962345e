"""The command line's arguments: one sub-parser per command."""
from __future__ import annotations

import argparse
from pathlib import Path

from stackaudit.catalog import PROFILES

DESCRIPTION = """\
Every run directory gets summary.html (the verdict page), report.html (Allure), summary.json,
junit.xml, results.csv and metrics.prom (docs/outputs.md).

`run` validates the inventory, its policy, the waivers and every file they name before it creates
anything: a bad file is one line and exit code 4, and nothing is written. Then it makes
`reports/runs/<UTC timestamp>/` (never reusing one) and, when the run is over, points `reports/latest`
at it. `run --shard I/N` runs one shard of the targets (no report.html); `merge` joins a night's shard
runs into one run directory (README, "Sharding").
"""
METRICS_HELP = ("also write the run's metrics.prom here, e.g. in node_exporter's textfile collector directory "
                "(written to a temporary name and renamed)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m stackaudit", description=DESCRIPTION,
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
    access = commands.add_parser("access", help="what the API key, database user and SSH user need (docs/accounts.md)")
    part = access.add_mutually_exclusive_group()
    part.add_argument("--api", action="store_true", help="the read-only API role, as cmk commands")
    part.add_argument("--database", action="store_true", help="the audit user's GRANTs, per server version")
    part.add_argument("--ssh", action="store_true", help="the commands the SSH user runs, and which need root")
    access.add_argument("--format", choices=("text", "json"), default="text")
    return parser
