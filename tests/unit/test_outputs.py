"""The run's outputs for tools, built by pure functions from a summary and read back by their real
consumers: junit.xml against the Jenkins xUnit plugin's JUnit schema, summary.json against its shipped
JSON Schema, metrics.prom by the Prometheus client library's parser, results.csv by the csv module."""
from __future__ import annotations

import datetime
import os
import stat
import xml.etree.ElementTree as ET

import pytest

from stackaudit.catalog import catalog
from stackaudit.report.changes import build_summary
from stackaudit.report.junit_xml import junit_xml
from stackaudit.report.metrics import metrics_file_problem, metrics_text, write_metrics_file
from stackaudit.report.results_csv import results_csv
from stackaudit.report.summary import Result
from stackaudit.report.summary_fields import discovery_failed, summary_schema
from stackaudit.report.waiving import waive
from stackaudit.config.waivers import Waiver
from stackaudit.report.auditor import REASONS
from tests.unit.output_consumers import csv_rows, junit_problems, metric_samples, summary_problems

TODAY = datetime.date(2026, 11, 25)
STARTED, FINISHED = "2026-11-25T02:00:00+00:00", "2026-11-25T02:01:30+00:00"
HOSTILE = "kvm-host://zone1/=HYPERLINK(\"x\")\x1b[2J\u202e<&\ud800"


def waived_result() -> Result:
    waiver = Waiver("DB-BINLOG-ROW", "db://db2", "replica rebuilt in January", "j.doe", "OPS-1",
                    datetime.date(2026, 12, 20))
    status, message, fields = waive(waiver, "binlog_format is MIXED", TODAY)
    return Result("DB-BINLOG-ROW", "db://db2", status, message, "critical", fields)


def expired_result() -> Result:
    waiver = Waiver("HOST-IPTABLES-V4", "kvm-host://zone1/kvm02", "old", "a.smith", "OPS-2", datetime.date(2026, 11, 1))
    status, message, fields = waive(waiver, "INPUT policy is ACCEPT", TODAY)
    return Result("HOST-IPTABLES-V4", "kvm-host://zone1/kvm02", status, message, "critical", fields)


def results() -> list[Result]:
    return [Result("HOST-IPTABLES-V4", "kvm-host://zone1/kvm01", "passed", "", "critical"),
            expired_result(), waived_result(),
            Result("HOST-IPTABLES-V4", HOSTILE, "broken", "not checked (unreachable): no route to 198.18.0.9",
                   "critical", not_checked="unreachable"),
            Result("MS-CA-STRICT", "cloud://lab", "failed", "ca.plugin.root.auth.strictness is false", "normal")]


def summary_of(found: list[Result], **extra) -> dict:
    return build_summary("20261125T020000Z", STARTED, FINISHED, "lab", "4.19.1.0", "nightly", 1, found, None, (),
                         TODAY, records=catalog(), **extra)


def test_summary_json_has_its_version_counts_by_severity_titles_and_paths_and_validates():
    summary = summary_of(results())
    assert summary_problems(summary) == []
    assert summary["schema_version"] == 1
    assert summary["counts_by_severity"]["critical"] == {"passed": 1, "failed": 1, "broken": 1, "waived": 1,
                                                         "skipped": 0, "total": 4}
    assert summary["counts_by_severity"]["normal"]["failed"] == 1 and summary["counts_by_severity"]["blocker"]["total"] == 0
    assert summary["checks"]["DB-BINLOG-ROW"] == {"title": catalog()["DB-BINLOG-ROW"].title,
                                                  "area": catalog()["DB-BINLOG-ROW"].area, "severity": "critical"}
    assert set(summary["checks"]) == {"DB-BINLOG-ROW", "HOST-IPTABLES-V4", "MS-CA-STRICT"}
    assert summary["reports"]["report_html"] == "report.html" and summary["reports"]["junit_xml"] == "junit.xml"
    assert summary["reports"]["summary_html"] == "summary.html"
    assert summary["discovery"] == {"status": "completed"}


def test_a_broken_result_says_why_it_was_not_checked_in_one_of_the_reasons_the_report_names():
    summary = summary_of(results())
    assert sorted((r["status"], r["not_checked"] or "") for r in summary["results"] if r["status"] != "passed") == \
        [("broken", "unreachable"), ("failed", ""), ("failed", ""), ("waived", "")]
    assert summary_schema()["$defs"]["result"]["properties"]["not_checked"]["enum"] == [None, *REASONS]
    next(r for r in summary["results"] if r["status"] == "broken")["not_checked"] = None
    assert any("not_checked" in p and "string" in p for p in summary_problems(summary))


