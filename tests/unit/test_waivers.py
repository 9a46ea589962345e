"""Waivers: the file's validation (one line naming the file, the entry and the fix) and their effect."""
from __future__ import annotations

import datetime
from pathlib import Path

import pytest

from stackaudit.config.waivers import load_waivers, matching_waiver
from stackaudit.errors import ConfigError
from stackaudit.catalog import check_kinds
from stackaudit.report.waiving import waive

TODAY = datetime.date(2026, 11, 25)
GOOD = ("  - check: MS-CA-STRICT\n    target: 'cloud://*'\n    reason: agents re-keyed\n"
        "    approver: j.doe\n    ticket: OPS-1\n    expires: 2027-01-31\n")


def entry(**changes) -> str:
    fields = {"check": "DB-BINLOG-ROW", "target": "db://db2", "reason": "migration", "approver": "j.doe",
              "ticket": "OPS-2", "expires": "2027-01-31"}
    fields.update(changes)
    return "  -" + "".join(f" {k}: {v}\n   " for k, v in fields.items() if v is not None).rstrip(" ") + "\n"


BAD = [
    ("waivers:\n" + GOOD + entry(check="DB-NOPE"),
     "W: waivers[1] (DB-NOPE): check 'DB-NOPE' is not a check ID of the catalog; use the ID the run's table "
     "shows, e.g. MS-CA-STRICT"),
    ("waivers:\n" + entry(target="'db://db[2'"),
     "W: waivers[0] (DB-BINLOG-ROW): target 'db://db[2' is not a target id or a glob of one; write it like "
     "kvm-host://zone1/hv03 or kvm-host://zone1/*"),
    ("waivers:\n" + entry(target="db2"),
     "W: waivers[0] (DB-BINLOG-ROW): target 'db2' is not a target id or a glob of one; write it like "
     "kvm-host://zone1/hv03 or kvm-host://zone1/*"),
    ("waivers:\n" + entry(target="'kvm-host://zone1/*'"),
     "W: waivers[0] (DB-BINLOG-ROW): DB-BINLOG-ROW runs on db targets, so 'kvm-host://zone1/*' never matches; "
     "write it like db://..."),
    ("waivers:\n" + entry(ticket=None),
     "W: waivers[0] (DB-BINLOG-ROW): ticket missing; every waiver needs check, target, reason, approver, "
     "ticket, expires"),
    ("waivers:\n" + entry(expires=None),
     "W: waivers[0] (DB-BINLOG-ROW): expires missing; every waiver needs check, target, reason, approver, "
     "ticket, expires"),
    ("waivers:\n" + entry(expires="2027-12-31"),
     "W: waivers[0] (DB-BINLOG-ROW): expires 2027-12-31 is more than 180 days ahead (policy "
     "waivers.max_days_ahead); set it on or before 2027-05-24"),
    ("waivers:\n" + entry(expires="next-week"),
     "W: waivers[0] (DB-BINLOG-ROW): expires is 'next-week', not a date; write it as YYYY-MM-DD"),
    ("waivers:\n" + entry(approver="[a, b]"),
     "W: waivers[0] (DB-BINLOG-ROW): approver is list ['a', 'b']; write it as text"),
    ("waivers:\n" + entry(ticket=1234),
     "W: waivers[0] (DB-BINLOG-ROW): ticket is int 1234; write it as text"),
    ("waivers:\n" + entry(owner="me"),
     "W: waivers[0] (DB-BINLOG-ROW): unknown key owner; expected only check, target, reason, approver, "
     "ticket, expires"),
    ("waivers:\n" + entry() + entry(reason="again"),
     "W: waivers[1] (DB-BINLOG-ROW): same check and target as waivers[0]; keep one entry per check and target"),
    ("waivers:\n" + entry(ticket="OPS-2\n    ticket: OPS-3"),
     "W: line 7: key 'ticket' written twice; keep one of them"),
    ("waivers:\n  - just text\n",
     "W: waivers[0] (no check): expected a mapping with keys check, target, reason, approver, ticket, expires"),
    ("waiver:\n" + entry(),
     "W: expected one key, waivers, holding a list of waivers; see inventories/waivers.yml for the format"),
    ("waivers: [\n", "W: line 2: not valid YAML; fix the syntax there"),
]


@pytest.mark.parametrize("text,message", BAD, ids=[m.split(": ", 2)[-1][:40] for _, m in BAD])
def test_a_bad_waivers_file_is_one_line_naming_the_file_the_entry_and_the_fix(tmp_path, text, message):
    path = tmp_path / "w.yml"
    path.write_text(text)
    with pytest.raises(ConfigError) as err:
        load_waivers(path, check_kinds(), 180, TODAY)
    assert str(err.value) == message.replace("W:", f"{path}:", 1)
    assert "\n" not in str(err.value)


def test_a_missing_waivers_file_says_which_option(tmp_path):
    with pytest.raises(ConfigError, match=r"w.yml: cannot read: .*; check the --waivers path$"):
        load_waivers(tmp_path / "w.yml", check_kinds(), 180, TODAY)


def test_the_example_file_is_valid_and_the_policy_maximum_applies(tmp_path):
    example = Path(__file__).resolve().parents[2] / "inventories" / "waivers.yml"
    (waiver,) = load_waivers(example, check_kinds(), 180, datetime.date(2026, 11, 1))
    assert (waiver.check, waiver.target, waiver.ticket) == ("MS-CA-STRICT", "cloud://*", "OPS-1234")
    with pytest.raises(ConfigError, match="more than 10 days ahead"):
        load_waivers(example, check_kinds(), 10, datetime.date(2026, 11, 1))


def test_an_exact_target_wins_over_a_glob_and_other_checks_or_targets_are_not_covered(tmp_path):
    path = tmp_path / "w.yml"
    path.write_text("waivers:\n" + entry(target="'db://*'", ticket="GLOB") + entry(ticket="EXACT"))
    waivers = load_waivers(path, check_kinds(), 180, TODAY)
    assert matching_waiver(waivers, "DB-BINLOG-ROW", "db://db2").ticket == "EXACT"
    assert matching_waiver(waivers, "DB-BINLOG-ROW", "db://db1").ticket == "GLOB"
    assert matching_waiver(waivers, "DB-CNF-PERSISTED", "db://db2") is None


def test_a_valid_waiver_waives_and_an_expired_one_fails_saying_since_when(tmp_path):
    path = tmp_path / "w.yml"
    path.write_text("waivers:\n" + entry(expires="2026-11-25"))
    (waiver,) = load_waivers(path, check_kinds(), 180, TODAY)
    status, message, fields = waive(waiver, "binlog_format is STATEMENT", TODAY)
    assert status == "waived" and fields["expired"] is False and fields["ticket"] == "OPS-2"
    assert "waived until 2026-11-25 by j.doe (OPS-2" in message and message.endswith("binlog_format is STATEMENT")
    status, message, fields = waive(waiver, "binlog_format is STATEMENT", TODAY + datetime.timedelta(days=3))
    assert status == "failed" and fields["expired"] is True
    assert message == ("binlog_format is STATEMENT (waiver OPS-2, approved by j.doe, expired on 2026-11-25: "
                       "a failure again since 2026-11-26)")
