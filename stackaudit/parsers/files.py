"""File times and sizes from GNU stat, and the target's clock from date."""
from __future__ import annotations

import re
from dataclasses import dataclass

from stackaudit.errors import UnparsableOutput
from stackaudit.parsers.numbers import INT64, read_decimal



@dataclass(frozen=True)
class FileStat:
    path: str
    mtime: int    # seconds since the epoch
    size: int     # bytes


def parse_stat_lines(text: str) -> list[FileStat]:
    """`stat -c '%Y %s %n' FILE...`: one line per file that exists (stat names the others on stderr).

        -60 4096 /tmp/stackaudit-rec.VHnBiT/stat/agent
        1700000000 1835 /tmp/stackaudit-rec.VHnBiT/stat/agent/cloud.jks
        1700086400 0 /tmp/stackaudit-rec.VHnBiT/stat/agent/name with  spaces.log

    The name is the rest of the line, spaces included.
    """
    stats = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line:
            continue
        match = re.fullmatch(r"(-?[0-9]+) ([0-9]+) (.+)", line)
        if not match:
            raise UnparsableOutput(f"stat line {number}: expected 'MTIME SIZE PATH', got {line[:80]!r}")
        where = f"stat line {number}"
        mtime = read_decimal(match[1], where, low=INT64[0], high=INT64[1], signs="-", what="a time (time_t)")
        stats.append(FileStat(match[3], mtime, read_decimal(match[2], where, high=INT64[1], what="a size (off_t)")))
    return stats


def parse_epoch(text: str) -> int:
    """`date +%s`: the target's clock in seconds since the epoch, e.g. `1795463486`."""
    value = text.strip()
    if not re.fullmatch(r"-?[0-9]+", value):
        raise UnparsableOutput(f"date +%s: expected seconds since the epoch, got {value[:40]!r}")
    return read_decimal(value, "date +%s", low=INT64[0], high=INT64[1], signs="-", what="a time (time_t)")
