"""Two nightly runs as an operator makes them, through `stackaudit run` with a waivers file: the
compliant cloud, then the cloud with violations. Each run gets its own directory, the first is left
as it was, `latest` follows, and the second's summary.json says what changed, which failure was
waived, which waiver expired and which matched nothing."""
from __future__ import annotations

import datetime
import hashlib
import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import pytest

from stackaudit.catalog import catalog
from stackaudit.collect.evidence import DIGEST_NAME, digest_entries
from stackaudit.report.auditor import SUITES, categories, title
from stackaudit.report.outcomes import exit_code
from stackaudit.report.summary import Result
from tests.checks import rendered_report
from tests.unit.output_consumers import csv_rows, junit_problems, metric_samples, summary_problems

REPO = Path(__file__).resolve().parent.parent.parent
TODAY = datetime.datetime.now(datetime.timezone.utc).date()
WAIVED = ("DB-BINLOG-ROW", "db://db2")               # critical; seeded in violations.yml
EXPIRED = ("HOST-IPTABLES-V4", "kvm-host://zone1/kvm02")
STALE = ("MS-CA-STRICT", "cloud://*")                 # holds in both runs
TRACKER = "https://tracker.example/browse/{}"          # allure-pytest's issue link pattern: tickets as links


def waivers_file(path: Path) -> Path:
    entries = [(*WAIVED, TODAY + datetime.timedelta(days=30), "OPS-1"),
               (*EXPIRED, TODAY - datetime.timedelta(days=2), "OPS-2"),
               (*STALE, TODAY + datetime.timedelta(days=10), "OPS-3")]
    path.write_text("waivers:\n" + "".join(
        f"  - {{check: {check}, target: '{target}', reason: accepted for the test, approver: j.doe, "
        f"ticket: {ticket}, expires: {expires}}}\n" for check, target, expires, ticket in entries))
    return path


# The contract of summary.json (issue 11; docs/reports.md, "Run directories and summary.json").
ENTRY = {"check_id": str, "target": str}
CONTRACT = {
    "run": str, "started": str, "finished": str, "cloud": str, "cloudstack_version": (str, type(None)),
    "profile": (str, type(None)), "exit_code": int,
    "counts": {"passed": int, "failed": int, "broken": int, "waived": int, "skipped": int, "total": int,
               "not_applicable": int},
    "results": [{"check_id": str, "target": str, "status": ("passed", "failed", "broken", "waived", "skipped"),
                 "severity": str, "message": str, "waiver": (dict, type(None))}],
    "not_applicable": [{"check_id": str, "target": (str, type(None)), "reason": str}],
    "changes_since": (str, type(None)),
    "changes": {"new_failures": [ENTRY], "fixed": [ENTRY], "new_broken": [ENTRY], "still_failing": int},
    "stale_waivers": [{**ENTRY, "reason": str, "approver": str, "ticket": str, "expires": str}],
    "insecure_channels": [("cloud.api", "xenserver", "databases")],
    "first_use_pins": [{"target": str, "vm_id": str, "fingerprint": str}],
    "inputs": {"inventory": {"path": str, "sha256": str}, "policy": (dict, type(None))},
}
SYSTEM_VM_KINDS = ("ssvm://", "cpvm://", "router://")


def contract_problems(value, shape, where="summary") -> list[str]:
    """Where `value` departs from `shape`: a dict of keys (all required), a one-item list (each
    element), a tuple of allowed types or values, or a type."""
    if isinstance(shape, dict):
        if not isinstance(value, dict):
            return [f"{where}: not an object"]
        missing = [f"{where}.{key}: missing" for key in shape if key not in value]
        return missing + [p for key in shape if key in value for p in contract_problems(value[key], shape[key],
                                                                                          f"{where}.{key}")]
    if isinstance(shape, list):
        if not isinstance(value, list):
            return [f"{where}: not a list"]
        return [p for i, item in enumerate(value) for p in contract_problems(item, shape[0], f"{where}[{i}]")]
    if isinstance(shape, tuple) and all(isinstance(s, str) for s in shape):
        return [] if value in shape else [f"{where}: {value!r} not one of {shape}"]
    if isinstance(value, bool) or not isinstance(value, shape):
        return [f"{where}: {value!r} has the wrong type"]
    return []


