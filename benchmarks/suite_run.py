"""Wall time of a whole suite run against a generated compliant lab, by number of xdist workers.

python benchmarks/suite_run.py [--hosts 50] [--zones 2] [--workers 0,1,2,4]

Prints, per worker count: results, how many passed, wall time, and the client CPU time the run's
processes used (user + system of the pytest process and its children).
"""
from __future__ import annotations

import argparse
import json
import resource
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


def run_suite(inventory: Path, work: Path, workers: int) -> tuple[float, float, int, int]:
    allure_dir = work / f"allure-{workers}"
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    subprocess.run([sys.executable, "-m", "pytest", f"--inventory={inventory}", f"--alluredir={allure_dir}",
                    f"--reports-dir={work / 'reports'}", "-q", f"--numprocesses={workers}"],
                   cwd=REPO, capture_output=True, text=True, timeout=1800)
    wall = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    statuses = [json.loads(p.read_text()).get("status") for p in allure_dir.glob("*-result.json")]
    return wall, cpu, len(statuses), statuses.count("passed")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, default=50)
    parser.add_argument("--zones", type=int, default=2)
    parser.add_argument("--workers", default="0,1,2,4")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="stackaudit-bench-") as tmp:
        work = Path(tmp)
        scenario = work / "scenario.yml"
        scenario.write_text(yaml.safe_dump(generate_scenario(args.hosts, args.zones)))
        started = time.monotonic()
        topology = up(scenario, work / "lab", out=lambda *_: None)
        print(f"lab: {len(topology.machines)} machines ({args.hosts} hosts, {args.zones} zones) "
              f"up in {time.monotonic() - started:.1f} s")
        try:
            print(f"{'workers':>7} {'results':>8} {'passed':>7} {'wall s':>7} {'cpu s':>6}")
            for workers in (int(w) for w in args.workers.split(",")):
                wall, cpu, results, passed = run_suite(work / "lab" / "inventory.yml", work, workers)
                print(f"{workers:>7} {results:>8} {passed:>7} {wall:>7.1f} {cpu:>6.1f}")
        finally:
            down(work / "lab", out=lambda *_: None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
