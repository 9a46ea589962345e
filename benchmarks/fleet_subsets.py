"""What a run collected: the targets and sections in its run directory's facts/*.json."""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from benchmarks.fleet_report import Measured


@dataclass(frozen=True)
class CollectedCount:
    targets: int       # targets whose facts were collected (an error record counts: it was tried)
    sections: int      # SSH sections, XAPI classes, SQL queries and API calls read over all targets


def sections_of(facts: dict) -> int:
    ssh, xapi, sql, api = (facts.get(part) or {} for part in ("ssh", "xapi", "sql", "api"))
    return (len(ssh.get("sections", {})) + len(xapi.get("records", {})) + len(sql.get("queries", {}))
            + (1 if "error" in api else len(api.get("read", api))))     # "read": one entry per API reading


def collected_count(reports: Path) -> CollectedCount:
    files = sorted((reports / "latest" / "facts").glob("*.json"))
    stored = [json.loads(f.read_text()) for f in files]
    return CollectedCount(len(stored), sum(sections_of(s.get("facts") or {}) for s in stored))


def subset_lines(runs: dict[str, tuple[Measured, CollectedCount]]) -> list[str]:
    """One line per run, each against the first (the full run)."""
    full_wall, full = next(iter(runs.values()))[0].wall, next(iter(runs.values()))[1]
    lines = [f"{'run':<28}{'wall s':>8}{'targets collected':>19}{'sections':>10}"]
    for name, (row, got) in runs.items():
        lines.append(f"{name:<28}{row.wall:>8.1f}{got.targets:>10} of {full.targets:<6}{got.sections:>10}"
                     f"  ({got.sections / full.sections:.0%} of full, wall x{row.wall / full_wall:.2f})"
                     if full.sections and full_wall else f"{name:<28}{row.wall:>8.1f}{got.targets:>19}{got.sections:>10}")
    return lines
