"""results.csv: one row per (check, target) result, for an auditor's spreadsheet.

Target ids and messages come from the cloud, whose tenants name their VMs and networks: a cell
that starts with = + - @ (or a tab or carriage return) is one a spreadsheet may run as a formula
("CSV Injection", OWASP, https://owasp.org/www-community/attacks/CSV_Injection). Such a cell is
prefixed with a single quote, which spreadsheets show as text; control characters are escaped
(report/visible.py), newlines kept inside the quoted cell.
"""
from __future__ import annotations

import csv
import io

from stackaudit.report.visible import visible_encodable

COLUMNS = ("check_id", "title", "area", "target", "status", "severity", "message",
           "waiver_approver", "waiver_ticket", "waiver_expires", "waiver_reason", "waiver_expired")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell(value) -> str:
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_STARTS):
        text = "'" + text
    return visible_encodable(text, multiline=True)


def row(entry: dict, checks: dict) -> list[str]:
    check = checks.get(entry["check_id"]) or {}
    waiver = entry.get("waiver") or {}
    values = [entry["check_id"], check.get("title"), check.get("area"), entry["target"], entry["status"],
              entry["severity"], entry["message"], waiver.get("approver"), waiver.get("ticket"),
              waiver.get("expires"), waiver.get("reason"),
              ("yes" if waiver.get("expired") else "no") if waiver else None]
    return [cell(value) for value in values]


def results_csv(summary: dict) -> str:
    """The CSV of a run's results (summary.json's dict), sorted by check and target as summary.json is."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")      # RFC 4180's line ends
    writer.writerow(COLUMNS)
    checks = summary.get("checks") or {}
    for entry in summary["results"]:
        writer.writerow(row(entry, checks))
    return out.getvalue()
