"""report.html's passed results per check (report/passed_per_check.py), on results written by
allure-commons' own file logger (tests/unit/passed_results_dir.py)."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from stackaudit.catalog import catalog
from stackaudit.collect.evidence import digest_entries, digest_text
from stackaudit.config.policy import policy_from_data
from stackaudit.errors import ConfigError
from stackaudit.report import publish
from stackaudit.report.allure_report import ReportFailed
from stackaudit.report.auditor import rule_description
from stackaudit.report.passed_per_check import (DIGESTS_NAME, FOLDED_SUITE, PASSED_PER_CHECK_ABOVE, CheckFold,
                                                Folded, digest_groups, fold_passed, folds, passed_note,
                                                results_for_report)
from tests.unit.passed_results_dir import HOSTILE, PASSED, START, pieces, write_run_results

IPTABLES = "HOST-IPTABLES-V4"


def results_in(folder: Path) -> dict[str, dict]:
    """name -> result, of every result file in `folder`."""
    return {data["name"]: data for data in (json.loads(p.read_text()) for p in folder.glob("*-result.json"))}


@pytest.fixture
def run(tmp_path) -> tuple[Path, dict, Path, Folded]:
    results = tmp_path / "allure-results"
    kept = write_run_results(results)
    (results / "history").mkdir()
    (results / "history" / "history-trend.json").write_text('[{"buildOrder": 1}]')
    for name, text in (("categories.json", "[]"), ("environment.properties", "Cloud=lab\n"), ("executor.json", "{}")):
        (results / name).write_text(text)
    derived = tmp_path / "derived"
    return results, kept, derived, fold_passed(results, derived)


def folded(derived: Path, check_id: str = IPTABLES) -> dict:
    return next(r for r in results_in(derived).values() if r.get("historyId") == hashlib.md5(
        f"stackaudit-passed-per-check:{check_id}".encode()).hexdigest())


def test_passed_results_become_one_per_check_and_every_other_result_stays(run):
    results, kept, derived, counts = run
    assert counts == Folded(passed=5, checks=2, kept=4)
    assert sorted(results_in(derived)) == sorted([f"{IPTABLES} · 4 targets passed", "DB-CNF-PERSISTED · 1 target passed",
                                                  *(r.name for r in kept.values())])
    assert len(list(results.glob("*-result.json"))) == 9      # the run's own directory is left as it was


def test_a_kept_result_and_its_attachments_are_copied_byte_for_byte(run):
    results, kept, derived, _ = run
    for result in kept.values():
        [original] = [p for p in results.glob("*-result.json") if json.loads(p.read_text())["uuid"] == result.uuid]
        assert (derived / original.name).read_bytes() == original.read_bytes()
        for attachment in result.attachments:
            assert (derived / attachment.source).read_bytes() == (results / attachment.source).read_bytes()
    assert {a.name for a in kept["failed"].attachments} == {"os_release", "iptables_save"}     # in full
    # the attachments of the derived directory: the kept results' and one digests file per folded check
    assert len(list(derived.glob("*-attachment.txt"))) == 2 * 3 + 2


def test_what_publish_writes_beside_the_results_is_carried_over(run):
    results, _, derived, _ = run
    for name in ("categories.json", "environment.properties", "executor.json", "history/history-trend.json"):
        assert (derived / name).read_bytes() == (results / name).read_bytes()


def test_containers_keep_only_results_that_were_kept(run):
    _, kept, derived, _ = run
    children = [json.loads(p.read_text())["children"] for p in derived.glob("*-container.json")]
    assert sorted(map(tuple, children)) == sorted([(r.uuid,) for r in kept.values()] + [(kept["failed"].uuid,)])


def test_the_folded_result_of_a_check(run):
    _, _, derived, _ = run
    result = folded(derived)
    record = catalog()[IPTABLES]
    assert result["name"] == f"{IPTABLES} · 4 targets passed" and result["status"] == "passed"
    assert result["parameters"] == [{"name": "targets", "value": "4", "excluded": True}]     # out of its history key
    assert (result["start"], result["stop"]) == (START + 1000, START + 4000 + 10)
    labels = [(label["name"], label["value"]) for label in result["labels"]]
    assert sorted(labels) == sorted([
        ("check_id", IPTABLES), ("epic", record.area), ("tag", "nightly"), ("severity", record.severity),
        ("package", record.area), ("feature", f"{IPTABLES} · {record.title}"),
        ("parentSuite", "KVM hosts / Management servers"), ("suite", FOLDED_SUITE),
        ("host", "KVM hosts / Management servers"), ("thread", FOLDED_SUITE)])
    assert result["fullName"] == f"{record.area} · {IPTABLES} · {record.title}"
    assert result["testCaseId"] == result["historyId"] == hashlib.md5(b"stackaudit-passed-per-check:" +
                                                                      IPTABLES.encode()).hexdigest()


def test_the_folded_description_is_the_check_s_then_every_target_it_passed_on_escaped(run):
    _, _, derived, _ = run
    description = folded(derived)["descriptionHtml"]
    rule = rule_description(catalog()[IPTABLES], None, catalog()[IPTABLES].severity)
    assert description.startswith(rule + "<br><h3><b>PASSED ON</b></h3><p>4 targets, each its own result")
    listed = description[len(rule):]
    for target in ("kvm-host://zone1/kvm01", "kvm-host://zone1/kvm02", "mgmt://ms1"):
        assert f"<li>• {target}</li>" in listed
    assert "<li>• kvm-host://zone1/&lt;b&gt;kvm\\x1b[2J&lt;/b&gt;</li>" in listed
    assert "<b>kvm" not in listed and "\x1b" not in description
    assert "kvm09" not in listed        # it failed


def test_the_digests_attachment_lists_each_target_s_digest_under_its_id(run):
    results, _, derived, _ = run
    [attachment] = folded(derived)["attachments"]
    assert attachment["name"] == DIGESTS_NAME and attachment["type"] == "text/plain"
    text = (derived / attachment["source"]).read_text()
    assert text.startswith("Passed on 4 targets: the evidence each was judged on")
    shown_hostile = HOSTILE.replace("\x1b", "\\x1b")
    groups = digest_groups(text)
    assert list(groups) == sorted(["kvm-host://zone1/kvm01", "kvm-host://zone1/kvm02", shown_hostile, "mgmt://ms1"])
    for target in PASSED[IPTABLES]:
        assert groups[target.replace("\x1b", "\\x1b")] == digest_entries(digest_text(pieces(target)))
    assert "\x1b" not in text


def test_passed_evidence_attached_in_full_is_listed_by_the_hash_and_size_of_each_file(tmp_path):
    results = tmp_path / "allure-results"
    write_run_results(results, evidence_all=True)
    fold_passed(results, tmp_path / "derived")
    [attachment] = folded(tmp_path / "derived", "DB-CNF-PERSISTED")["attachments"]
    groups = digest_groups((tmp_path / "derived" / attachment["source"]).read_text())
    assert groups == {"db://db1": [(hashlib.sha256(p.data).hexdigest(), len(p.data), p.name, None)
                                   for p in pieces("db://db1")]}


def test_each_and_auto_up_to_the_limit_leave_the_results_as_they_are(tmp_path):
    results = tmp_path / "allure-results"
    write_run_results(results)
    for policy in ("each", "auto"):
        with results_for_report(results, policy, tmp_path) as (shown, counts):
            assert (shown, counts) == (results, None)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["allure-results"]


def test_per_check_folds_into_a_directory_beside_the_report_removed_after(tmp_path):
    results = tmp_path / "allure-results"
    write_run_results(results)
    with results_for_report(results, "per_check", tmp_path) as (shown, counts):
        assert shown.parent.parent == tmp_path and shown.parent.name.startswith(".report-results-")
        assert counts.checks == 2 and len(list(shown.glob("*-result.json"))) == 6
    assert sorted(p.name for p in tmp_path.iterdir()) == ["allure-results"]


def test_auto_folds_above_two_thousand_results():
    assert PASSED_PER_CHECK_ABOVE == 2000
    assert [folds("auto", n) for n in (140, 1173, 2000, 2001, 11700)] == [False, False, False, True, True]
    assert not folds("each", 11700) and folds("per_check", 1)


def test_auto_counts_the_results_directory(tmp_path):
    results = tmp_path / "allure-results"
    results.mkdir()
    for n in range(PASSED_PER_CHECK_ABOVE):
        (results / f"{n:05}-result.json").write_text(json.dumps({"uuid": str(n), "name": "x", "status": "passed"}))
    with results_for_report(results, "auto", tmp_path) as (shown, counts):
        assert counts is None
    (results / "extra-result.json").write_text(json.dumps({"uuid": "extra", "name": "x", "status": "passed"}))
    with results_for_report(results, "auto", tmp_path) as (shown, counts):
        # none names a check: nothing to fold, each kept
        assert shown != results and counts == Folded(0, 0, 2001)


@pytest.mark.parametrize("text, reason", [("{not json", r"cannot read this Allure file \(.*\)"),
                                          ("[1]", r"not an Allure result \(a JSON list\)")])
def test_an_unreadable_result_file_is_one_line(tmp_path, text, reason):
    results = tmp_path / "allure-results"
    results.mkdir()
    (results / "x-result.json").write_text(text)
    with pytest.raises(ReportFailed, match=rf"x-result\.json: {reason}; rerun the checks$"):
        fold_passed(results, tmp_path / "derived")


def test_a_run_without_results_is_not_folded(tmp_path):
    with results_for_report(tmp_path / "allure-results", "per_check", tmp_path) as (shown, counts):
        assert (shown, counts) == (tmp_path / "allure-results", None)


def test_the_overview_says_passed_results_are_listed_per_check(monkeypatch):
    monkeypatch.setattr(publish, "stackaudit_version", lambda: "0.1.0")     # no git here
    note = passed_note(Folded(passed=11532, checks=65, kept=170), "auto")
    assert note == ("11,532, listed per check in this report (report.passed_results: auto above 2,000 results); "
                    "summary.json and results.csv list each")
    assert "(report.passed_results: per_check)" in passed_note(Folded(3, 1, 0), "per_check")
    summary = {"run": "r", "cloud": "lab", "exit_code": 0, "changes": {"new_failures": [], "fixed": [],
                                                                        "new_broken": [], "still_failing": 0}}
    entries = list(publish.environment(summary, {}, "GO", note).items())
    assert entries[:2] == [("Verdict", "GO: summary.html, beside this report"), ("Passed results", note)]
    assert "Passed results" not in publish.environment(summary, {}, "GO")


@pytest.mark.parametrize("value, found", [("fold", "str 'fold'"), ("", "str ''"), (True, "bool True"), (3, "int 3")])
def test_a_bad_passed_results_policy_is_one_line(value, found):
    with pytest.raises(ConfigError) as raised:
        policy_from_data({"report": {"passed_results": value}}, "policy.yml")
    assert str(raised.value) == f"policy.yml: report.passed_results: found {found}; expected one of auto, each, per_check"


def test_passed_results_policy_defaults_to_auto():
    assert policy_from_data({}, "defaults").report.passed_results == "auto"
    assert policy_from_data({"report": {"passed_results": "per_check"}}, "p").report.passed_results == "per_check"


def test_the_folded_result_shows_the_most_severe_of_its_results_then_the_first_target():
    def passed(target: str, severity: str) -> dict:
        return {"labels": [{"name": "target", "value": target}, {"name": "severity", "value": severity}],
                "descriptionHtml": f"{severity} {target}", "start": 5, "stop": True}
    fold = CheckFold()
    for target, severity in (("db://b", "normal"), ("db://c", "critical"), ("db://a", "critical"), ("db://d", "x")):
        fold.add(passed(target, severity))
    assert fold.shown["descriptionHtml"] == "critical db://a"       # escalated (catalog.escalate) on two targets
    assert [(r.target, r.start, r.stop) for r in fold.results][:1] == [("db://b", 5, None)]    # a bool is no time


def test_an_attachment_that_is_a_link_stops_the_fold_with_one_line(tmp_path):
    results = tmp_path / "allure-results"
    write_run_results(results)
    [digest] = [p for p in results.glob("*-attachment.txt") if p.read_text().startswith("Passed: ")][:1]
    digest.unlink()
    digest.symlink_to("/etc/hostname")
    with pytest.raises(ReportFailed, match=r"^.*allure-results: cannot list the passed results per check \(.*"
                                           r"is a symbolic link.*\); free the disk or rerun the checks, or set "
                                           r"report.passed_results: each$"):
        with results_for_report(results, "per_check", tmp_path):
            pass
    assert sorted(p.name for p in tmp_path.iterdir()) == ["allure-results"]