def test_a_failed_discovery_is_a_block_with_its_reason_never_bare_zeros():
    summary = summary_of([], discovery=discovery_failed("unreachable", "CloudStack API: listZones: refused"))
    assert summary_problems(summary) == []
    assert summary["counts"]["total"] == 0
    assert summary["discovery"] == {"status": "failed", "reason": "unreachable",
                                    "message": "CloudStack API: listZones: refused"}
    # the schema holds a tool to this: a failed discovery without its reason does not validate
    bare = {**summary, "discovery": {"status": "failed"}}
    assert any("'reason' is a required property" in p for p in summary_problems(bare))
    assert any("schema_version" in p for p in summary_problems({k: v for k, v in summary.items()
                                                                  if k != "schema_version"}))


def junit_cases(xml: bytes) -> dict[str, tuple[ET.Element, ET.Element, dict]]:
    """test case name -> (its <testsuite>, the <testcase>, the suite's properties)"""
    root = ET.fromstring(xml)
    found = {}
    for suite in root.find("testsuite").findall("testsuite"):
        case = suite.find("testcase")
        found[case.get("name")] = (suite, case, {p.get("name"): p.get("value") for p in suite.iter("property")})
    return found


def test_junit_xml_is_one_case_per_check_and_target_broken_as_error_waived_as_skipped_and_validates():
    xml = junit_xml(summary_of(results()))
    assert junit_problems(xml) == []
    root = ET.fromstring(xml)
    suite = root.find("testsuite")
    assert (root.get("name"), suite.get("name")) == ("StackAudit", "StackAudit")
    assert {k: suite.get(k) for k in ("tests", "failures", "errors", "skipped", "time")} == {
        "tests": "5", "failures": "2", "errors": "1", "skipped": "1", "time": "90.000"}
    cases = junit_cases(xml)
    hostile_name = "HOST-IPTABLES-V4 · kvm-host://zone1/=HYPERLINK(\"x\")\\x1b[2J\\u202e<&\\ud800"
    assert sorted(cases) == sorted(["HOST-IPTABLES-V4 · kvm-host://zone1/kvm01", "HOST-IPTABLES-V4 · kvm-host://zone1/kvm02",
                                    "DB-BINLOG-ROW · db://db2", hostile_name, "MS-CA-STRICT · cloud://lab"])
    _, case, props = cases["HOST-IPTABLES-V4 · kvm-host://zone1/kvm02"]
    assert case.get("classname") == catalog()["HOST-IPTABLES-V4"].area
    assert props == {"check_id": "HOST-IPTABLES-V4", "severity": "critical", "target": "kvm-host://zone1/kvm02",
                     "status": "failed", "title": catalog()["HOST-IPTABLES-V4"].title}
    assert [child.tag for child in case] == ["failure"] and "expired on 2026-11-01" in case.find("failure").text
    _, broken, _ = cases[hostile_name]
    assert [child.tag for child in broken] == ["error"]
    assert broken.find("error").get("message").startswith("not checked (unreachable): ")
    _, waived, _ = cases["DB-BINLOG-ROW · db://db2"]
    skipped = waived.find("skipped")
    assert [child.tag for child in waived] == ["skipped"]
    assert all(field in skipped.get("message") for field in ("j.doe", "OPS-1", "2026-12-20", "replica rebuilt"))
    _, passed, _ = cases["HOST-IPTABLES-V4 · kvm-host://zone1/kvm01"]
    assert list(passed) == []


def test_junit_xml_of_a_failed_discovery_is_one_error_with_the_reason():
    xml = junit_xml(summary_of([], discovery=discovery_failed("API error", "listZones: HTTP 401")))
    assert junit_problems(xml) == []
    (name, (_, case, props)), = junit_cases(xml).items()
    assert name == "Discovery · lab" and props["severity"] == "blocker" and case.get("classname") == "Discovery"
    assert props["title"] == "the cloud's targets are listed through its management API"
    assert case.find("error").get("message") == "not checked (API error): listZones: HTTP 401"
    assert ET.fromstring(xml).find("testsuite").get("errors") == "1"


def test_the_schema_check_is_real_junit_without_a_suite_name_does_not_validate():
    xml = junit_xml(summary_of(results())).replace(b'<testsuite name="StackAudit" ', b'<testsuite ', 1)
    assert any("name" in problem for problem in junit_problems(xml))


