"""The description as Allure 2 renders it, proven in Chromium without a lab: results as allure-pytest
leaves them at teardown, rewritten by report/auditor.present, written by allure-commons' own file
logger, turned into report.html by the pinned Allure, then opened from disk (tests/checks/rendered_report.py).

What it proves is what the CSS of Allure 2.46 lets through (report/description.py): sections in order
with their headings, commands as <pre> blocks of their own, links; and that a broken result's page
gives the fix of its reason, not the rule's remediation.
"""
from __future__ import annotations

import datetime
import os
import re
from pathlib import Path

import pytest
from allure_commons.logger import AllureFileLogger
from allure_commons.model2 import Label, Parameter, StatusDetails
from allure_commons.model2 import TestResult as AllureResult

from stackaudit.catalog import catalog
from stackaudit.config.waivers import Waiver
from stackaudit.report.allure_report import executor, find_allure, generate, write_results_context
from stackaudit.report.auditor import Verdict, categories, present
from stackaudit.report.waiving import waive
from tests.checks import rendered_report

pytestmark = pytest.mark.integration     # runs Allure (Java) and Chromium
TODAY = datetime.date(2026, 11, 25)
TRACKER = "https://tracker.example/browse/{}"


def as_allure_pytest_leaves_it(check_id: str, fixture: str, target: str, status: str) -> AllureResult:
    result = AllureResult(uuid=f"{check_id}-{target}".replace("/", "_").replace(":", "_"), historyId=f"h-{check_id}",
                        name=f"test_x[{target}]", fullName=f"checks.test_x#test_{fixture}", status=status,
                        start=1764036000000, stop=1764036000100,
                        statusDetails=StatusDetails(message="AssertionError: x\nassert not ['x']", trace="tb"))
    result.parameters = [Parameter(name=fixture, value=repr(target))]
    result.labels = [Label(name=n, value=v) for n, v in (
        ("check_id", check_id), ("target", target), ("epic", catalog()[check_id].area), ("feature", check_id),
        ("package", "checks.test_x"), ("host", "vm"), ("thread", "12993-MainThread"), ("framework", "pytest"),
        ("suite", "test_x"), ("severity", catalog()[check_id].severity))]
    return result


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> tuple[Path, dict]:
    allure = find_allure()
    assert allure is not None, "allure is not installed: run make setup"
    if rendered_report.chromium() is None:
        pytest.fail("Debian's chromium is not installed (make test installs it)")
    folder = tmp_path_factory.mktemp("rendered")
    results = folder / "allure-results"
    results.mkdir()
    waiver = Waiver("DB-BINLOG-ROW", "db://db2", "migration to ROW planned", "j.doe", "OPS-7", datetime.date(2027, 1, 31))
    status, message, fields = waive(waiver, "binlog_format STATEMENT", TODAY)
    lapsed = Waiver("HOST-IPTABLES-V4", "kvm-host://zone1/kvm02", "r", "j.doe", "OPS-2", datetime.date(2026, 11, 1))
    expired_status, expired_message, expired_fields = waive(lapsed, "rules.v4 does not exist", TODAY)
    cases = {
        "failed": ("XS-POOL-HA-TIMEOUT", "pool", "xs-pool://zone1/xen-pool1",
                   Verdict("failed", "HA timeout: no explicit timeout; the policy wants 180 s")),
        "broken": ("SVM-LIBSSL-PATCHED", "system_vm", "cpvm://zone1/v-2-VM",
                   Verdict("broken", "cpvm://zone1/v-2-VM via host kvm02: host key changed (differs from the pinned "
                           "key)", not_checked="host key", trace="Traceback (most recent call last): ...")),
        "waived": ("DB-BINLOG-ROW", "database", "db://db2", Verdict(status, message, waiver=fields)),
        "normal": ("DB-CNF-PERSISTED", "database", "db://db1", Verdict("failed", "max_connections is not set")),
        "expired": ("HOST-IPTABLES-V4", "firewalled_host", "kvm-host://zone1/kvm02",
                    Verdict(expired_status, expired_message, waiver=expired_fields)),
    }
    logger = AllureFileLogger(str(results))
    uids = {}
    for kind, (check_id, fixture, target, verdict) in cases.items():
        result = as_allure_pytest_leaves_it(check_id, fixture, target, "failed")
        record = catalog()[check_id]
        present(result, record, None, target, record.severity, verdict, TRACKER)
        logger.report_result(result)
        uids[kind] = result.uuid
    write_results_context(results, {"Cloud": "lab"}, executor({"cloud": "lab", "run": "r1"}, 1, None), categories())
    page = generate(allure, results, folder / "report.html", verdict_headline="NO-GO")
    by_name = {case["name"].removeprefix("Waived · ").split(" · ")[0]: case["uid"] for case in
               rendered_report.embedded_json(page.read_text(), "data/test-cases").values()}
    return page, {kind: by_name[check_id] for kind, (check_id, *_rest) in cases.items()}


