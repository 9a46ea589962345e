"""Run directories: `reports/runs/<UTC timestamp>/`, one per run, never reused, and `reports/latest`.

A run directory is created with mkdir (which fails if it exists), so two runs started in the same
second get `<timestamp>`, `<timestamp>-2`, ... and neither overwrites the other.
"""
from __future__ import annotations

import json
import os
import time
import uuid
from pathlib import Path

STAMP = "%Y%m%dT%H%M%SZ"
# In a shard's run directory beside its summary.json, holding "I/N": a shard is part of a night, never
# the run before another (its results would read as the whole cloud); found without reading summaries.
SHARD_MARK = "shard"


def run_sort_key(name: str) -> tuple[str, int]:
    stamp, _, serial = name.partition("-")
    return stamp, int(serial) if serial.isdigit() else 1


def new_run_dir(reports: Path, now: float | None = None) -> Path:
    runs = reports / "runs"
    runs.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime(STAMP, time.gmtime(now if now is not None else time.time()))
    serial = 1
    while True:
        path = runs / (stamp if serial == 1 else f"{stamp}-{serial}")
        try:
            path.mkdir()
            return path
        except FileExistsError:
            serial += 1


def point_latest(reports: Path, run_dir: Path) -> None:
    """`reports/latest` -> the run directory (relative), replaced atomically (rename over the old link)."""
    link = reports / "latest"
    # A name of this call's own: shards on several machines share a reports volume, and in containers
    # their process ids are alike (often 1), so a pid alone would let one shard's link replace another's.
    tmp = reports / f".latest.{os.getpid()}.{uuid.uuid4().hex}"
    tmp.symlink_to(os.path.relpath(run_dir, reports))
    os.replace(tmp, link)


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
