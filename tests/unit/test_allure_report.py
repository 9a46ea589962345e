"""report.html: what goes beside the results (environment, executor, history) and Allure's own tool."""
from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest

from stackaudit.report.allure_report import (ReportFailed, carry_history, change_entries, embedded_files, environment_properties,
                                             escape_property, executor, find_allure, generate, history_files,
                                             verdict_executor, write_results_context)
from stackaudit.report import publish

SUMMARY = {"run": "20261125T020000Z", "cloud": "prod-eu", "profile": "nightly",
           "changes_since": "20261124T020000Z",
           "changes": {"new_failures": [{"check_id": "DB-BINLOG-ROW", "target": "db://db2"}],
                       "fixed": [], "new_broken": [{"check_id": "HOST-NTP", "target": "kvm-host://z1/kvm07"}],
                       "still_failing": 3},
           "stale_waivers": [{"check_id": "MS-CA-STRICT", "target": "cloud://*", "ticket": "OPS-1"}],
           "expiring_waivers": []}


def test_properties_escape_what_java_properties_load_would_read_differently():
    assert escape_property("a\\b\nc") == "a\\\\b\\nc"
    assert escape_property(" lead") == "\\ lead" and escape_property("#x") == "\\#x"
    assert escape_property("CloudStack version", key=True) == "CloudStack\\ version"
    assert escape_property("a=b:c", key=True) == "a\\=b\\:c" and escape_property("a=b:c") == "a=b:c"
    assert escape_property("Zürich · 4.19") == "Z\\u00fcrich \\u00b7 4.19"
    assert escape_property("\U0001f512") == "\\ud83d\\udd12"             # UTF-16 surrogates, as Java reads


def test_environment_properties_are_ascii_lines_in_the_given_order():
    text = environment_properties({"Changes since": "x", "Cloud": "prod-eu"}).decode("ascii")
    assert text == "Changes\\ since=x\nCloud=prod-eu\n"


def test_change_entries_list_each_change_with_check_and_target():
    entries = change_entries(SUMMARY)
    assert entries["Changes since"] == "20261124T020000Z"
    assert entries["New failures"] == "DB-BINLOG-ROW db://db2"
    assert entries["Fixed"] == "none" and entries["Still failing"] == "3"
    assert entries["Newly broken"] == "HOST-NTP kvm-host://z1/kvm07"
    assert entries["Stale waivers"] == "MS-CA-STRICT cloud://*"
    assert entries["Waivers expiring within 14 days"] == "none"
    assert entries["Trusted on first use (system VM keys pinned in this run, not verified)"] == "none"


def test_the_overview_names_every_key_trusted_on_first_use():
    pins = [{"target": "router://z1/r-5-VM", "vm_id": "r5", "fingerprint": "SHA256:AAAA"},
            {"target": "ssvm://z1/s-1-VM", "vm_id": "s1", "fingerprint": "SHA256:BBBB"}]
    entries = change_entries({**SUMMARY, "first_use_pins": pins})
    assert entries["Trusted on first use (system VM keys pinned in this run, not verified)"] == \
        "router://z1/r-5-VM SHA256:AAAA, ssvm://z1/s-1-VM SHA256:BBBB"


def test_a_long_list_on_the_overview_stops_and_points_at_summary_json():
    many = {**SUMMARY, "changes": {**SUMMARY["changes"], "new_failures": [
        {"check_id": "HOST-NTP", "target": f"kvm-host://z1/kvm{i:03}"} for i in range(205)]}}
    listed = change_entries(many)["New failures"]
    assert listed.count("HOST-NTP") == 20 and listed.endswith("and 185 more (summary.json)")


def test_the_overview_names_what_was_not_applicable():
    assert change_entries(SUMMARY)["Not applicable (out of scope, not collected)"] == "none"
    left_out = [{"check_id": "SVM-PER-ZONE", "target": "zone://zone5", "reason": "zone zone5 is Disabled"},
                {"check_id": "XS-POOL-MIN-HOSTS", "target": None, "reason": "the cloud lab has no xs-pool targets"}]
    assert change_entries({**SUMMARY, "not_applicable": left_out})["Not applicable (out of scope, not collected)"] == \
        "SVM-PER-ZONE zone://zone5, XS-POOL-MIN-HOSTS (the cloud has no target of its kinds)"


def test_first_run_says_so():
    assert change_entries({**SUMMARY, "changes_since": None})["Changes since"] == \
        "no earlier run in this reports directory"


def test_executor_names_the_kind_of_run_and_links_the_previous_report():
    record = executor(SUMMARY, 7, "20261124T020000Z")
    assert record["name"] == "StackAudit nightly compliance run" and record["buildOrder"] == 7
    assert record["buildUrl"] == "../20261124T020000Z/report.html"
    gate = executor({**SUMMARY, "profile": "pre_upgrade"}, 1, None)
    assert gate["name"] == "StackAudit pre-upgrade gate" and "buildUrl" not in gate



