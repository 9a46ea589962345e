"""A night on the lab with violations, with the policy's `report.passed_results: per_check`
(report/passed_per_check.py): report.html holds one passed case per check, and every result that did not
pass as the run's own Allure results have it, its evidence in full. The run's own results, summary.json
and results.csv still list each (check, target)."""
from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
import yaml

from stackaudit.report.allure_report import embedded_files
from tests.checks import rendered_report
from tests.checks.test_run_directories import FAILED_CHECK, stackaudit_run, waivers_file

pytestmark = [pytest.mark.lab, pytest.mark.slow, pytest.mark.lab_scenario("violations.yml")]


def per_check_inventory(lab) -> Path:
    """A copy of the lab's inventory whose policy is the lab's with report.passed_results: per_check."""
    document = yaml.safe_load(lab.path("inventory.yml").read_text())
    policy = yaml.safe_load(lab.path(document["policy"]).read_text())
    policy["report"] = {**(policy.get("report") or {}), "passed_results": "per_check"}
    lab.path("policy-per-check.yml").write_text(yaml.safe_dump(policy, sort_keys=False))
    document["policy"] = "policy-per-check.yml"
    inventory = lab.path("inventory-per-check.yml")
    inventory.write_text(yaml.safe_dump(document, sort_keys=False))
    return inventory


@pytest.fixture(scope="module")
def night(tmp_path_factory, lab) -> Path:
    tmp_path = tmp_path_factory.mktemp("per-check")
    reports = tmp_path / "reports"
    done = stackaudit_run(per_check_inventory(lab("violations.yml")), waivers_file(tmp_path / "waivers.yml"), reports)
    assert done.returncode == 1 and "Report: " in done.stdout, done.stdout[-3000:] + done.stderr[-2000:]
    (run_dir,) = (reports / "runs").iterdir()
    return run_dir


def own_results(run_dir: Path) -> list[dict]:
    return [json.loads(p.read_text()) for p in (run_dir / "allure-results").glob("*-result.json")]


def check_of(result: dict) -> str | None:
    return next((label["value"] for label in result.get("labels", []) if label["name"] == "check_id"), None)


def shown(name: str, status: str, attachments: list[dict]) -> tuple[str, str, tuple[str, ...]]:
    return name, status, tuple(sorted(a["name"] for a in attachments))


def test_report_html_has_one_passed_case_per_check_and_every_other_result_as_the_run_has_it(night):
    results = own_results(night)
    passed = Counter(check_of(r) for r in results if r["status"] == "passed" and check_of(r))
    kept = Counter(shown(r["name"], r["status"], r.get("attachments", [])) for r in results
                   if not (r["status"] == "passed" and check_of(r)))
    assert sum(passed.values()) > 50 and len(passed) > 10, passed
    assert {status for _, status, _ in kept} >= {"failed", "skipped"}, kept     # skipped: the waived
    cases = rendered_report.embedded_json((night / "report.html").read_text(), "data/test-cases").values()
    folded = {case["name"] for case in cases if case["name"].endswith(" passed") and case["status"] == "passed"}
    assert folded == {f"{check} · {n} target{'s' if n != 1 else ''} passed" for check, n in passed.items()}
    assert Counter(shown(c["name"], c["status"], c.get("testStage", {}).get("attachments", [])) for c in cases
                   if c["name"] not in folded) == kept
    summary = json.loads((night / "summary.json").read_text())
    assert summary["counts"]["passed"] == sum(passed.values()) == len([r for r in summary["results"]
                                                                        if r["status"] == "passed"])


def test_a_failed_result_in_the_folded_report_keeps_its_evidence_in_full(night):
    page = (night / "report.html").read_text()
    name = f"{FAILED_CHECK[0]} · {FAILED_CHECK[1]}"
    [case] = [c for c in rendered_report.embedded_json(page, "data/test-cases").values() if c["name"] == name]
    cnf = {a["name"]: a["source"] for a in case["testStage"]["attachments"]}["cnf_files"]
    text = embedded_files(page, "data/attachments")[cnf].decode()
    assert text.startswith("==> /etc/mysql/conf.d/cloudstack.cnf <==\n") and "STATEMENT" in text, text[:300]


def test_the_overview_names_how_many_passed_results_are_listed_per_check(night):
    environment = rendered_report.embedded_json((night / "report.html").read_text(), "widgets")["environment.json"]
    entries = {entry["name"]: entry["values"] for entry in environment}
    passed = json.loads((night / "summary.json").read_text())["counts"]["passed"]
    assert entries["Passed results"] == [f"{passed:,}, listed per check in this report (report.passed_results: "
                                         "per_check); summary.json and results.csv list each"]