def stackaudit_run(inventory: Path, waivers: Path, reports: Path, *options: str) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "stackaudit", "run", f"--inventory={inventory}", f"--waivers={waivers}",
               f"--reports-dir={reports}", "--profile", "nightly", *options, "-p", "no:randomly",
               f"--allure-link-pattern=issue:{TRACKER}"]
    return subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=900)


def tree_digest(path: Path) -> dict[str, str]:
    return {p.relative_to(path).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(path.rglob("*")) if p.is_file()}


@dataclass
class Nights:
    reports: Path
    first: subprocess.CompletedProcess
    first_dir: Path
    first_files: dict[str, str]       # the first run directory's files (digests) right after it ran
    first_latest: str                 # where reports/latest pointed after the first run
    second: subprocess.CompletedProcess
    second_dir: Path
    metrics_file: Path                # the second run's --metrics-file, as node_exporter's textfile collector reads it


@pytest.fixture(scope="module")
def nights(tmp_path_factory, lab) -> Nights:
    """Two nightly runs into one reports directory: the compliant cloud, then the cloud with violations.
    The second is the same cloud with the night's drift: the shared labs have the same keys (tests/labs.py),
    so the system VMs' host keys the suite pinned on the first still hold."""
    tmp_path = tmp_path_factory.mktemp("nights")
    reports = tmp_path / "reports"
    waivers = waivers_file(tmp_path / "waivers.yml")
    first = stackaudit_run(lab("compliant.yml").path("inventory.yml"), waivers, reports)
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-2000:]
    (first_dir,) = (reports / "runs").iterdir()
    first_files = tree_digest(first_dir)
    first_latest = os.readlink(reports / "latest")
    textfile_collector = tmp_path / "textfile"
    textfile_collector.mkdir()
    second = stackaudit_run(lab("violations.yml").path("inventory.yml"), waivers, reports,
                            f"--metrics-file={textfile_collector / 'stackaudit.prom'}")
    second_dir = next(p for p in (reports / "runs").iterdir() if p != first_dir)
    return Nights(reports, first, first_dir, first_files, first_latest, second, second_dir,
                  textfile_collector / "stackaudit.prom")