def test_metrics_read_by_prometheus_client_by_status_severity_and_check_with_the_runs_time_and_code():
    summary = summary_of(results())
    summary["cloud"] = 'lab "east"\\\nzone'          # a label value with a quote, a backslash and a newline
    samples = metric_samples(metrics_text(summary))
    cloud = ("cloud", 'lab "east"\\\nzone')

    def value(name, **labels):
        return samples[name, tuple(sorted([cloud, *labels.items()]))]
    assert value("stackaudit_results", status="failed", severity="critical") == 1
    assert value("stackaudit_results", status="failed", severity="normal") == 1
    assert value("stackaudit_results", status="waived", severity="critical") == 1
    assert value("stackaudit_results", status="passed", severity="blocker") == 0     # written, zero
    assert len([k for k in samples if k[0] == "stackaudit_results"]) == 5 * 5
    assert value("stackaudit_check_results", check_id="HOST-IPTABLES-V4", severity="critical", status="broken") == 1
    assert value("stackaudit_run_exit_code") == 1
    assert value("stackaudit_run_duration_seconds") == 90
    assert value("stackaudit_run_timestamp_seconds") == datetime.datetime.fromisoformat(FINISHED).timestamp()
    assert value("stackaudit_discovery_failed") == 0
    assert not any("target" in dict(labels) for _, labels in samples), "no target id is a label"
    assert metric_samples(metrics_text(summary, exit_code=8))["stackaudit_run_exit_code", (cloud,)] == 8


def test_metrics_of_a_failed_discovery_say_so():
    samples = metric_samples(metrics_text(summary_of([], discovery=discovery_failed("unreachable", "refused"))))
    assert samples["stackaudit_discovery_failed", (("cloud", "lab"),)] == 1


def test_the_metrics_file_is_renamed_into_place_readable_by_the_collector(tmp_path):
    path = tmp_path / "stackaudit.prom"
    path.write_text("old\n")
    write_metrics_file(path, metrics_text(summary_of(results())))
    assert metric_samples(path.read_text())["stackaudit_run_exit_code", (("cloud", "lab"),)] == 1
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    assert os.listdir(tmp_path) == ["stackaudit.prom"], "no temporary file is left behind"


@pytest.mark.parametrize("name, problem", [
    ("stackaudit.txt", "node_exporter's textfile collector reads only files whose name ends in .prom"),
    ("missing/stackaudit.prom", "is not a directory"),
])
def test_a_metrics_file_the_collector_would_not_read_is_refused(tmp_path, name, problem):
    assert problem in metrics_file_problem(str(tmp_path / name))
    assert metrics_file_problem(str(tmp_path / "stackaudit.prom")) is None


def test_results_csv_is_one_row_per_result_and_no_cell_runs_as_a_formula():
    summary = summary_of(results() + [Result("MS-CA-STRICT", "cloud://x", "failed", "@SUM(1)", "normal"),
                                      Result("MS-CA-STRICT", "cloud://y", "failed", "+1", "normal"),
                                      Result("MS-CA-STRICT", "cloud://z", "failed", "-1\nsecond line", "normal"),
                                      Result("MS-CA-STRICT", "cloud://w", "failed", "=1+1", "normal")])
    text = results_csv(summary)
    assert text.encode("utf-8"), "a lone surrogate from the cloud is escaped, not an error at writing"
    rows = csv_rows(text)
    assert len(rows) == len(summary["results"])
    by_target = {row["target"]: row for row in rows}
    assert [by_target[f"cloud://{t}"]["message"] for t in "xyzw"] == ["'@SUM(1)", "'+1", "'-1\nsecond line", "'=1+1"]
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row.values())
    waived = by_target["db://db2"]
    assert (waived["status"], waived["waiver_approver"], waived["waiver_ticket"], waived["waiver_expires"],
            waived["waiver_expired"]) == ("waived", "j.doe", "OPS-1", "2026-12-20", "no")
    assert by_target["kvm-host://zone1/kvm02"]["waiver_expired"] == "yes"
    assert by_target["cloud://lab"]["title"] == catalog()["MS-CA-STRICT"].title
    hostile = [row for row in rows if row["status"] == "broken"][0]["target"]
    assert "\x1b" not in hostile and "\\x1b" in hostile and "\u202e" not in hostile and hostile.endswith("\\ud800")
