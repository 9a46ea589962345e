"""Run one command and measure it: wall time, client CPU and the peak RSS of its process tree.

    python benchmarks/measure.py OUT.json -- COMMAND...

This process makes itself a child subreaper (prctl PR_SET_CHILD_SUBREAPER, Linux man-pages,
"prctl(2)", 2024, https://man7.org/linux/man-pages/man2/prctl.2.html), so processes the command leaves
behind (OpenSSH ControlPersist masters of testinfra and Ansible) stay in the measured tree, are
ended by their own pid when the command is over, and their CPU time is counted when reaped.
CPU is the user + system time of every reaped descendant (getrusage RUSAGE_CHILDREN); RSS is sampled
every 0.1 s from /proc, summed over all descendants.
"""
from __future__ import annotations

import ctypes
import json
import os
import resource
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

PR_SET_CHILD_SUBREAPER = 36
PAGE = os.sysconf("SC_PAGE_SIZE")


def process_table() -> dict[int, tuple[int, int]]:
    """pid -> (parent pid, resident bytes) of every process now."""
    table = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
            resident = int(Path(f"/proc/{entry}/statm").read_text().split()[1]) * PAGE
        except (OSError, IndexError, ValueError):
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        table[int(entry)] = (ppid, resident)
    return table


def descendants(table: dict[int, tuple[int, int]], root: int) -> set[int]:
    children: dict[int, list[int]] = {}
    for pid, (ppid, _) in table.items():
        children.setdefault(ppid, []).append(pid)
    found, pending = set(), list(children.get(root, []))
    while pending:
        pid = pending.pop()
        if pid not in found:
            found.add(pid)
            pending += children.get(pid, [])
    return found


def tree_rss(table: dict[int, tuple[int, int]], root: int) -> int:
    return sum(table[pid][1] for pid in descendants(table, root))


def end_leftovers() -> None:
    """End and reap what the command left behind in this subreaper's tree, each by its pid."""
    for pid in descendants(process_table(), os.getpid()):
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            time.sleep(0.05)


def measure(argv: list[str]) -> dict:
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    peak, done = 0, threading.Event()

    def sample():
        nonlocal peak
        while not done.is_set():
            peak = max(peak, tree_rss(process_table(), os.getpid()))
            done.wait(0.1)

    sampler = threading.Thread(target=sample, daemon=True)
    started, started_epoch = time.monotonic(), time.time()
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    sampler.start()
    output = process.communicate()[0]
    wall = time.monotonic() - started
    done.set()
    sampler.join()
    end_leftovers()
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {"started": started_epoch, "wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "peak_rss": peak,
            "exit_code": process.returncode, "output": output.decode("utf-8", "replace")[-20000:]}


def main() -> int:
    out, separator, *argv = sys.argv[1:]
    if separator != "--" or not argv:
        print("usage: measure.py OUT.json -- COMMAND...", file=sys.stderr)
        return 2
    Path(out).write_text(json.dumps(measure(argv)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
