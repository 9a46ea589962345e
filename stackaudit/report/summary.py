"""Reading a run's Allure result files: one Result per (check, target)."""
from __future__ import annotations

import json
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

from stackaudit.report.visible import visible_lines


@dataclass(frozen=True)
class Result:
    check_id: str
    target: str
    status: str          # passed, failed, broken, waived, skipped
    message: str
    severity: str
    waiver: dict | None = None   # the waiver's fields (and "expired") when one covered this failure
    not_checked: str | None = None  # broken: why, one of report/auditor.py's REASONS


def load_results(allure_dir: Path) -> list[Result]:
    results = []
    for path in sorted(allure_dir.glob("*-result.json")):
        data = json.loads(path.read_text())
        labels = {label["name"]: label["value"] for label in data.get("labels", [])}
        if "check_id" not in labels:
            continue
        status = data.get("status", "unknown")
        if status == "skipped" and "waiver" in labels:     # Allure has no "waived": skipped, with the label
            status = "waived"
        # the whole finding: the Allure message of a result that did not pass is its check's heading
        message = labels.get("finding", (data.get("statusDetails") or {}).get("message", ""))
        results.append(Result(labels["check_id"], labels.get("target", ""), status, message, labels.get("severity", "")))
    return results


def summary_lines(results: list[Result], not_applicable: list[dict] = ()) -> list[str]:
    """The per-check table, as printed (target ids come from the cloud: escaped). `not_applicable`: the
    (check, target) pairs left out at collection ({check_id, target, reason}), counted in their own column."""
    by_check: dict[str, list[Result]] = defaultdict(list)
    for result in results:
        by_check[result.check_id].append(result)
    left_out = Counter(n["check_id"] for n in not_applicable)
    lines = [f"{'check':<24} {'severity':<9} passed failed broken waived    n/a  not passing"]
    for check_id in sorted(set(by_check) | set(left_out)):
        group = by_check[check_id]
        counts = Counter(r.status for r in group)
        bad = ", ".join(f"{r.target} ({r.status})" for r in sorted(group, key=lambda r: r.target or "")
                        if r.status in ("failed", "broken"))
        severity = group[0].severity if group else "-"
        lines.append(f"{check_id:<24} {severity:<9} {counts['passed']:>6} {counts['failed']:>6} "
                     f"{counts['broken']:>6} {counts['waived']:>6} {left_out[check_id]:>6}  {bad}")
    total = Counter(r.status for r in results)
    lines.append(f"total: {total['passed']} passed, {total['failed']} failed, {total['broken']} broken, "
                 f"{total['waived']} waived; {len(not_applicable)} not applicable (not collected: out of the "
                 "check's scope, or no target of its kinds)")
    return visible_lines(lines)
