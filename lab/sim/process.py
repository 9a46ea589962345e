"""Starting a simulator (`python -m lab.sim.<module> CONFIG.json`) and waiting for its ready file:
the lab's own simulators at `up`, and the impostors the fault tests start."""
from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parent.parent.parent


def start_simulator(module: str, config: Path, log: Path) -> subprocess.Popen:
    """The simulator running in its own session, its output appended to `log`."""
    with open(log, "ab") as out:
        return subprocess.Popen([sys.executable, "-m", f"lab.sim.{module}", str(config)], stdin=subprocess.DEVNULL,
                                stdout=out, stderr=subprocess.STDOUT, start_new_session=True, cwd=REPOSITORY)


def wait_ready(proc: subprocess.Popen, ready: Path, deadline: float) -> bool:
    """Whether the simulator wrote its ready file by `deadline` (time.monotonic()); False if it ended first."""
    while not ready.exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True
