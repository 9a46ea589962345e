"""What the verdict page is made from, read from a run directory (report/verdict_data.py), and
`stackaudit pdf` where Chromium is absent (report/pdf.py). Files only: no subprocess."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from stackaudit.cli import main
from stackaudit.report import pdf
from stackaudit.report.runs import SHARD_MARK
from stackaudit.report.summary_fields import discovery_failed
from stackaudit.report.verdict_data import (TREND_RUNS, broken_reasons, discovery_failure, read_earlier, read_page_inputs,
                                            write_verdict_page)
from tests.unit.verdict_samples import CHECKS, TARGETS, result, summary


def test_why_each_broken_result_was_not_checked_and_a_failed_discovery_come_from_summary_json():
    found = summary(results=[result("HOST-NTP", "kvm-host://zone1/kvm02", "broken", "normal", "key changed",
                                    not_checked="host key"),
                             result("DB-BINLOG-ROW", None, "broken", "critical", "timed out", not_checked="unreachable"),
                             result("MS-CA-STRICT", "cloud://lab", "failed", "critical", "x", not_checked="API error"),
                             result("HOST-NTP", "kvm-host://zone1/kvm03", "broken", "normal", "older summary.json"),
                             "not a result"])
    assert broken_reasons(found) == {("HOST-NTP", "kvm-host://zone1/kvm02"): "host key",
                                     ("DB-BINLOG-ROW", ""): "unreachable"}
    assert discovery_failure(found) is None
    failed = summary(discovery=discovery_failed("unreachable", "CloudStack API: listZones: refused"))
    assert discovery_failure(failed) == "not checked (unreachable): CloudStack API: listZones: refused"


def test_the_trend_reads_the_latest_whole_runs_before_this_one(tmp_path):
    runs = tmp_path / "runs"
    names = [f"202611{day:02d}T020000Z" for day in range(1, 16)]
    for name in names:
        (runs / name).mkdir(parents=True)
        (runs / name / "summary.json").write_text(json.dumps(summary(run=name, started=f"{name[:8]} start",
                                                                     exit_code=7)))
    (runs / names[13] / SHARD_MARK).write_text("0/2\n")          # part of a night: never a run before another
    (runs / names[12] / "summary.json").write_text("{not json")
    earlier = read_earlier(runs / names[14])
    assert [e.run for e in earlier] == names[11::-1][:TREND_RUNS]
    assert (earlier[0].started, earlier[0].exit_code, earlier[0].counts["failed"]) == ("20261112 start", 7, 4)


def test_the_page_is_written_from_the_run_directory_and_its_headline_returned(tmp_path):
    run_dir = tmp_path / "runs" / "20261125T020000Z"
    run_dir.mkdir(parents=True)
    (run_dir / "summary.json").write_text(json.dumps(summary(profile="pre_upgrade", results=[
        result("HOST-NTP", "kvm-host://zone1/kvm01", "broken", "normal", "Permission denied", not_checked="login refused")])))
    (run_dir / "targets.json").write_text(json.dumps({"cloud": "lab", "targets": TARGETS}))
    assert read_page_inputs(run_dir, CHECKS).not_checked == {("HOST-NTP", "kvm-host://zone1/kvm01"): "login refused"}
    assert write_verdict_page(run_dir, CHECKS) == "NO-GO"
    page = (run_dir / "summary.html").read_text()
    assert "Not checked (login refused)</b>: The target refused the audit account" in page and "KVM hosts</td><td>2</td>" in page
    (run_dir / "summary.json").write_text("[1]")
    with pytest.raises(ValueError, match=r"summary.json: not as StackAudit writes it \(not a JSON object\)"):
        write_verdict_page(run_dir, CHECKS)
    (run_dir / "summary.json").write_text('{"results": [{"status": "failed"}], "exit_code": 1}')
    with pytest.raises(ValueError, match=r"summary.json: not as StackAudit writes it \(KeyError: 'check_id'\); "
                                         "run the checks again"):
        write_verdict_page(run_dir, CHECKS)


def test_chromium_prints_without_header_or_sandbox_only_as_root(tmp_path):
    command = pdf.chromium_command("/usr/bin/chromium", tmp_path / "summary.html", tmp_path / "o.pdf", "/tmp/p", True)
    assert command[0] == "/usr/bin/chromium" and "--headless" in command and "--no-pdf-header-footer" in command
    assert command[-2:] == [f"--print-to-pdf={tmp_path / 'o.pdf'}", (tmp_path / "summary.html").as_uri()]
    assert "--no-sandbox" in command and "--disable-background-networking" in command
    assert "--no-sandbox" not in pdf.chromium_command("c", tmp_path / "s.html", tmp_path / "o.pdf", "/p", False)


def test_pdf_without_chromium_is_one_line_and_exit_4(tmp_path, monkeypatch, capsys):
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    (run_dir / "summary.json").write_text(json.dumps(summary()))
    monkeypatch.setattr(pdf, "find_chromium", lambda: None)
    assert main(["pdf", str(run_dir)]) == 4
    out, err = capsys.readouterr()
    assert out == "" and err.splitlines() == [
        f"stackaudit: chromium is not on PATH, so {run_dir / 'summary.pdf'} was not written; install it (Debian: "
        f"apt-get install chromium) or open {run_dir / 'summary.html'} in a browser and print it"]
    assert not (run_dir / "summary.pdf").exists()


def test_pdf_of_a_summary_that_is_not_json_is_one_line_and_exit_4(tmp_path, capsys):
    (tmp_path / "summary.json").write_text('{"run": ')
    assert main(["pdf", str(tmp_path)]) == 4
    assert capsys.readouterr().err.splitlines() == [
        f"stackaudit: {tmp_path / 'summary.json'}: not JSON (Expecting value: line 1 column 9 (char 8)); run the "
        "checks again"]


def test_pdf_of_a_directory_that_is_no_run_is_one_line_and_exit_4(tmp_path, capsys):
    assert main(["pdf", str(tmp_path)]) == 4
    assert capsys.readouterr().err.splitlines() == [
        f"stackaudit: {tmp_path}: not a run directory (no summary.json); give reports/runs/<UTC timestamp> or "
        "reports/latest"]
    assert main(["pdf", str(tmp_path), "--landscape"]) == 4
    assert "pdf: unrecognized arguments '--landscape'; pdf takes one run directory" in capsys.readouterr().err
