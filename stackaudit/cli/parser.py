"""The command line's arguments: one sub-parser per command, every option with its help."""
from __future__ import annotations

import argparse
import sys
import textwrap
from pathlib import Path

from stackaudit.catalog import PROFILES
from stackaudit.cli.version import version_line
from stackaudit.report.outcomes import EXIT_CODES

DESCRIPTION = """\
StackAudit: compliance checks for an Apache CloudStack cloud, host by host.

Every run directory gets summary.html (the verdict page), report.html (Allure), summary.json,
junit.xml, results.csv and metrics.prom (docs/outputs.md). `run` checks the inventory, its policy,
the waivers and every file they name before it creates anything; `validate` lists every mistake.
"""
RUN_EPILOG = """\
Every other argument goes to pytest unchanged (e.g. -k, -x, --allure-label check_id=HOST-IPTABLES-V4,
--allure-link-pattern issue:https://tracker.example/{}).

exit codes:
""" + "\n".join(textwrap.fill(meaning, 100, initial_indent=f"  {code}  ", subsequent_indent="     ")
                for code, meaning in EXIT_CODES)
INVENTORY_HELP = "the cloud's inventory (YAML; inventories/example.yml shows every key)"
REPORTS_HELP = "where runs/<UTC>/ and latest go (default: reports)"
METRICS_HELP = ("also write the run's metrics.prom here, e.g. in node_exporter's textfile collector directory "
                "(written to a temporary name and renamed)")


def prog_name(argv0: str) -> str:
    """The command as the user typed it: `stackaudit`, or `python -m stackaudit` for the module."""
    name = Path(argv0).name
    return "python -m stackaudit" if name in ("__main__.py", "") else name


def build_parser(argv0: str | None = None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=prog_name(sys.argv[0] if argv0 is None else argv0),
                                     description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=version_line())
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    run = commands.add_parser("run", help="run the checks (other arguments go to pytest)",
                              description="Run the checks against the cloud the inventory names.",
                              epilog=RUN_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    run.add_argument("--inventory", required=True, metavar="FILE", help=INVENTORY_HELP)
    run.add_argument("--waivers", metavar="FILE", help="accepted deviations (inventories/waivers.yml shows the format)")
    run.add_argument("--profile", choices=PROFILES, help="run only this profile's checks (pytest -m PROFILE); "
                                                         "without it every check runs")
    run.add_argument("--reports-dir", dest="reports", default="reports", metavar="DIR", help=REPORTS_HELP)
    run.add_argument("--workers", default="auto", help="pytest-xdist workers: auto, logical or a number (default auto)")
    run.add_argument("--shard", metavar="I/N", help="run only shard I of N (0 <= I < N); no report.html")
    run.add_argument("--metrics-file", metavar="PATH", help=METRICS_HELP)
    merge = commands.add_parser("merge", help="merge one night's shard run directories into one run",
                                description="Join one night's shard run directories into one run directory.")
    merge.add_argument("--inventory", required=True, metavar="FILE", help=INVENTORY_HELP + "; the shards' own")
    merge.add_argument("--waivers", metavar="FILE",
                       help="the waivers the shards ran with (for stale and expiring waivers)")
    merge.add_argument("--reports-dir", dest="reports", default="reports", metavar="DIR", help=REPORTS_HELP)
    merge.add_argument("--metrics-file", metavar="PATH", help=METRICS_HELP)
    merge.add_argument("shard_runs", nargs="+", metavar="SHARD_RUN_DIR", type=Path,
                       help="every shard's run directory (reports/runs/<UTC>), shards 0/N to N-1/N, in any order")
    summary = commands.add_parser("summary", help="per-check summary of an Allure results directory",
                                  description="Print the per-check table of a run's Allure results.")
    summary.add_argument("results", nargs="?", default="reports/latest/allure-results", metavar="RESULTS_DIR",
                         help="a run's allure-results directory (default: reports/latest/allure-results)")
    explain = commands.add_parser("explain", help="what one check reads, calls and is tested by (no ID: every ID)",
                                  description="What one check reads, calls and is tested by.")
    explain.add_argument("check_id", nargs="?", metavar="CHECK-ID", help="a check's ID, e.g. HOST-IPTABLES-V4; "
                                                                         "without it, every check ID")
    explain.add_argument("--format", choices=("text", "json"), default="text", help="text (default) or json")
    pdf = commands.add_parser("pdf", help="print a run's verdict page (summary.html) to summary.pdf with Chromium",
                              description="Print a run's verdict page to RUN_DIR/summary.pdf with headless Chromium.")
    pdf.add_argument("run_dir", metavar="RUN_DIR", type=Path, help="a run directory, e.g. reports/latest")
    access = commands.add_parser("access", help="what the API key, database user and SSH user need (docs/accounts.md)",
                                 description="What the accounts the checks use need: the API role, the database "
                                             "user's GRANTs, the SSH user's commands. Without a part, all three.")
    part = access.add_mutually_exclusive_group()
    part.add_argument("--api", action="store_true", help="the read-only API role, as cmk commands")
    part.add_argument("--database", action="store_true", help="the audit user's GRANTs, per server version")
    part.add_argument("--ssh", action="store_true", help="the commands the SSH user runs, and which need root")
    access.add_argument("--format", choices=("text", "json"), default="text", help="text (default) or json")
    known_hosts = commands.add_parser(
        "known-hosts", help="print the SSH targets' host keys to verify and append to known_hosts (writes nothing)",
        description="Discover the SSH targets a run would reach and print each one's host key as a known_hosts line "
                    "with its SHA256 fingerprint, for you to verify out of band and append (docs/known-hosts.md). "
                    "Nothing is written.")
    known_hosts.add_argument("--inventory", required=True, metavar="FILE", help=INVENTORY_HELP)
    known_hosts.add_argument("--reports-dir", dest="reports", default="reports", metavar="DIR",
                             help="the run's reports directory, whose system VM pin file is read to compare "
                                  "(default: reports)")
    return parser
