"""summary.html, the verdict page, as an auditor reads it: two nightly runs through `stackaudit run`
(the compliant cloud, then the cloud with violations and one host whose key the inventory does not
know), and Debian's Chromium opening the second run's page from disk and printing it to PDF."""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from stackaudit.catalog import catalog
from stackaudit.report.not_checked import fix_for
from tests.checks import rendered_report
from tests.checks.test_run_directories import EXPIRED, REPO, STALE, WAIVED, stackaudit_run, waivers_file

pytestmark = [pytest.mark.lab, pytest.mark.slow, pytest.mark.lab_scenario("compliant.yml", "violations.yml")]

UNKNOWN_KEY_HOST = "198.18.1.4"     # kvm-host://zone1/kvm01: every check on it is broken (host key unknown)
FAILED = {("XS-POOL-HA-TIMEOUT", "xs-pool://zone1/xen-pool1"), EXPIRED, ("SVM-LIBSSL-PATCHED", "cpvm://zone1/v-2-VM"),
          ("DB-CNF-PERSISTED", "db://db2")}


@dataclass
class VerdictRuns:
    first_dir: Path
    second: subprocess.CompletedProcess
    second_dir: Path
    summary: dict


def without_host_key(lab_dir: Path, work: Path, address: str) -> Path:
    """A copy of the lab's inventory whose known_hosts lacks `address`: the suite refuses that host."""
    work.mkdir()
    shutil.copytree(lab_dir / "keys", work / "keys")
    for name in ("inventory.yml", "policy.yml"):
        shutil.copy(lab_dir / name, work / name)
    kept = [line for line in (lab_dir / "known_hosts").read_text().splitlines() if not line.startswith(f"{address} ")]
    (work / "known_hosts").write_text("\n".join(kept) + "\n")
    return work / "inventory.yml"


@pytest.fixture(scope="module")
def verdict_runs(tmp_path_factory, lab) -> VerdictRuns:
    tmp_path = tmp_path_factory.mktemp("verdict")
    reports = tmp_path / "reports"
    waivers = waivers_file(tmp_path / "waivers.yml")
    first = stackaudit_run(lab("compliant.yml").path("inventory.yml"), waivers, reports)
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-2000:]
    (first_dir,) = (reports / "runs").iterdir()
    violations = lab("violations.yml").path("inventory.yml").parent
    second = stackaudit_run(without_host_key(violations, tmp_path / "strict", UNKNOWN_KEY_HOST), waivers, reports)
    second_dir = next(p for p in (reports / "runs").iterdir() if p != first_dir)
    return VerdictRuns(first_dir, second, second_dir, json.loads((second_dir / "summary.json").read_text()))


def sections(page: str) -> dict[str, str]:
    """Each section's HTML by its id, as Chromium parsed the page."""
    return dict(re.findall(r'<section id="(\w+)">(.*?)</section>', page, re.S))


def rows(fragment: str) -> list[str]:
    return [rendered_report.visible_text(row) for row in re.findall(r"<tr>(.*?)</tr>", fragment, re.S)]


def squeezed(text: str) -> str:
    """Text without its spaces: visible_text puts one where each tag was (`<code>x</code>:` reads "x :")."""
    return re.sub(r"\s+", "", text)


def remediation_text(check_id: str) -> str:
    """The catalog's remediation as the page shows it: code spans without their backticks."""
    return squeezed(catalog()[check_id].remediation.replace("`", ""))


