"""python -m stackaudit run|summary: pytest with sensible defaults, and a per-check summary.

pytest stays the interface: `run` only adds defaults (`-n auto --dist loadgroup`, the Allure
results directory) and passes every other argument through.
"""
from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

import pytest

from stackaudit.report.summary import load_results, summary_lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m stackaudit", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="run the checks (extra arguments go to pytest)")
    run.add_argument("--inventory", required=True)
    run.add_argument("--results", default="reports/allure-results", help="Allure results directory")
    run.add_argument("--workers", default="auto", help="pytest-xdist workers (default auto)")
    summary = commands.add_parser("summary", help="per-check summary of an Allure results directory")
    summary.add_argument("results", nargs="?", default="reports/allure-results")
    args, rest = parser.parse_known_args(argv)
    if args.command == "summary":
        results = load_results(Path(args.results))
        if not results:
            print(f"stackaudit: no StackAudit results in {args.results}", file=sys.stderr)
            return 4
        print("\n".join(summary_lines(results)))
        return 0
    results_dir = Path(args.results)
    shutil.rmtree(results_dir, ignore_errors=True)   # one run per directory: the summary is this run's
    code = pytest.main([f"--inventory={args.inventory}", f"--alluredir={results_dir}",
                        f"--numprocesses={args.workers}", "--dist=loadgroup", "-q", *rest])
    print(f"Allure results: {results_dir.resolve()}")
    return int(code)


if __name__ == "__main__":
    sys.exit(main())
