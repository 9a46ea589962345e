"""docs/checks.md: every check of the catalog (catalog.yml) by area, with what must hold, its severity and
profiles, and the fix. Generated (generated_docs.py), so it is the catalog the suite runs."""
from __future__ import annotations

import re

from stackaudit.catalog import PROFILES, CheckRecord, catalog

GENERATED_NOTE = ("<!-- Generated from stackaudit/catalog.yml by `make docs` (stackaudit/checks_document.py); do not "
                  "edit: tests/unit/test_generated_docs.py fails when it is out of date. -->")
INTRODUCTION = (
    "Every check StackAudit runs, by area: what must hold, its severity (Allure's scale: blocker, critical, "
    "normal, minor, trivial), the profiles that select it, the fix and what the fix costs (disruption: none, "
    "restart or downtime), and how to verify it by hand. `stackaudit run` with no `--profile` runs every "
    "check; `--profile P` runs only those marked P ({profiles}). `stackaudit explain CHECK-ID` shows what a "
    "check reads and calls.")


def anchor(heading: str) -> str:
    """The anchor GitHub and most Markdown renderers give a heading."""
    return re.sub(r"[^a-z0-9 -]", "", heading.lower()).replace(" ", "-")


def by_area() -> dict[str, list[CheckRecord]]:
    """Area -> its checks, areas and checks in the catalog's order."""
    areas: dict[str, list[CheckRecord]] = {}
    for record in catalog().values():
        areas.setdefault(record.area, []).append(record)
    return areas


def one_line(text: str) -> str:
    return " ".join(text.split())


def check_section(record: CheckRecord) -> list[str]:
    return [f"### {record.id}", "", f"**{one_line(record.title)}**", "",
            f"Severity {record.severity}; profiles {', '.join(record.profiles)}; "
            f"on {', '.join(record.targets)}.", "",
            f"- Why: {one_line(record.rationale)}",
            f"- Fix (disruption: {record.disruption}): {one_line(record.remediation)}",
            f"- Verify by hand: {one_line(record.verify)}", ""]


def markdown() -> str:
    areas = by_area()
    out = [GENERATED_NOTE, "", "# The checks", "", INTRODUCTION.format(profiles=", ".join(PROFILES)), "",
           f"{len(catalog())} checks in {len(areas)} areas:", ""]
    out += [f"- [{area}](#{anchor(area)}): " + ", ".join(f"[{r.id}](#{anchor(r.id)})" for r in records)
            for area, records in areas.items()]
    for area, records in areas.items():
        out += ["", f"## {area}", "", "| check | severity | profiles | what must hold |", "|---|---|---|---|"]
        out += [f"| [{r.id}](#{anchor(r.id)}) | {r.severity} | {', '.join(r.profiles)} | {one_line(r.title)} |"
                for r in records]
        out.append("")
        for record in records:
            out += check_section(record)
    return "\n".join(out).rstrip("\n") + "\n"
