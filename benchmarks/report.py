"""Time and size of report.html: `stackaudit run` twice against a lab, then Allure's generation alone.

python benchmarks/report.py --hosts 200 [--zones 4]          # a generated compliant lab
python benchmarks/report.py --scenario lab/scenarios/violations.yml   # the demo's lab

Prints, per run: results, the whole run's wall time, and report.html's generation time and size; then
Allure's generation alone, repeated, on the second run's results (which carry the first run's history).
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
from lab.generate import generate_scenario  # noqa: E402
from lab.lifecycle import down, up  # noqa: E402
from stackaudit.report.allure_report import find_allure, generate  # noqa: E402


def megabytes(path: Path) -> float:
    files = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()]
    return sum(p.stat().st_size for p in files) / 1e6


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, default=200)
    parser.add_argument("--zones", type=int, default=4)
    parser.add_argument("--scenario", help="a lab scenario file instead of a generated lab")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="stackaudit-bench-report-") as tmp:
        work = Path(tmp)
        scenario = Path(args.scenario) if args.scenario else work / "scenario.yml"
        if not args.scenario:
            scenario.write_text(yaml.safe_dump(generate_scenario(args.hosts, args.zones)))
        topology = up(scenario, work / "lab", out=lambda *_: None)
        print(f"lab: {scenario.name if args.scenario else f'{args.hosts} hosts, {args.zones} zones'}, "
              f"{len(topology.machines)} machines")
        try:
            print(f"{'run':>4} {'results':>8} {'run s':>6} {'report s':>9} {'report MB':>10} {'results MB':>11}")
            for number in (1, 2):
                started = time.monotonic()
                done = subprocess.run([sys.executable, "-m", "stackaudit", "run",
                                       f"--inventory={work / 'lab' / 'inventory.yml'}", f"--reports-dir={work / 'reports'}"],
                                      cwd=REPO, capture_output=True, text=True, timeout=3600)
                wall = time.monotonic() - started
                run_dir = (work / "reports" / "latest").resolve()
                report = run_dir / "report.html"
                if not report.is_file():
                    print(done.stdout[-2000:] + done.stderr[-2000:])
                    return 1
                total = json.loads((run_dir / "summary.json").read_text())["counts"]["total"]
                timing = next((line for line in done.stdout.splitlines() if line.startswith("Report:")), "")
                seconds = timing.rsplit("generated in ", 1)[-1].split(" s")[0] if "generated in" in timing else "?"
                print(f"{number:>4} {total:>8} {wall:>6.1f} {seconds:>9} {megabytes(report):>10.1f} "
                      f"{megabytes(run_dir / 'allure-results'):>11.1f}")
        finally:
            down(work / "lab", out=lambda *_: None)
        results = run_dir / "allure-results"
        times = []
        for _ in range(args.repeat):
            started = time.monotonic()
            generate(find_allure(), results, work / "again.html")
            times.append(time.monotonic() - started)
        print(f"allure generate --single-file alone, {args.repeat} times: "
              f"min {min(times):.1f} s, max {max(times):.1f} s, {megabytes(work / 'again.html'):.1f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