@pytest.mark.lab
@pytest.mark.slow
@pytest.mark.lab_scenario("compliant.yml", "violations.yml")
def test_two_nightly_runs_keep_both_directories_and_say_what_changed(nights):
    reports, first_dir, first_files, second_dir = nights.reports, nights.first_dir, nights.first_files, nights.second_dir
    assert {"summary.json", "junit.xml", "targets.json", "report.html", "not-applicable.json"} <= set(first_files)
    assert any(name.startswith("allure-results/") for name in first_files)
    assert nights.first_latest == f"runs/{first_dir.name}"
    first_summary = json.loads((first_dir / "summary.json").read_text())
    assert contract_problems(first_summary, CONTRACT) == []
    assert summary_problems(first_summary) == []
    assert first_summary["changes_since"] is None and first_summary["exit_code"] == 0
    # what the workers left out at collection reached the controller's summary, once
    not_applicable = json.loads((first_dir / "not-applicable.json").read_text())
    assert first_summary["not_applicable"] == not_applicable
    assert first_summary["counts"]["not_applicable"] == len(not_applicable)
    assert len({(n["check_id"], n["target"]) for n in not_applicable}) == len(not_applicable)
    assert not {(n["check_id"], n["target"]) for n in not_applicable} & \
        {(r["check_id"], r["target"]) for r in first_summary["results"]}
    assert first_summary["insecure_channels"] == []     # the lab's XAPI and API are verified
    assert {(w["check_id"], w["target"]) for w in first_summary["stale_waivers"]} == {WAIVED, EXPIRED, STALE}
    # The first night met every system VM for the first time: each key it pinned is listed, trusted on first use.
    checked_vms = {r["target"] for r in first_summary["results"] if r["target"].startswith(SYSTEM_VM_KINDS)}
    assert checked_vms and {p["target"] for p in first_summary["first_use_pins"]} == checked_vms
    assert "TRUSTED ON FIRST USE (pinned in this run, not verified)" in nights.first.stdout

    output = nights.second.stdout
    assert nights.second.returncode == 1, output[-3000:] + nights.second.stderr[-2000:]
    assert tree_digest(first_dir) == first_files, "the first run's directory changed"
    assert os.readlink(reports / "latest") == f"runs/{second_dir.name}"
    summary = json.loads((second_dir / "summary.json").read_text())
    assert contract_problems(summary, CONTRACT) == []
    assert summary_problems(summary) == []
    assert summary["first_use_pins"] == [] and "TRUSTED ON FIRST USE" not in output    # the pins held
    assert (summary["run"], summary["changes_since"], summary["profile"]) == (second_dir.name, first_dir.name,
                                                                              "nightly")
    assert (summary["cloudstack_version"], summary["exit_code"]) == ("4.19.1.0", 1)
    by_key = {(r["check_id"], r["target"]): r for r in summary["results"]}
    assert by_key[WAIVED]["status"] == "waived" and by_key[WAIVED]["waiver"]["ticket"] == "OPS-1"
    assert by_key[EXPIRED]["status"] == "failed" and by_key[EXPIRED]["waiver"]["expired"] is True
    since = TODAY - datetime.timedelta(days=1)
    assert f"expired on {TODAY - datetime.timedelta(days=2)}: a failure again since {since}" in \
        by_key[EXPIRED]["message"]
    failed = {key for key, r in by_key.items() if r["status"] == "failed"}
    assert failed == {("XS-POOL-HA-TIMEOUT", "xs-pool://zone1/xen-pool1"), EXPIRED,
                      ("SVM-LIBSSL-PATCHED", "cpvm://zone1/v-2-VM"), ("DB-CNF-PERSISTED", "db://db2")}
    assert {(c["check_id"], c["target"]) for c in summary["changes"]["new_failures"]} == failed
    assert summary["changes"]["fixed"] == [] and summary["changes"]["still_failing"] == 0
    assert [(w["check_id"], w["target"], w["ticket"]) for w in summary["stale_waivers"]] == [(*STALE, "OPS-3")]
    assert summary["counts"]["waived"] == 1 and summary["counts"]["failed"] == 4
    # The waived failure counts for nothing in the exit code: the same results with it failed give the same
    # code here (other criticals fail), and without the other failures it would be 0.
    results = [Result(r["check_id"], r["target"], r["status"], r["message"], r["severity"]) for r in summary["results"]]
    assert exit_code(results) == 1
    assert exit_code([r for r in results if r.status != "failed"]) == 0
    # Allure: the waived failure is skipped, with its waiver label and the waiver's fields in the message.
    allure = [json.loads(p.read_text()) for p in (second_dir / "allure-results").glob("*-result.json")]
    (waived,) = [a for a in allure if {"name": "target", "value": WAIVED[1]} in a["labels"]
                 and {"name": "check_id", "value": WAIVED[0]} in a["labels"]]
    assert waived["status"] == "skipped" and "OPS-1" in waived["statusDetails"]["message"]
    assert any(label["name"] == "waiver" and "OPS-1" in label["value"] for label in waived["labels"])
    # The end of the run: the per-check table, then what changed, each with check ID and target.
    tail = output[output.index("StackAudit results by check"):]
    assert tail.index("StackAudit: what changed") > 0
    assert f"    {STALE[0]}  {STALE[1]} (ticket OPS-3" in tail
    assert "    XS-POOL-HA-TIMEOUT  xs-pool://zone1/xen-pool1" in tail
    run_line, verdict_line, report_line = output.rstrip().splitlines()[-3:]
    assert run_line == f"Run directory: {second_dir.resolve()}"
    assert verdict_line.startswith("Verdict: ") and verdict_line.endswith(f": {second_dir.resolve()}/summary.html")
    assert report_line.startswith(f"Report: {second_dir.resolve()}/report.html (") and " MB, generated in " in report_line
    assert_allure_results_read_as_an_auditor_reads_them(second_dir / "allure-results")


