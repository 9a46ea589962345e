"""Wall time of a suite run on a cloud whose API lists hosts that nothing answers, against the same cloud
with every host reachable (issue 12, item 4: 520 listed KVM hosts, 500 unreachable, ran 11 minutes).

python benchmarks/unreachable_members.py [--hosts 520] [--unreachable 500] [--workers 2] [--no-clean]

Each case brings up a generated KVM-only lab (lab/generate.py; unreachable hosts are `ssh: false`: the
API lists them, their address answers nothing, so a connect ends in "No route to host" once ARP gives
up), runs the whole suite with --numprocesses=WORKERS, and prints: results, passed, broken, wall time,
the HOST-UUID-UNIQUE result's own duration and status, how many hosts' SSH facts were recorded as
unreachable and the longest any of them waited (their connects are all under way together:
stackaudit/collect/pipeline.py). The inventory's ssh.connect_timeout is printed too: the unreachable
case should cost at most that much more than the clean one.
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
from lab.generate import generate_scenario, without_ssh  # noqa: E402
from lab.lifecycle import down, up  # noqa: E402


def run_case(work: Path, hosts: int, unreachable: int, workers: int) -> dict:
    # clusters of 32: each carries a router, and 500 of 520 hosts must carry no system VM
    scenario = generate_scenario(hosts, 1, xenserver=False, cluster_size=32)
    without_ssh(scenario, unreachable)
    path = work / "scenario.yml"
    path.write_text(yaml.safe_dump(scenario))
    lab = work / "lab"
    up(path, lab, out=lambda *_: None)
    try:
        allure_dir, reports = work / "allure", work / "reports"
        started = time.monotonic()
        subprocess.run([sys.executable, "-m", "pytest", f"--inventory={lab / 'inventory.yml'}",
                        f"--alluredir={allure_dir}", f"--reports-dir={reports}", "-q", f"--numprocesses={workers}"],
                       cwd=REPO, capture_output=True, text=True, timeout=3600)
        wall = time.monotonic() - started
    finally:
        down(lab, out=lambda *_: None)
    results = [json.loads(p.read_text()) for p in allure_dir.glob("*-result.json")]
    uuid = next((r for r in results if any(lb["name"] == "check_id" and lb["value"] == "HOST-UUID-UNIQUE"
                                          for lb in r.get("labels", []))), {})
    records = [json.loads(p.read_text()) for p in reports.glob("runs/*/facts/*.json")]
    silent = [r["seconds"] for r in records
              if r.get("facts", {}).get("ssh", {}).get("error", {}).get("type") == "Unreachable"]
    return {"results": len(results), "passed": sum(r["status"] == "passed" for r in results),
            "broken": sum(r["status"] == "broken" for r in results), "wall": wall,
            "uuid_seconds": (uuid.get("stop", 0) - uuid.get("start", 0)) / 1000, "uuid_status": uuid.get("status"),
            "collected": len(records), "silent": len(silent), "longest_wait": max(silent, default=0.0),
            "connect_timeout": yaml.safe_load((lab / "inventory.yml").read_text())["ssh"].get("connect_timeout", 15)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, default=520)
    parser.add_argument("--unreachable", type=int, default=500)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--no-clean", action="store_true", help="skip the run with every host reachable")
    args = parser.parse_args()
    cases = [("unreachable", args.unreachable)] + ([] if args.no_clean else [("clean", 0)])
    print(f"{'case':<12} {'hosts':>5} {'silent':>6} {'results':>7} {'passed':>6} {'broken':>6} {'wall s':>7} "
          f"{'uuid s':>6} {'uuid':>7} {'targets':>7} {'wait s':>6} {'timeout':>7}")
    for name, unreachable in cases:
        with tempfile.TemporaryDirectory(prefix="stackaudit-bench-") as tmp:
            f = run_case(Path(tmp), args.hosts, unreachable, args.workers)
        print(f"{name:<12} {args.hosts:>5} {f['silent']!s:>6} {f['results']:>7} {f['passed']:>6} {f['broken']:>6} "
              f"{f['wall']:>7.1f} {f['uuid_seconds']:>6.1f} {f['uuid_status']!s:>7} {f['collected']:>7} "
              f"{f['longest_wait']:>6.1f} {f['connect_timeout']:>7}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
