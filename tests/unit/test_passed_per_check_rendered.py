"""A report whose passed results are listed per check (report/passed_per_check.py), made by publish from a
run directory (results written by allure-commons' own file logger: tests/unit/passed_results_dir.py),
by the pinned Allure, and opened in Chromium (tests/checks/rendered_report.py). No lab."""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest

from stackaudit.report.allure_report import embedded_files, find_allure, history_files
from stackaudit.report.publish import publish
from tests.checks import rendered_report
from tests.unit.passed_results_dir import write_run_results

pytestmark = pytest.mark.integration     # runs Allure (Java) and Chromium
NIGHTS = ("20261206T020000Z", "20261207T020000Z")
FOLDED = "HOST-IPTABLES-V4 · 3 targets passed"      # the second night's: mgmt://ms1 has left the cloud


def summary(run: str) -> dict:
    return {"run": run, "cloud": "lab", "cloudstack_version": "4.19.1.0", "profile": "nightly", "exit_code": 1,
            "changes_since": None, "changes": {"new_failures": [], "fixed": [], "new_broken": [], "still_failing": 1}}


@pytest.fixture(scope="module")
def nights(tmp_path_factory) -> list[Path]:
    """Two nights' run directories, each with its report.html, passed results folded per check; on the
    second, one of HOST-IPTABLES-V4's four passed targets is gone."""
    assert find_allure() is not None, "allure is not installed: run make setup"
    if rendered_report.chromium() is None:
        pytest.fail("Debian's chromium is not installed (make test installs it)")
    runs = tmp_path_factory.mktemp("reports") / "runs"
    made = []
    for night in NIGHTS:
        run_dir = runs / night
        write_run_results(run_dir / "allure-results", gone="mgmt://ms1" if night == NIGHTS[-1] else None)
        (run_dir / "summary.json").write_text(json.dumps(summary(night)))
        publish(run_dir, {}, "NO-GO", passed_results="per_check")
        made.append(run_dir)
    return made


def test_the_run_directory_keeps_every_result_and_no_derived_directory(nights):
    for run_dir in nights:
        assert sorted(p.name for p in run_dir.iterdir()) == ["allure-results", "report.html", "summary.json"]
    assert [len(list((run_dir / "allure-results").glob("*-result.json"))) for run_dir in nights] == [9, 8]


def test_the_report_holds_one_passed_case_per_check_and_every_other_result(nights):
    cases = rendered_report.embedded_json((nights[-1] / "report.html").read_text(), "data/test-cases").values()
    assert sorted((case["name"].split(" · ")[0], case["status"]) for case in cases) == sorted([
        ("HOST-IPTABLES-V4", "passed"), ("DB-CNF-PERSISTED", "passed"), ("HOST-IPTABLES-V4", "failed"),
        ("SVM-LIBSSL-PATCHED", "broken"), ("Waived", "skipped"), ("discovery", "passed")])


def test_the_folded_result_shows_its_targets_and_its_digests(nights):
    page = nights[-1] / "report.html"
    [case] = [c for c in rendered_report.embedded_json(page.read_text(), "data/test-cases").values()
              if c["name"] == FOLDED]
    text = rendered_report.visible_text(rendered_report.dom(page, f"#testresult/{case['uid']}"))
    assert FOLDED in text and "targets : 3" in text.replace("Parameters ", "")
    passed_on = text[text.index("PASSED ON"):]
    for target in ("kvm-host://zone1/kvm01", "kvm-host://zone1/kvm02", "kvm-host://zone1/<b>kvm\\x1b[2J</b>"):
        assert f"• {target}" in passed_on, passed_on
    assert "mgmt://ms1" not in passed_on and "kvm09" not in passed_on
    assert "evidence (digests)" in text
    [attachment] = case["testStage"]["attachments"]
    digests = embedded_files(page.read_text(), "data/attachments")[attachment["source"]]
    assert digests.startswith(b"Passed on 3 targets") and digests.count(b"\ntarget: ") == 3


def test_a_failed_result_keeps_its_evidence_in_full(nights):
    page = (nights[-1] / "report.html").read_text()
    [case] = [c for c in rendered_report.embedded_json(page, "data/test-cases").values()
              if c["name"] == "HOST-IPTABLES-V4 · kvm-host://zone1/kvm09"]
    attachments = {a["name"]: a["source"] for a in case["testStage"]["attachments"]}
    assert sorted(attachments) == ["iptables_save", "os_release"]
    iptables = embedded_files(page, "data/attachments")[attachments["iptables_save"]]
    assert iptables == b"*filter\n-A INPUT -j CLOUDSTACK-SERVICES # kvm-host://zone1/kvm09\n"


def test_the_overview_says_passed_results_are_listed_per_check(nights):
    overview = rendered_report.visible_text(rendered_report.dom_showing(nights[-1] / "report.html", "Passed results"))
    assert ("Passed results 4, listed per check in this report (report.passed_results: per_check); summary.json "
            "and results.csv list each") in overview


def test_the_folded_result_s_history_goes_on_from_night_to_night_when_its_targets_change(nights):
    """Allure 2.46 keys history.json by `<MD5 of the test case id>.<MD5 of the parameters not excluded>`."""
    history = json.loads(history_files((nights[-1] / "report.html").read_text())["history.json"])
    check_id = hashlib.md5(b"stackaudit-passed-per-check:HOST-IPTABLES-V4").hexdigest()
    key = f"{hashlib.md5(check_id.encode()).hexdigest()}.{hashlib.md5(b'').hexdigest()}"
    assert history[key]["statistic"]["passed"] == 2 and len(history[key]["items"]) == 2


def test_screenshot_of_a_folded_result(nights, tmp_path):
    keep = os.environ.get("STACKAUDIT_SCREENSHOTS")     # docs/report-at-scale.md's picture: taken here, kept on request
    page = nights[-1] / "report.html"
    [case] = [c for c in rendered_report.embedded_json(page.read_text(), "data/test-cases").values()
              if c["name"] == FOLDED]
    shot = rendered_report.screenshot(page, (Path(keep) if keep else tmp_path) / "report-passed-per-check.png",
                                      f"#testresult/{case['uid']}")
    assert shot.stat().st_size > 10_000