@pytest.mark.lab
@pytest.mark.slow
@pytest.mark.lab_scenario("compliant.yml", "violations.yml")
def test_a_run_writes_junit_results_csv_and_metrics_that_their_consumers_read(nights):
    """The violations night's junit.xml, results.csv and metrics.prom (and --metrics-file) read by the
    Jenkins xUnit plugin's schema, the csv module and Prometheus' parser, each agreeing with summary.json."""
    run_dir = nights.second_dir
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary_problems(summary) == [] and summary["discovery"] == {"status": "completed"}
    assert all((run_dir / path).exists() for name, path in summary["reports"].items() if path)
    counts = summary["counts"]
    assert sum(summary["counts_by_severity"][s]["total"] for s in summary["counts_by_severity"]) == counts["total"]

    junit = (run_dir / "junit.xml").read_bytes()
    assert junit_problems(junit) == []
    suite = ET.fromstring(junit).find("testsuite")
    assert suite.get("name") == "StackAudit"
    assert {k: int(suite.get(k)) for k in ("tests", "failures", "errors", "skipped")} == {
        "tests": counts["total"], "failures": counts["failed"], "errors": counts["broken"],
        "skipped": counts["waived"] + counts["skipped"]}
    cases = {case.get("name"): case for case in suite.iter("testcase")}
    assert set(cases) == {f"{r['check_id']} · {r['target']}" for r in summary["results"]}
    waived = cases[f"{WAIVED[0]} · {WAIVED[1]}"]
    assert [c.tag for c in waived] == ["skipped"] and "OPS-1" in waived.find("skipped").get("message")
    assert cases[f"{FAILED_CHECK[0]} · {FAILED_CHECK[1]}"].get("classname") == catalog()[FAILED_CHECK[0]].area
    assert cases[f"{FAILED_CHECK[0]} · {FAILED_CHECK[1]}"].find("failure") is not None

    rows = csv_rows((run_dir / "results.csv").read_text())
    assert [(r["check_id"], r["target"], r["status"]) for r in rows] == [
        (r["check_id"], r["target"], r["status"]) for r in summary["results"]]

    samples = metric_samples((run_dir / "metrics.prom").read_text())
    cloud = ("cloud", summary["cloud"])
    assert samples["stackaudit_run_exit_code", (cloud,)] == nights.second.returncode == 1
    for status in ("passed", "failed", "broken", "waived"):
        assert sum(v for (name, labels), v in samples.items()
                   if name == "stackaudit_results" and ("status", status) in labels) == counts[status]
    assert (nights.metrics_file.stat().st_mode & 0o777) == 0o644
    assert metric_samples(nights.metrics_file.read_text()) == samples


@pytest.mark.lab
@pytest.mark.slow
@pytest.mark.lab_scenario("compliant.yml", "violations.yml")
def test_a_passed_result_carries_its_evidence_s_digest_and_a_failed_one_the_evidence_in_full(nights):
    """The policy's default report.evidence: failing (collect/evidence.py), in a real run's Allure results."""
    allure_dir = nights.second_dir / "allure-results"
    attached = {}
    for path in allure_dir.glob("*-result.json"):
        data = json.loads(path.read_text())
        labels = {label["name"]: label["value"] for label in data["labels"]}
        attached[(labels["check_id"], labels.get("target"), data["status"])] = {
            a["name"]: (allure_dir / a["source"]).read_text() for a in data.get("attachments", [])}
    passed = {key[:2]: texts for key, texts in attached.items() if key[2] == "passed"}
    assert passed and all(list(texts) == [DIGEST_NAME] for texts in passed.values()), \
        [key for key, texts in passed.items() if list(texts) != [DIGEST_NAME]]
    entries = digest_entries(passed[("DB-CNF-PERSISTED", "db://db1")][DIGEST_NAME])
    assert "cnf_files" in [name for _, _, name, _ in entries]
    for _, size, _, source in entries:     # each piece names the run directory's file it was read from
        assert size > 0 and (nights.second_dir / source).is_file(), source
    failed = {key[:2]: texts for key, texts in attached.items() if key[2] in ("failed", "broken", "skipped")}
    assert failed and not [key for key, texts in failed.items() if DIGEST_NAME in texts]
    cnf = failed[FAILED_CHECK]["cnf_files"]      # the files' text itself, the violation in it
    assert cnf.startswith("==> /etc/mysql/conf.d/cloudstack.cnf <==\n") and "STATEMENT" in cnf, cnf[:300]


FAILED_CHECK = ("DB-CNF-PERSISTED", "db://db2")      # severity normal; seeded in violations.yml


