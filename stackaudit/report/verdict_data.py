"""What the verdict page (summary.html) is made from, read from a run directory and the runs before it.

Everything comes from what the run already recorded: summary.json (with why each broken result was
not checked, report/auditor.py's reasons), targets.json (what was audited, with the versions
discovery listed) and the earlier runs' summary.json (the trend). The page itself is a pure function of these (report/verdict_page.py).
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from stackaudit.config.safe_files import write_file
from stackaudit.report.auditor import not_checked_message
from stackaudit.report.runs import earlier_runs

PAGE_FILE = "summary.html"
# The trend shows this many runs before this one; each is one summary.json read.
TREND_RUNS = 10


@dataclass(frozen=True)
class CheckInfo:
    """Of the check's catalog record (stackaudit/catalog.py), what the page shows."""
    title: str
    area: str
    remediation: str


@dataclass(frozen=True)
class EarlierRun:
    run: str
    started: str
    profile: str | None
    exit_code: int | None
    counts: dict


@dataclass(frozen=True)
class PageInputs:
    summary: dict                                   # this run's summary.json
    checks: dict[str, CheckInfo] = field(default_factory=dict)
    targets: list[dict] = field(default_factory=list)   # targets.json's targets: kind, name, zone, attrs
    not_checked: dict[tuple[str, str], str] = field(default_factory=dict)  # broken (check, target) -> reason
    discovery_failure: str | None = None            # why the cloud's targets could not be listed
    earlier: list[EarlierRun] = field(default_factory=list)     # latest first


def read_targets(run_dir: Path) -> list[dict]:
    """targets.json's targets (none when discovery failed before it was written)."""
    try:
        targets = json.loads((run_dir / "targets.json").read_text()).get("targets")
    except (OSError, ValueError, AttributeError):
        return []
    return [t for t in targets if isinstance(t, dict)] if isinstance(targets, list) else []


def broken_reasons(summary: dict) -> dict[tuple[str, str], str]:
    """Why each broken (check, target) was not checked: summary.json's `not_checked` (a summary.json
    written before it was recorded gives none: the page then says "not checkable")."""
    return {(entry["check_id"], entry["target"] or ""): entry["not_checked"]
            for entry in summary.get("results") or () if isinstance(entry, dict)
            and entry.get("status") == "broken" and isinstance(entry.get("not_checked"), str)}


def discovery_failure(summary: dict) -> str | None:
    """The failed discovery's reason and message, as its Allure result words it, or None."""
    discovery = summary.get("discovery")
    if not isinstance(discovery, dict) or discovery.get("status") != "failed":
        return None
    return not_checked_message(discovery.get("reason"), discovery.get("message"))


def read_earlier(run_dir: Path, limit: int = TREND_RUNS) -> list[EarlierRun]:
    """The whole runs before this one in its reports directory, latest first (report/runs.py)."""
    found = []
    for path in earlier_runs(run_dir):
        if len(found) == limit:
            break
        try:
            summary = json.loads((path / "summary.json").read_text())
            found.append(EarlierRun(str(summary["run"]), str(summary.get("started") or ""), summary.get("profile"),
                                    summary.get("exit_code"), dict(summary.get("counts") or {})))
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            continue
    return found


def read_page_inputs(run_dir: Path, checks: dict[str, CheckInfo]) -> PageInputs:
    """`checks`: the catalog's (the command line gives them: the report does not import the catalog).
    Raises OSError or ValueError when summary.json cannot be read."""
    path = run_dir / "summary.json"
    try:
        summary = json.loads(path.read_text())
    except ValueError as err:
        raise ValueError(f"{path}: not JSON ({err}); run the checks again") from None
    if not isinstance(summary, dict):
        raise ValueError(f"{path}: not as StackAudit writes it (not a JSON object); run the checks again")
    earlier = [] if summary.get("shard") else read_earlier(run_dir)
    return PageInputs(summary, checks, read_targets(run_dir), broken_reasons(summary), discovery_failure(summary),
                      earlier)


def write_verdict_page(run_dir: Path, checks: dict[str, CheckInfo]) -> str:
    """Write run_dir/summary.html and return its verdict's headline (GO, NO-GO, 2 NEW FAILURES, ...);
    raises OSError or ValueError (summary.json unreadable)."""
    from stackaudit.report.verdict_page import render, verdict     # the page imports this module's types
    inputs = read_page_inputs(run_dir, checks)
    try:
        page, headline = render(inputs), verdict(inputs)[0]
    except (TypeError, KeyError, AttributeError, IndexError) as err:     # a summary.json edited by hand
        raise ValueError(f"{run_dir / 'summary.json'}: not as StackAudit writes it ({type(err).__name__}: {err}); "
                         "run the checks again") from None
    write_file(run_dir / PAGE_FILE, page)
    return headline
