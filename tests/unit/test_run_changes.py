"""Run directories (never reused, `latest`) and what changed since the previous run."""
from __future__ import annotations

import datetime
import json
import os

from stackaudit.config.waivers import Waiver
from stackaudit.report.changes import build_summary, change_lines, changes
from stackaudit.report.runs import new_run_dir, point_latest, previous_summary
from stackaudit.report.summary import Result


def entry(check, target, status):
    return {"check_id": check, "target": target, "status": status}


def test_changes_name_new_failures_fixed_new_broken_and_count_the_still_failing():
    before = [entry("A", "db://db1", "failed"), entry("A", "db://db2", "failed"), entry("B", "db://db1", "broken"),
              entry("C", "db://db1", "passed"), entry("D", "db://db1", "failed")]
    now = [entry("A", "db://db1", "passed"), entry("A", "db://db2", "failed"), entry("B", "db://db1", "broken"),
           entry("C", "db://db1", "failed"), entry("E", "db://db1", "broken"), entry("D", "db://db1", "waived")]
    assert changes(before, now) == {
        "new_failures": [{"check_id": "C", "target": "db://db1"}],
        "fixed": [{"check_id": "A", "target": "db://db1"}],       # D is waived, not fixed
        "new_broken": [{"check_id": "E", "target": "db://db1"}],
        "still_failing": 1}


def test_without_a_previous_run_every_failure_and_broken_result_is_new():
    now = [entry("A", "db://db1", "failed"), entry("B", "db://db1", "broken"), entry("C", "db://db1", "passed")]
    assert changes(None, now) == {"new_failures": [{"check_id": "A", "target": "db://db1"}], "fixed": [],
                                  "new_broken": [{"check_id": "B", "target": "db://db1"}], "still_failing": 0}


def test_two_runs_in_the_same_second_get_two_directories_and_latest_is_relative(tmp_path):
    first = new_run_dir(tmp_path, now=0)
    second = new_run_dir(tmp_path, now=0)
    assert (first.name, second.name) == ("19700101T000000Z", "19700101T000000Z-2")
    point_latest(tmp_path, first)
    point_latest(tmp_path, second)
    assert os.readlink(tmp_path / "latest") == "runs/19700101T000000Z-2"
    assert (tmp_path / "latest").resolve() == second.resolve()


def test_the_previous_run_is_the_latest_earlier_one_with_a_summary(tmp_path):
    runs = [new_run_dir(tmp_path, now=t) for t in (0, 60, 60, 120)]
    for run in runs[:2]:
        (run / "summary.json").write_text(json.dumps({"run": run.name}))
    assert previous_summary(runs[3])["run"] == runs[1].name     # runs[2] has no summary (it crashed)
    assert previous_summary(runs[1])["run"] == runs[0].name
    assert previous_summary(runs[0]) is None


def test_summary_lists_stale_and_expiring_waivers_and_the_changes_read_with_check_and_target():
    today = datetime.date(2026, 11, 25)
    used = Waiver("DB-BINLOG-ROW", "db://db2", "migration", "j.doe", "OPS-2", datetime.date(2026, 12, 1))
    stale = Waiver("MS-CA-STRICT", "cloud://*", "re-key", "j.doe", "OPS-1", datetime.date(2027, 3, 1))
    results = [Result("DB-BINLOG-ROW", "db://db2", "waived", "waived ...", "critical",
                      {**used.fields(), "expired": False}),
               Result("HOST-IPTABLES-V4", "kvm-host://zone1/kvm02", "failed", "missing", "critical")]
    previous = {"run": "19700101T000000Z", "results": []}
    summary = build_summary("r2", "s", "f", "lab", "4.19.1.0", "nightly", 1, results, previous, (used, stale), today)
    assert summary["counts"] == {"passed": 0, "failed": 1, "broken": 0, "waived": 1, "skipped": 0, "total": 2,
                                 "not_applicable": 0}
    assert summary["stale_waivers"] == [{"check_id": "MS-CA-STRICT", "target": "cloud://*",
                                         "reason": "re-key", "approver": "j.doe", "ticket": "OPS-1",
                                         "expires": "2027-03-01"}]
    assert [w["ticket"] for w in summary["expiring_waivers"]] == ["OPS-2"]
    lines = change_lines(summary)
    assert lines[0] == "changes since 19700101T000000Z:"
    assert "    HOST-IPTABLES-V4  kvm-host://zone1/kvm02" in lines
    assert "    MS-CA-STRICT  cloud://* (ticket OPS-1, expires 2027-03-01)" in lines
    assert "    DB-BINLOG-ROW  db://db2 (ticket OPS-2, expires 2026-12-01)" in lines