@pytest.mark.lab
@pytest.mark.slow
@pytest.mark.lab_scenario("compliant.yml", "violations.yml")
def test_report_html_shows_the_failed_check_its_evidence_and_a_trend_of_two_runs(nights, tmp_path):
    """Chromium opens the second night's report.html from disk, as an auditor would."""
    if rendered_report.chromium() is None:
        pytest.fail("Debian's chromium is not installed (make test installs it)")
    report = nights.second_dir / "report.html"
    trend = rendered_report.embedded_json(report.read_text(), "widgets")["history-trend.json"]
    assert [run["buildOrder"] for run in trend] == [2, 1]      # both nights are in the report's data
    overview = rendered_report.dom_showing(report, ">#2</text>")   # the trend's second run drawn
    assert rendered_report.trend_labels(overview) == ["#1", "#2"]
    overview_text = rendered_report.visible_text(overview)
    assert f"Changes since {nights.first_dir.name}" in overview_text
    cases = rendered_report.embedded_json(report.read_text(), "data/test-cases")
    (case,) = [c for c in cases.values() if {"name": "check_id", "value": FAILED_CHECK[0]} in c["labels"]
               and {"name": "target", "value": FAILED_CHECK[1]} in c["labels"]]
    page = rendered_report.visible_text(rendered_report.dom(report, f"#testresult/{case['uid']}"))
    record = catalog()[FAILED_CHECK[0]]
    assert title(record.id, record.title, FAILED_CHECK[1]) in page
    assert "Failed" in page and "Severity: normal" in page
    assert "binlog_format = STATEMENT in /etc/mysql/conf.d/cloudstack.cnf" in page
    attachments = [a["name"] for a in case["testStage"]["attachments"]]
    assert "cnf_files" in attachments and all(name in page for name in attachments)
    keep = os.environ.get("STACKAUDIT_SCREENSHOTS")     # docs/reports.md's pictures: taken here, kept on request
    shots = Path(keep) if keep else tmp_path
    for name, fragment in (("report-overview.png", ""), ("report-failed-check.png", f"#testresult/{case['uid']}")):
        assert rendered_report.screenshot(report, shots / name, fragment).stat().st_size > 10_000


@pytest.mark.lab
@pytest.mark.slow
@pytest.mark.lab_scenario("compliant.yml", "violations.yml")
def test_report_html_shows_an_auditor_the_waiver_the_fix_and_the_target_without_pytest(nights, tmp_path):
    """Chromium on the violations night's report.html: a waived result says who, until when and the ticket
    (a link) first; a failure gives its target as a plain parameter, its remediation with the commands as
    blocks of their own, and its sources by title; pytest's names show nowhere; Categories go by severity."""
    if rendered_report.chromium() is None:
        pytest.fail("Debian's chromium is not installed (make test installs it)")
    history = [{(labels["check_id"], labels.get("target")): data["historyId"] for data, labels in
                ((data, {label["name"]: label["value"] for label in data["labels"]}) for data in
                 (json.loads(p.read_text()) for p in (night / "allure-results").glob("*-result.json")))
                if "check_id" in labels} for night in (nights.first_dir, nights.second_dir)]
    same = set(history[0]) & set(history[1])
    assert len(same) > 50 and all(history[0][key] == history[1][key] for key in same)     # history goes on
    report = nights.second_dir / "report.html"
    cases = rendered_report.embedded_json(report.read_text(), "data/test-cases")

    def page_of(check_id: str, target: str) -> tuple[str, str]:
        (case,) = [c for c in cases.values() if {"name": "check_id", "value": check_id} in c["labels"]
                   and {"name": "target", "value": target} in c["labels"]]
        dom = rendered_report.dom(report, f"#testresult/{case['uid']}")
        return dom, rendered_report.visible_text(dom)

    expires = TODAY + datetime.timedelta(days=30)
    dom, page = page_of(*WAIVED)
    assert f"waived until {expires} by j.doe (OPS-1" in page                        # the message, at the top
    description = page[page.index("Description"):]
    assert description.startswith(f"Description WAIVER Waived by j.doe, ticket OPS-1 , until {expires}: "
                                  "the failure does not count.")
    assert '<a href="https://tracker.example/browse/OPS-1"' in dom
    dom, page = page_of("XS-POOL-HA-TIMEOUT", "xs-pool://zone1/xen-pool1")
    assert "XenServer pools · XS-POOL-HA-TIMEOUT" in page and "Parameters target : xs-pool://zone1/xen-pool1" in page
    assert "<pre>xe pool-ha-disable</pre>" in dom and "`" not in page
    assert "Making XenServer and CloudStack sing and dance together (again) (Remi Bergsma, blog, 23 May 2015)" in page
    for pytest_name in ("checks.test_", "test_pool", "Set up", "pool : ", "'xs-pool://", "README", "MainThread"):
        assert pytest_name not in page, pytest_name
    categories_page = rendered_report.visible_text(rendered_report.dom(report, "#categories"))
    shown = {c["name"]: categories_page.find(c["name"]) for c in categories() if c["name"] in categories_page}
    assert {"2 · Critical violations", "3 · Normal violations", "6 · Expired waivers", "8 · Waived"} <= set(shown), \
        categories_page
    assert list(shown.values()) == sorted(shown.values()), shown       # in our order: by severity first
    assert "Product defects" not in categories_page
    keep = os.environ.get("STACKAUDIT_SCREENSHOTS")     # docs/reports.md's pictures: taken here, kept on request
    shots = Path(keep) if keep else tmp_path
    for name, check in (("report-waived-result.png", WAIVED),
                        ("report-failed-commands.png", ("XS-POOL-HA-TIMEOUT", "xs-pool://zone1/xen-pool1"))):
        (case,) = [c for c in cases.values() if {"name": "check_id", "value": check[0]} in c["labels"]
                   and {"name": "target", "value": check[1]} in c["labels"]]
        assert rendered_report.screenshot(report, shots / name, f"#testresult/{case['uid']}").stat().st_size > 10_000
    assert rendered_report.screenshot(report, shots / "report-categories.png", "#categories").stat().st_size > 10_000


