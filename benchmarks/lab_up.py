"""Time and memory of `lab up` for generated clouds: python benchmarks/lab_up.py [HOSTS ...].

Prints, per size: machines, wall time of up, the summed PSS of every lab process (machines and
simulators), the drop in MemAvailable (includes kernel memory for namespaces, sockets, overlays),
and the time of down.
"""
from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from lab.generate import generate_scenario  # noqa: E402
from lab.lifecycle import down, up  # noqa: E402
from lab.state import LabState  # noqa: E402


def mem_available_kib() -> int:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemAvailable:"):
            return int(line.split()[1])
    raise RuntimeError("no MemAvailable in /proc/meminfo")


def descendants(pid: int) -> list[int]:
    found, stack = [], [pid]
    while stack:
        current = stack.pop()
        found.append(current)
        for task in Path(f"/proc/{current}/task").glob("*"):
            try:
                stack += [int(c) for c in (task / "children").read_text().split()]
            except OSError:
                pass
    return found


def pss_kib(pids: list[int]) -> int:
    total = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total


def measure(hosts: int) -> None:
    zones = 4 if hosts >= 200 else 2 if hosts >= 50 else 1
    with tempfile.TemporaryDirectory(prefix="lab-bench-") as tmp:
        scenario = Path(tmp) / "scenario.yml"
        scenario.write_text(yaml.safe_dump(generate_scenario(hosts, zones)))
        state_dir = Path(tmp) / "state"
        before = mem_available_kib()
        started = time.monotonic()
        topo = up(scenario, state_dir, out=lambda *_: None)
        elapsed = time.monotonic() - started
        try:
            time.sleep(1)
            pids = [p for record in LabState.load(state_dir).processes for p in descendants(record.pid)]
            pss, drop = pss_kib(pids), before - mem_available_kib()
        finally:
            t = time.monotonic()
            down(state_dir, out=lambda *_: None)
            down_time = time.monotonic() - t
    print(f"hosts={hosts:<4} zones={zones} machines={len(topo.machines):<4} system_vms={len(topo.system_vms):<3} "
          f"up={elapsed:6.1f}s  processes={len(pids):<5} pss={pss / 1024:7.0f} MiB  "
          f"mem_available_drop={drop / 1024:7.0f} MiB  down={down_time:5.1f}s", flush=True)


if __name__ == "__main__":
    for size in [int(a) for a in sys.argv[1:]] or [10, 50, 200]:
        measure(size)
