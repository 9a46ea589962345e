"""Where a `stackaudit run`'s wall time went, from its run directory: until the first check started
(interpreter, workers, discovery, first facts), while checks ran (first start to last stop in the
Allure results), and after the last check (summary, report.html by Allure's CLI)."""
from __future__ import annotations

import json
from pathlib import Path


def phases(results: list[dict], started: float, wall: float) -> tuple[float, float, float] | None:
    """(before the first check, checks, after the last) in seconds; `started` in epoch seconds.
    None when the run recorded no result."""
    spans = [(r["start"] / 1000, r["stop"] / 1000) for r in results if "start" in r and "stop" in r]
    if not spans:
        return None
    first, last = min(s for s, _ in spans), max(e for _, e in spans)
    return first - started, last - first, started + wall - last


def run_phases(reports: Path, started: float, wall: float) -> tuple[float, float, float] | None:
    results = [json.loads(p.read_text()) for p in (reports / "latest" / "allure-results").glob("*-result.json")]
    return phases(results, started, wall)


def phases_line(name: str, split: tuple[float, float, float] | None) -> str:
    if split is None:
        return f"{name}: no results recorded"
    before, checks, after = split
    return (f"{name}: {before:.1f} s until the first check started, {checks:.1f} s of checks, "
            f"{after:.1f} s after the last (summary, report.html)")