def assert_allure_results_read_as_an_auditor_reads_them(allure_dir: Path) -> None:
    """The second run's Allure results (report/auditor.py): titles, messages, HTML descriptions,
    suites by target, and each not-passed result in the one category of its kind."""
    results = [json.loads(p.read_text()) for p in allure_dir.glob("*-result.json")]
    containers = [json.loads(p.read_text()) for p in allure_dir.glob("*-container.json")]
    assert not [c for c in containers if c.get("befores") or c.get("afters")]     # no fixture shown as Set up
    by_key = {}
    for result in results:
        labels = [(label["name"], label["value"]) for label in result["labels"]]
        values = dict(labels)
        by_key[(values["check_id"], values.get("target"))] = result
        record = catalog()[values["check_id"]]
        waived = "Waived · " if result["status"] == "skipped" and "waiver" in values else ""
        assert result["name"] == waived + title(record.id, record.title, values.get("target")), result["name"]
        assert "description" not in result and "<h3><b>WHY</b></h3>" in result["descriptionHtml"], result["name"]
        # pytest does not show through: the target as the one plain parameter, the area and check as the header
        assert result["parameters"] == ([{"name": "target", "value": values["target"]}] if "target" in values else [])
        assert result["fullName"] == f"{record.area} · {record.id} · {record.title}"
        assert ("feature", f"{record.id} · {record.title}") in labels
        assert (values["package"], values["thread"]) == (record.area, values.get("target", values["thread"]))
        assert not {"framework", "language"} & set(values) and "checks." not in json.dumps(labels)
        suites = [(name, value) for name, value in labels if name in ("parentSuite", "suite", "subSuite")]
        if "target" in values:
            assert suites == [("parentSuite", SUITES[values["target"].split("://")[0]]), ("suite", values["target"])]
        assert [name for name, _ in labels].count("severity") == 1, result["name"]
    timeout = by_key[("XS-POOL-HA-TIMEOUT", "xs-pool://zone1/xen-pool1")]
    assert timeout["name"] == "XS-POOL-HA-TIMEOUT · xs-pool://zone1/xen-pool1"
    finding = "HA timeout: no explicit timeout: XenServer's default applies; the policy wants 180 s"
    assert timeout["status"] == "failed" and timeout["statusDetails"] == {
        "message": "XS-POOL-HA-TIMEOUT · XenServer pool HA timeout is set explicitly to the policy value",
        "trace": f"Severity critical: XS-POOL-HA-TIMEOUT does not hold on xs-pool://zone1/xen-pool1.\n\n{finding}"}
    assert {"name": "finding", "value": finding} in timeout["labels"]
    expected_category = {WAIVED: "8 · Waived", EXPIRED: "6 · Expired waivers",
                         ("DB-CNF-PERSISTED", "db://db2"): "3 · Normal violations",
                         ("XS-POOL-HA-TIMEOUT", "xs-pool://zone1/xen-pool1"): "2 · Critical violations"}
    for key, category in expected_category.items():
        details = by_key[key]["statusDetails"]
        assert "assert " not in details["message"] and "AssertionError" not in details["message"], details
        assert rendered_report.allure_categories(by_key[key]["status"], details["message"], details.get("trace"),
                                                 categories()) == [category], details
