"""What a lab brought up, recorded so that `down` can end exactly that and nothing else.

Every process is recorded with its start time (field 22 of /proc/PID/stat) so that a pid the
kernel has since handed to another process is never signalled.
"""
from __future__ import annotations

import json
import os
import signal
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

STATE_FILE = "state.json"


@dataclass
class ProcessRecord:
    name: str
    pid: int
    start_time: int


@dataclass
class LabState:
    bridge: str = ""
    namespaces: list[str] = field(default_factory=list)
    processes: list[ProcessRecord] = field(default_factory=list)
    machines: dict[str, dict] = field(default_factory=dict)
    # net.core.netdev_max_backlog as it was before up raised it (lab/network.py), None if untouched
    backlog_before: int | None = None

    def save(self, state_dir: Path) -> None:
        tmp = state_dir / (STATE_FILE + ".tmp")
        tmp.write_text(json.dumps(asdict(self), indent=1))
        tmp.replace(state_dir / STATE_FILE)

    @classmethod
    def load(cls, state_dir: Path) -> "LabState":
        path = state_dir / STATE_FILE
        if not path.exists():
            return cls()
        raw = json.loads(path.read_text())
        raw["processes"] = [ProcessRecord(**p) for p in raw.get("processes", [])]
        return cls(**raw)


def process_start_time(pid: int) -> int | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name (field 2) may contain spaces; fields after it are split after the last ')'.
    return int(stat.rsplit(")", 1)[1].split()[19])


def record_process(name: str, pid: int) -> ProcessRecord:
    start = process_start_time(pid)
    if start is None:
        raise RuntimeError(f"process {name} (pid {pid}) exited right after it started")
    return ProcessRecord(name, pid, start)


def is_alive(record: ProcessRecord) -> bool:
    return process_start_time(record.pid) == record.start_time and not _is_zombie(record.pid)


def _is_zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


# A machine's recorded process is `unshare --fork --kill-child` (lab/machine.py), whose parent holds
# SIGINT and SIGTERM off while it waits for its child (util-linux, sys-utils/unshare.c; here every
# machine's unshare was still alive 1 s after SIGTERM); --kill-child SIGKILLs the child, the machine's
# PID 1, when unshare dies. A SIGTERM would only wait out the grace before the SIGKILL that ends it.
KILLED_AT_ONCE = "machine/"


def end_processes(records: list[ProcessRecord], grace_seconds: float = 3.0) -> None:
    """SIGTERM each recorded process that is still the one we started (SIGKILL a machine's unshare),
    then SIGKILL stragglers."""
    alive = [r for r in records if is_alive(r)]
    for record in alive:
        _signal(record, signal.SIGKILL if record.name.startswith(KILLED_AT_ONCE) else signal.SIGTERM)
    deadline = time.monotonic() + grace_seconds
    while alive and time.monotonic() < deadline:
        time.sleep(0.05)
        alive = [r for r in alive if is_alive(r)]
    for record in alive:
        _signal(record, signal.SIGKILL)
    deadline = time.monotonic() + grace_seconds
    while alive and time.monotonic() < deadline:
        time.sleep(0.05)
        alive = [r for r in alive if is_alive(r)]


def _signal(record: ProcessRecord, sig: int) -> None:
    try:
        os.kill(record.pid, sig)
    except ProcessLookupError:
        pass