def test_the_verdict_page_shows_the_verdict_failures_with_fixes_waivers_and_broken_reasons(verdict_runs, tmp_path):
    """Chromium opens the second night's summary.html from disk, as an auditor would."""
    if rendered_report.chromium() is None:
        pytest.fail("Debian's chromium is not installed (make test installs it)")
    run, summary = verdict_runs, verdict_runs.summary
    assert run.second.returncode == 1, run.second.stdout[-3000:] + run.second.stderr[-2000:]
    by_key = {(r["check_id"], r["target"]): r for r in summary["results"]}
    assert {key for key, r in by_key.items() if r["status"] == "failed"} == FAILED
    broken = {key: r for key, r in by_key.items() if r["status"] == "broken"}
    assert broken and {target for _, target in broken} >= {"kvm-host://zone1/kvm01"}
    page_path = run.second_dir / "summary.html"
    headline = f"{len(FAILED)} NEW FAILURES"
    assert f"Verdict: {headline}: {page_path.resolve()}" in run.second.stdout.splitlines()

    page = rendered_report.dom(page_path)
    assert "<script" not in page and "</html>" in page
    found = sections(page)
    header = rendered_report.visible_text(page[page.index("<header"):page.index("</header>")])
    assert header.startswith(f"StackAudit verdict: {summary['cloud']}, run {run.second_dir.name} {headline} "
                             f"New failures since run {run.first_dir.name}:")
    assert "Exit code 1: a blocker or critical check failed." in header

    # Each failed check: under its severity's heading, with its target, what was found and the fix.
    by_severity = dict(re.findall(r"<h3>(\w+) \(\d+\)</h3>(.*?)(?=<h3>|$)", found["findings"], re.S))
    for check_id, target in FAILED:
        result = by_key[(check_id, target)]
        (row,) = [r for r in rows(by_severity[result["severity"]]) if r.startswith(check_id + " ") and target in r]
        assert f" {target} failed " in row and remediation_text(check_id) in squeezed(row), row
        assert " ".join(result["message"].split()[:6]) in row, row
    # A broken result: why it was not checked and the fix for that reason, not the rule's remediation.
    (key, result), *_ = sorted(broken.items())
    (row,) = [r for r in rows(by_severity[result["severity"]]) if r.startswith(key[0] + " ") and key[1] in r]
    assert " broken " in row and "host key unknown" in row, row
    assert squeezed("Not checked (host key):" + fix_for("host key").replace("`", "")) in squeezed(row), row
    assert remediation_text(key[0]) not in squeezed(row)

    # The waivers: the active one with every field, the expired one, the stale one.
    waivers = rendered_report.visible_text(found["waivers"])
    active = by_key[WAIVED]["waiver"]
    assert (f"{WAIVED[0]} {WAIVED[1]} accepted for the test j.doe OPS-1 {active['expires']} {WAIVED[1]}") in waivers
    assert f"{EXPIRED[0]} {EXPIRED[1]} accepted for the test j.doe OPS-2" in waivers
    assert f"{STALE[0]} {STALE[1]} accepted for the test j.doe OPS-3" in waivers

    # What was audited, the trend with the first night and its date, the matrix's failed cell.
    assert re.search(r"KVM hosts \d+ CloudStack 4\.19\.1\.0", rendered_report.visible_text(found["audited"]))
    trend = rendered_report.visible_text(found["trend"])
    first = json.loads((run.first_dir / "summary.json").read_text())
    assert f"{run.first_dir.name} {first['started']} nightly 0 {first['counts']['passed']} 0 0" in trend
    assert re.search(r"<th>db://db2</th>.*?title=\"failed\"", found["matrix"], re.S)

    # README's pictures: taken here, kept on request (STACKAUDIT_SCREENSHOTS=docs).
    keep = os.environ.get("STACKAUDIT_SCREENSHOTS")
    shots = Path(keep) if keep else tmp_path
    for name, height in (("summary-verdict.png", 1000), ("summary-findings.png", 2600)):   # the last size given wins
        rendered_report.run_chromium(page_path.resolve().as_uri(), [f"--window-size=1400,{height}",
                                                                    f"--screenshot={shots / name}"])
        assert (shots / name).stat().st_size > 10_000


def test_stackaudit_pdf_prints_the_page_on_a4_pages(verdict_runs):
    done = subprocess.run([sys.executable, "-m", "stackaudit", "pdf", str(verdict_runs.second_dir)], cwd=REPO,
                          capture_output=True, text=True, timeout=300)
    pdf = verdict_runs.second_dir / "summary.pdf"
    assert (done.returncode, done.stdout, done.stderr) == (0, f"Verdict page printed: {pdf.resolve()}\n", "")
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF-")
    # one page for the verdict, counts and scope, then a page (at least) for each further section
    assert len(re.findall(rb"/Type\s*/Page[^s]", data)) >= 6
    assert set(re.findall(rb"/MediaBox\s*\[0 0 (\d+)[.\d]* (\d+)", data)) == {(b"594", b"841")}    # A4 in points


def test_report_html_of_the_same_run_shows_each_failure_waiver_and_broken_reason_and_links_the_verdict(verdict_runs):
    """The same night's report.html in Chromium: the overview links the verdict page; each failed check's
    result names its target, severity, finding and remediation; the waived one who, until when and the
    ticket; a broken one why it was not checked and the fix for that reason, never the rule's remediation."""
    report = verdict_runs.second_dir / "report.html"
    overview = rendered_report.dom_showing(report, "Verdict page")
    headline = next(line for line in verdict_runs.second.stdout.splitlines() if line.startswith("Verdict: "))
    assert 'href="summary.html"' in overview and f"Verdict: {headline.split(': ')[1]} (summary.html)" in \
        rendered_report.visible_text(overview)
    cases = rendered_report.embedded_json(report.read_text(), "data/test-cases")

    def page_of(check_id: str, target: str) -> str:
        (case,) = [c for c in cases.values() if {"name": "check_id", "value": check_id} in c["labels"]
                   and {"name": "target", "value": target} in c["labels"]]
        return rendered_report.visible_text(rendered_report.dom(report, f"#testresult/{case['uid']}"))

    by_key = {(r["check_id"], r["target"]): r for r in verdict_runs.summary["results"]}
    for check_id, target in sorted(FAILED - {EXPIRED}):
        result, record = by_key[(check_id, target)], catalog()[check_id]
        page = page_of(check_id, target)
        assert f"{check_id} · {target}" in page and f"Severity : {result['severity']}" in page, page
        description = page[page.index("Description "):]
        assert description.startswith("Description FOUND " + " ".join(result["message"].split()[:5])), description
        assert "REMEDIATION" in description and squeezed(record.remediation.replace("`", ""))[:40] in squeezed(page)
    page = page_of(*WAIVED)
    waiver = by_key[WAIVED]["waiver"]
    assert f"Waived by j.doe, ticket OPS-1 , until {waiver['expires']}" in page
    (key, result), *_ = sorted((k, r) for k, r in by_key.items() if r["status"] == "broken")
    page = page_of(*key)
    description = page[page.index("Description "):]
    assert description.startswith(f"Description NOT CHECKED: {result['not_checked'].upper()} "), description
    assert squeezed(fix_for(result["not_checked"]).replace("`", ""))[:60] in squeezed(description)
    assert "REMEDIATION" not in description
