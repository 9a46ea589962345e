"""Run directories: `reports/runs/<UTC timestamp>/`, one per run, never reused, and `reports/latest`.

A run directory is created with mkdir (which fails if it exists), so two runs started in the same
second get `<timestamp>`, `<timestamp>-2`, ... and neither overwrites the other. Directories are
private (config/safe_files.py): mode 0700, and `runs/` is refused if another user could write in it.
"""
from __future__ import annotations

import json
import os
import time
from pathlib import Path

from stackaudit.config.safe_files import private_dir, replace_symlink
from stackaudit.parsers.numbers import read_decimal, read_or_none

STAMP = "%Y%m%dT%H%M%SZ"
# In a shard's run directory beside its summary.json, holding "I/N": a shard is part of a night, never
# the run before another (its results would read as the whole cloud); found without reading summaries.
SHARD_MARK = "shard"


def run_sort_key(name: str) -> tuple[str, int]:
    stamp, _, serial = name.partition("-")
    number = read_or_none(read_decimal, serial)     # "²".isdigit() is true, and int("²") fails
    return stamp, 1 if number is None else number


def new_run_dir(reports: Path, now: float | None = None) -> Path:
    runs = private_dir(reports / "runs")
    stamp = time.strftime(STAMP, time.gmtime(now if now is not None else time.time()))
    serial = 1
    while True:
        path = runs / (stamp if serial == 1 else f"{stamp}-{serial}")
        try:
            os.mkdir(path, 0o700)
            return path
        except FileExistsError:
            serial += 1


def point_latest(reports: Path, run_dir: Path) -> None:
    """`reports/latest` -> the run directory (relative), replaced atomically (rename over the old link)."""
    replace_symlink(reports / "latest", os.path.relpath(run_dir, reports))


def earlier_runs(run_dir: Path) -> list[Path]:
    """The run directories before `run_dir` that recorded a whole run (a summary.json, no shard mark), latest first."""
    earlier = [p for p in run_dir.parent.iterdir()
               if p.is_dir() and run_sort_key(p.name) < run_sort_key(run_dir.name) and (p / "summary.json").is_file()
               and not (p / SHARD_MARK).exists()]
    return sorted(earlier, key=lambda p: run_sort_key(p.name), reverse=True)


def previous_run(run_dir: Path) -> tuple[Path, dict] | None:
    """The latest run before `run_dir` whose summary.json reads, with that summary."""
    for path in earlier_runs(run_dir):
        try:
            return path, json.loads((path / "summary.json").read_text())
        except (OSError, ValueError):
            continue
    return None


def previous_summary(run_dir: Path) -> dict | None:
    found = previous_run(run_dir)
    return found[1] if found else None
