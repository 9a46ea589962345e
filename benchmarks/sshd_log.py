"""SSH connections and logins per lab machine, counted at its own sshd.

Every lab machine's sshd runs `sshd -D -e` with `LogLevel VERBOSE` (lab/files.py), so its
console.log gets one line per TCP connection and one per login (OpenSSH 9.2, sshd.c and auth.c):

    Connection from 198.18.0.1 port 51234 on 198.18.1.1 port 22 rdomain ""
    Accepted publickey for root from 198.18.0.1 port 51234 ssh2: ED25519 SHA256:...

A measurement reads each log from the offset it had before the tool ran to its end after.
"""
from __future__ import annotations

import re
import statistics
from dataclasses import dataclass
from pathlib import Path

CONNECTION = re.compile(r"^Connection from \S+ port \d+ on \S+ port \d+")
LOGIN = re.compile(r"^Accepted publickey for \S+ from ")


@dataclass(frozen=True)
class Counts:
    connections: int
    logins: int


def count_lines(text: str) -> Counts:
    """TCP connections and successful logins in a stretch of sshd's log."""
    lines = text.splitlines()
    return Counts(sum(1 for line in lines if CONNECTION.match(line)),
                  sum(1 for line in lines if LOGIN.match(line)))


def console_log(state_dir: Path, machine: str) -> Path:
    return state_dir / "machines" / machine / "console.log"


def offsets(state_dir: Path, machines: list[str]) -> dict[str, int]:
    """Where each machine's log ends now."""
    return {name: console_log(state_dir, name).stat().st_size for name in machines}


def counts_since(state_dir: Path, before: dict[str, int]) -> dict[str, Counts]:
    """Each machine's connections and logins logged since `before`."""
    counted = {}
    for name, offset in before.items():
        with open(console_log(state_dir, name), "rb") as log:
            log.seek(offset)
            counted[name] = count_lines(log.read().decode("utf-8", "replace"))
    return counted


@dataclass(frozen=True)
class Spread:
    low: int
    mean: float
    high: int

    def __str__(self) -> str:
        return f"{self.low}/{self.mean:.2f}/{self.high}"


def spread(values: list[int]) -> Spread:
    """min/mean/max; an empty list (no targets) is 0/0/0."""
    return Spread(min(values), statistics.fmean(values), max(values)) if values else Spread(0, 0.0, 0)
