"""junit.xml, built from a run's summary.json, for CI: GitLab's `artifacts:reports:junit`, Jenkins' junit step.

One test case per (check, target), named `CHECK-ID · target`, its class name the check's area; a
violated rule is a <failure>, a target that could not be checked an <error> (never a failure: it
was not judged), a waived failure <skipped> with the waiver's fields, and the suite is StackAudit:

    <testsuites name="StackAudit" tests="3" failures="1" errors="1" skipped="0" time="12.000">
      <testsuite name="StackAudit" tests="3" failures="1" errors="1" skipped="0" time="12.000" timestamp=...>
        <properties><property name="run" value="20261125T020000Z"/>...</properties>
        <testsuite name="HOST-IPTABLES-V4 · kvm-host://zone1/kvm02" tests="1" failures="1" errors="0" ...>
          <properties><property name="check_id" .../><property name="severity" .../><property name="target" .../></properties>
          <testcase name="HOST-IPTABLES-V4 · kvm-host://zone1/kvm02" classname="KVM hosts">
            <failure type="failed" message="...">...</failure>

It conforms to the JUnit schema of the Jenkins xUnit plugin (junit-10.xsd,
https://github.com/jenkinsci/xunit-plugin, src/main/resources/org/jenkinsci/plugins/xunit/types/model/xsd/),
which pytest's own junitxml follows; the tests validate against a copy (tests/data/junit/). That schema
allows <properties> in a <testsuite> only, not in a <testcase> (pytest warns that record_property is
incompatible with its xunit2 family for this reason), so each result's properties are those of a
<testsuite> around its one test case. GitLab's parser reads nested test suites ("we allow multiple
nested 'testsuite' (eg. PHPUnit)", lib/gitlab/ci/parsers/test/junit.rb, https://gitlab.com/gitlab-org/gitlab).
"""
from __future__ import annotations

import datetime
import io
import xml.etree.ElementTree as ET

from stackaudit.report.discovery_result import RULE as DISCOVERY_RULE
from stackaudit.report.summary_fields import NOT_IN_CATALOG
from stackaudit.report.visible import visible_encodable

SUITE = "StackAudit"
# junit's element for each outcome (passed: none)
ELEMENTS = {"failed": "failure", "broken": "error", "waived": "skipped", "skipped": "skipped"}
COUNTED = {"failure": "failures", "error": "errors", "skipped": "skipped"}
DISCOVERY = "Discovery"     # the test case of a failed discovery, as its Allure result is named (report/discovery_result.py)


def xml_text(text, multiline: bool = False) -> str:
    """Escaped (report/visible.py) and holding only characters XML 1.0 allows."""
    return visible_encodable("" if text is None else str(text), multiline)


def case_name(check_id: str, target: str | None) -> str:
    return f"{check_id} · {target}" if target else check_id


def outcome_message(entry: dict) -> str:
    """The result's own message: a waived one names its waiver (who, until when, the ticket), an expired
    waiver's failure says so (report/waiving.py)."""
    return entry["message"] or entry["status"]


def run_seconds(summary: dict) -> float:
    """From `started` to `finished` (ISO 8601, as summary.json holds them)."""
    try:
        started = datetime.datetime.fromisoformat(summary["started"])
        finished = datetime.datetime.fromisoformat(summary["finished"])
    except (KeyError, TypeError, ValueError):
        return 0.0
    return max(0.0, (finished - started).total_seconds())


def counts_of(elements: list[str | None]) -> dict[str, str]:
    return {"tests": str(len(elements)), **{COUNTED[e]: str(elements.count(e)) for e in ("failure", "error", "skipped")}}


def properties(parent: ET.Element, pairs) -> None:
    holder = ET.SubElement(parent, "properties")
    for name, value in pairs:
        ET.SubElement(holder, "property", name=name, value=xml_text(value))


def junit_xml(summary: dict) -> bytes:
    """junit.xml of a run (summary.json's dict, with its `checks`). A failed discovery is one <error>
    test case, `Discovery · <cloud>`, with its reason: never an empty suite that reads as all passed."""
    seconds = f"{run_seconds(summary):.3f}"
    checks = summary.get("checks") or {}
    entries = list(summary["results"])
    discovery = summary.get("discovery") or {}
    if discovery.get("status") == "failed":
        checks = {**checks, DISCOVERY: {"title": DISCOVERY_RULE, "area": DISCOVERY}}
        entries.append({"check_id": DISCOVERY, "target": summary["cloud"], "status": "broken", "severity": "blocker",
                        "message": f"not checked ({discovery['reason']}): {discovery['message']}", "waiver": None})
    elements = [ELEMENTS.get(entry["status"]) for entry in entries]
    root = ET.Element("testsuites", name=SUITE, time=seconds, **{k: v for k, v in counts_of(elements).items()
                                                                  if k != "skipped"})
    suite = ET.SubElement(root, "testsuite", name=SUITE, **counts_of(elements), time=seconds,
                          timestamp=summary.get("started", ""))
    properties(suite, [("run", summary["run"]), ("cloud", summary["cloud"]), ("profile", summary.get("profile")),
                       ("exit_code", summary["exit_code"])])
    for entry, element in zip(entries, elements):
        name = xml_text(case_name(entry["check_id"], entry["target"]))
        area = (checks.get(entry["check_id"]) or {}).get("area", NOT_IN_CATALOG)
        one = ET.SubElement(suite, "testsuite", name=name, **counts_of([element]))
        properties(one, [("check_id", entry["check_id"]), ("severity", entry["severity"]),
                         ("target", entry["target"]), ("status", entry["status"])]
                   + ([("title", checks[entry["check_id"]]["title"])] if entry["check_id"] in checks else []))
        case = ET.SubElement(one, "testcase", name=name, classname=xml_text(area))
        if element is not None:
            first_line = outcome_message(entry).split("\n", 1)[0]       # the body holds every line
            detail = ET.SubElement(case, element, type=entry["status"], message=xml_text(first_line))
            detail.text = xml_text(outcome_message(entry), multiline=True)
    out = io.BytesIO()
    ET.ElementTree(root).write(out, encoding="utf-8", xml_declaration=True)
    return out.getvalue() + b"\n"