def shown(report, kind: str) -> tuple[str, str]:
    page, uids = report
    dom = rendered_report.dom(page, f"#testresult/{uids[kind]}")
    return dom, rendered_report.visible_text(dom)


def test_a_failure_reads_in_headed_sections_with_commands_to_copy_and_no_pytest_name(report):
    dom, text = shown(report, "failed")
    description = text[text.index("Description "):]
    # (visible_text puts a space where a tag ends: "Severity : critical")
    order = ["XS-POOL-HA-TIMEOUT: THE RULE", "Severity : critical", "WHY", "Sources", "REMEDIATION", "To copy:",
             "VERIFY BY HAND", "Parameters target : xs-pool://zone1/xen-pool1"]
    assert [description.find(part) for part in order] == sorted(description.find(part) for part in order), description
    assert all(part in description for part in order)
    assert "<pre>xe pool-ha-disable</pre>" in dom and "`" not in description
    assert '<a href="https://blog.remibergsma.com/2015/05/23/making-xenserver-and-cloudstack-sing-and-dance-together' \
           '-again/">Making XenServer and CloudStack sing and dance together (again)</a>' in dom
    assert "XenServer pools · XS-POOL-HA-TIMEOUT" in text
    for pytest_name in ("checks.test_x", "test_pool", "pool : ", "'xs-pool://", "README", "[BERGSMA"):
        assert pytest_name not in text, pytest_name


def test_a_broken_result_gives_the_fix_of_its_reason_not_the_rule_s_remediation(report):
    _, text = shown(report, "broken")
    assert "not checked (host key): SVM-LIBSSL-PATCHED · " in text      # the heading its category groups by
    description = text[text.index("Description "):]
    assert description.startswith("Description NOT CHECKED: HOST KEY cpvm://zone1/v-2-VM via host kvm02: host key "
                                  "changed (differs from the pinned key) Nothing was judged on this target")
    assert "TO LET IT BE CHECKED" in description and "known_hosts" in description
    assert "REMEDIATION" not in description and "apt-get" not in description


def test_a_waived_result_says_who_until_when_and_the_ticket_as_a_link_first(report):
    dom, text = shown(report, "waived")
    assert "waived until 2027-01-31 by j.doe (OPS-7, waiver target db://db2): migration to ROW planned" in text
    description = text[text.index("Description "):]
    assert description.startswith("Description WAIVER Waived by j.doe, ticket OPS-7 , until 2027-01-31: "
                                  "the failure does not count. Approved by : j.doe")
    assert '<a href="https://tracker.example/browse/OPS-7">OPS-7</a>' in dom


def test_the_categories_tab_lists_violations_by_severity_then_expired_waivers_then_not_checked(report):
    page, uids = report
    text = rendered_report.visible_text(rendered_report.dom(page, "#categories"))
    order = ["2 · Critical violations", "3 · Normal violations", "6 · Expired waivers",
             "7 · Not checked: host key or certificate", "8 · Waived"]
    assert [text.find(name) for name in order] == sorted(text.find(name) for name in order) and -1 not in [
        text.find(name) for name in order], text
    # Under each category Allure groups by the whole message: a check's heading, never a target's finding
    tree = rendered_report.embedded_json(page.read_text(), "data")["categories.json"]
    headings = {group["name"] for category in tree["children"] for group in category["children"]}
    assert headings and all(re.fullmatch(r"(not checked \([a-zA-Z ]+\): |waived until .+?\): )?[A-Z][A-Z0-9-]+ · "
                                         r"[^\n]+", heading) for heading in headings), headings
    assert f"XS-POOL-HA-TIMEOUT · {catalog()['XS-POOL-HA-TIMEOUT'].title}" in headings


def test_the_overview_links_the_verdict_page_beside_the_report_first_among_executors(report):
    page, _ = report
    overview = rendered_report.dom_showing(page, "Verdict page")
    links = re.findall(r'<a [^>]*href="([^"]*)"[^>]*>([^<]*)<', overview)
    assert ("summary.html", "Verdict: NO-GO (summary.html)") in links, links
    executors = overview[overview.index("Verdict page"):]
    assert executors.index("Verdict page") < executors.index("StackAudit full compliance run")
    assert [entry["buildOrder"] for entry in rendered_report.embedded_json(page.read_text(), "widgets")
            ["history-trend.json"]] == [1]      # the trend is the run's own


def test_screenshots_of_the_three_pages(report, tmp_path):
    page, uids = report
    keep = os.environ.get("STACKAUDIT_SCREENSHOTS")     # docs/reports.md's pictures: taken here, kept on request
    shots = Path(keep) if keep else tmp_path
    for kind in ("failed", "broken", "waived"):
        uid = uids[kind]
        shot = rendered_report.screenshot(page, shots / f"report-description-{kind}.png", f"#testresult/{uid}")
        assert shot.stat().st_size > 10_000
