"""summary.json's fields for tools (docs/reports.md, "Run directories and summary.json"; docs/outputs.md): its
schema version, the counts by severity and outcome, each check's title and area, where the run's
other outputs are, and how discovery went. Its JSON Schema, summary.schema.json beside this module,
is what tools (and the suite's tests) validate a summary.json against."""
from __future__ import annotations

import json
from collections import Counter
from functools import cache
from importlib import resources

# Raised when a key changes meaning or goes away; a key added keeps the version.
SCHEMA_VERSION = 1
SCHEMA_FILE = "summary.schema.json"
SEVERITIES = ("blocker", "critical", "normal", "minor", "trivial")
OUTCOMES = ("passed", "failed", "broken", "waived", "skipped")
# The run's outputs, relative to its run directory (a shard writes no report.html: `stackaudit merge` does).
REPORTS = {"report_html": "report.html", "summary_html": "summary.html", "summary_json": "summary.json", "junit_xml": "junit.xml",
           "results_csv": "results.csv", "metrics_prom": "metrics.prom", "allure_results": "allure-results",
           "targets_json": "targets.json", "facts": "facts"}
NOT_IN_CATALOG = "not in this StackAudit's catalog"


@cache
def summary_schema() -> dict:
    """summary.json's JSON Schema (draft 2020-12), shipped in the package."""
    return json.loads(resources.files("stackaudit.report").joinpath(SCHEMA_FILE).read_text(encoding="utf-8"))


def counts_by_severity(results) -> dict[str, dict[str, int]]:
    """Every severity, each with every outcome and its total: zeros are written, so a tool reads 0, never a missing key."""
    counts = Counter((r.severity, r.status) for r in results)
    return {severity: {**{outcome: counts[severity, outcome] for outcome in OUTCOMES},
                       "total": sum(counts[severity, outcome] for outcome in OUTCOMES)}
            for severity in SEVERITIES}


def check_entries(check_ids, records) -> dict[str, dict[str, str]]:
    """Title, area and the record's severity of each check named in the run. `records`: check ID -> its
    catalog record (stackaudit/catalog.py, handed down by the caller: the report stage sits before the
    catalog); a check missing from it (a shard recorded by another version) says so."""
    entries = {}
    records = records or {}
    for check_id in sorted(set(check_ids)):
        record = records.get(check_id)
        entries[check_id] = ({"title": record.title, "area": record.area, "severity": record.severity} if record
                             else {"title": check_id, "area": NOT_IN_CATALOG, "severity": "normal"})
    return entries


def report_paths(shard: bool = False) -> dict[str, str | None]:
    return {**REPORTS, "report_html": None} if shard else dict(REPORTS)


def discovery_completed() -> dict:
    return {"status": "completed"}


def discovery_failed(reason: str, message: str) -> dict:
    """A discovery that failed: no check ran, so the counts are zero for this reason (auditor.REASONS: `reason`)."""
    return {"status": "failed", "reason": reason, "message": message}