def test_the_overview_names_the_verdict_first_and_lists_the_verdict_page_as_an_executor_without_build_order(
        monkeypatch):
    monkeypatch.setattr(publish, "stackaudit_version", lambda: "0.1.0")     # no git here
    entries = publish.environment({**SUMMARY, "exit_code": 1}, {}, "NO-GO")
    assert next(iter(entries.items())) == ("Verdict", "NO-GO: summary.html, beside this report")
    assert "Verdict" not in publish.environment({**SUMMARY, "exit_code": 0}, {})
    assert verdict_executor("GO") == {"name": "Verdict page", "type": "stackaudit",
                                      "buildName": "Verdict: GO (summary.html)", "buildUrl": "summary.html"}

# A fragment of a report written by allure-commandline 2.46.1 (`allure generate --single-file`) from a
# lab run: the embedded files are calls d('<path>','<base64>') (history-trend.json kept verbatim).
FRAGMENT = ("<script>d('widgets/environment.json','W10=')\n"
            "d('history/history-trend.json','W3siZGF0YSI6eyJmYWlsZWQiOjUsImJyb2tlbiI6MCwic2tpcHBlZCI6MCwicGFzc2VkIjo3"
            "NCwidW5rbm93biI6MCwidG90YWwiOjc5fX1d')\nd('history/history.json','e30=')\n"
            "d('history/bad.json','not base64!')</script>")


def test_history_files_are_read_back_from_a_single_file_report():
    files = history_files(FRAGMENT)
    assert set(files) == {"history-trend.json", "history.json"}
    assert json.loads(files["history-trend.json"])[0]["data"]["total"] == 79
    assert embedded_files(FRAGMENT, "widgets") == {"environment.json": b"[]"}


def test_carry_history_copies_the_previous_reports_history_into_the_results(tmp_path):
    previous = tmp_path / "report.html"
    previous.write_text(FRAGMENT)
    results = tmp_path / "allure-results"
    results.mkdir()
    assert carry_history(previous, results) == ["history-trend.json", "history.json"]
    assert (results / "history" / "history.json").read_text() == "{}"
    assert carry_history(None, results) == [] and carry_history(tmp_path / "missing.html", results) == []


def test_without_allure_the_error_says_how_to_install_it(tmp_path):
    with pytest.raises(ReportFailed, match="make setup"):
        generate(None, tmp_path, tmp_path / "report.html")


@pytest.mark.integration
def test_a_failing_allure_is_one_line_with_its_last_words(tmp_path):
    fake = tmp_path / "allure"
    fake.write_text("#!/bin/sh\necho 'starting' ; echo 'Error: no Java runtime' >&2; exit 3\n")
    fake.chmod(0o755)
    with pytest.raises(ReportFailed, match=r"^allure generate exited 3: Error: no Java runtime$"):
        generate(fake, tmp_path, tmp_path / "report.html")
    assert not (tmp_path / "report.html").exists()


def allure_result(results: Path, name: str, status: str) -> None:
    (results / f"{uuid.uuid4()}-result.json").write_text(json.dumps({
        "uuid": str(uuid.uuid4()), "historyId": name, "name": name, "fullName": name, "status": status,
        "start": 1764036000000, "stop": 1764036000100, "labels": [{"name": "severity", "value": "critical"}]}))


@pytest.mark.integration
def test_allure_writes_one_html_file_whose_history_the_next_run_carries_on(tmp_path):
    """The real tool (make setup installs it): two runs, the second's trend counts both."""
    allure = find_allure()
    assert allure is not None, "allure is not installed: run make setup"
    first, second = tmp_path / "first", tmp_path / "second"
    for run, status in ((first, "passed"), (second, "failed")):
        (run / "allure-results").mkdir(parents=True)
        allure_result(run / "allure-results", "DB-BINLOG-ROW db://db2", status)
        write_results_context(run / "allure-results", {"Cloud": "prod-eu"},
                              executor(SUMMARY, 1 if run == first else 2, None), [])
    generate(allure, first / "allure-results", first / "report.html")
    assert carry_history(first / "report.html", second / "allure-results")
    generate(allure, second / "allure-results", second / "report.html")
    assert sorted(p.name for p in second.iterdir()) == ["allure-results", "report.html"]
    trend = json.loads(history_files((second / "report.html").read_text())["history-trend.json"])
    assert [(t["buildOrder"], t["data"]["passed"], t["data"]["failed"]) for t in trend] == [(2, 0, 1), (1, 1, 0)]
