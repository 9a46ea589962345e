"""summary.json (docs/reports.md, "Run directories and summary.json") and what changed since the previous run."""
from __future__ import annotations

import datetime
import json
from collections import Counter
from pathlib import Path

from stackaudit.config.safe_files import write_file
from stackaudit.report.summary import Result
from stackaudit.report.summary_fields import (SCHEMA_VERSION, check_entries, counts_by_severity, discovery_completed,
                                              report_paths)
from stackaudit.report.visible import visible_lines

STATUSES = ("passed", "failed", "broken", "waived", "skipped")
EXPIRING_WITHIN_DAYS = 14


def result_entry(result: Result) -> dict:
    return {"check_id": result.check_id, "target": result.target, "status": result.status,
            "severity": result.severity, "message": result.message, "waiver": result.waiver,
            "not_checked": result.not_checked}


def _keys(results, status: str) -> set[tuple[str, str]]:
    return {(r["check_id"], r["target"]) for r in results if r["status"] == status}


def _listed(keys) -> list[dict]:
    return [{"check_id": c, "target": t} for c, t in sorted(keys)]


def changes(previous: list[dict] | None, current: list[dict]) -> dict:
    """What changed since the previous run's results (summary.json entries). Without a previous run
    every failure and every broken result is new."""
    before = previous or []
    failed_now, failed_before = _keys(current, "failed"), _keys(before, "failed")
    broken_now, broken_before = _keys(current, "broken"), _keys(before, "broken")
    return {"new_failures": _listed(failed_now - failed_before),
            "fixed": _listed(failed_before & _keys(current, "passed")),
            "new_broken": _listed(broken_now - broken_before),
            "still_failing": len(failed_now & failed_before)}


def stale_waivers(waivers, results: list[Result]) -> list[dict]:
    """Waivers that covered no failure of this run (`waivers`: config.waivers.Waiver objects)."""
    used = {(r.waiver["check"], r.waiver["target"]) for r in results if r.waiver}
    return [waiver_entry(w) for w in waivers if (w.check, w.target) not in used]


def waiver_entry(waiver) -> dict:
    """`{"check_id", "target"}` as every list of summary.json, then the waiver's other fields."""
    fields = waiver.fields()
    return {"check_id": fields.pop("check"), **fields}


def expiring_waivers(waivers, today: datetime.date) -> list[dict]:
    soon = today + datetime.timedelta(days=EXPIRING_WITHIN_DAYS)
    return [waiver_entry(w) for w in waivers if today <= w.expires <= soon]


def build_summary(run: str, started: str, finished: str, cloud: str, version: str | None, profile: str | None,
                  exit_code: int, results: list[Result], previous: dict | None, waivers,
                  today: datetime.date, insecure_channels=(), first_use_pins: list[dict] = (),
                  inputs: dict | None = None, not_applicable: list[dict] = (), discovery: dict | None = None,
                  records: dict | None = None) -> dict:
    """summary.json; `first_use_pins`: the system VM keys pinned in this run, trusted on first use
    ({target, vm_id, fingerprint}, collect/hostkeys.py); `inputs`: the inventory and policy files as the
    run read them, with their SHA-256 (stackaudit/configuration.py); `not_applicable`: the (check, target)
    pairs left out at collection, with the reason (stackaudit/applicability.py), counted apart from results;
    `discovery`: report/summary_fields.py's discovery_failed when the cloud's targets could not be listed;
    `records`: the catalog's records, check ID -> record (title, area, severity), for `checks`."""
    entries = [result_entry(r) for r in sorted(results, key=lambda r: (r.check_id, r.target or ""))]
    counts = Counter(r.status for r in results)
    return {"schema_version": SCHEMA_VERSION, "run": run, "started": started, "finished": finished, "cloud": cloud, "cloudstack_version": version,
            "profile": profile, "exit_code": exit_code, "insecure_channels": sorted(insecure_channels),
            "counts": {**{s: counts[s] for s in STATUSES}, "total": len(results),
                       "not_applicable": len(not_applicable)},
            "counts_by_severity": counts_by_severity(results),
            "discovery": discovery or discovery_completed(),
            "checks": check_entries([r.check_id for r in results] + [n["check_id"] for n in not_applicable],
                                    records),
            "reports": report_paths(),
            "results": entries,
            "not_applicable": sorted(not_applicable, key=lambda n: (n["check_id"], n["target"] or "")),
            "changes_since": previous["run"] if previous else None,
            "changes": changes(previous["results"] if previous else None, entries),
            "stale_waivers": stale_waivers(waivers, results),
            "expiring_waivers": expiring_waivers(waivers, today),
            "first_use_pins": sorted(first_use_pins, key=lambda p: (str(p["target"]), str(p["vm_id"]))),
            "inputs": inputs}


def as_shard(summary: dict, shard: str) -> dict:
    """A shard's summary.json: its `shard`, and no changes or stale waivers of its own. A shard holds
    part of the night, so against the previous run every result of the other shards would read as
    gone, and every waiver that covers another shard's failure as stale: `stackaudit merge` computes
    both once, for the whole night."""
    at = list(summary).index("profile") + 1
    items = list(summary.items())
    shard_summary = dict(items[:at] + [("shard", shard)] + items[at:])
    shard_summary.update(changes_since=None, changes=None, stale_waivers=None, reports=report_paths(shard=True))
    return shard_summary


def first_use_lines(summary: dict) -> list[str]:
    """The system VM keys this run trusted on first use: never a quiet line."""
    pins = summary.get("first_use_pins") or []
    if not pins:
        return []
    return [f"  TRUSTED ON FIRST USE (pinned in this run, not verified): {len(pins)} system VM host key(s)",
            *(f"    {pin['target']}  CloudStack id {pin['vm_id']}  {pin['fingerprint']}" for pin in pins)]


def change_lines(summary: dict) -> list[str]:
    """What changed, as printed (target ids and waiver fields: escaped)."""
    if summary.get("shard"):
        return visible_lines([f"changes: this run is shard {summary['shard']}; `stackaudit merge` says what changed "
                              "over the whole night", *first_use_lines(summary)])
    since = summary["changes_since"]
    lines = [f"changes since {since}:" if since else "changes (no earlier run in this reports directory):"]
    change = summary["changes"]
    sections = (("new failures", change["new_failures"]), ("fixed", change["fixed"]),
                ("newly broken", change["new_broken"]), ("stale waivers (matched no failure)", summary["stale_waivers"]),
                (f"waivers expiring within {EXPIRING_WITHIN_DAYS} days", summary["expiring_waivers"]))
    for title, entries in sections:
        lines.append(f"  {title}: {len(entries) or 'none'}")
        for entry in entries:
            extra = f" (ticket {entry['ticket']}, expires {entry['expires']})" if "ticket" in entry else ""
            lines.append(f"    {entry['check_id']}  {entry['target']}{extra}")
    lines.append(f"  still failing: {change['still_failing']}")
    if summary.get("insecure_channels"):
        lines.append(f"TLS not verified (the inventory's insecure: true): {', '.join(summary['insecure_channels'])}; "
                     "each result judged on facts from these says so")
    return visible_lines(lines + first_use_lines(summary))


def write_summary(path: Path, summary: dict) -> None:
    write_file(path, json.dumps(summary, indent=2) + "\n")
