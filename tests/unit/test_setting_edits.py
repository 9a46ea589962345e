"""MS-CONFIG-ACTIVE's readings (parsers/setting_edits.py): the setting a CONFIGURATION.VALUE.EDIT event names,
never its value; the API's dates; when the server's process started and its start-only files changed."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stackaudit.errors import UnparsableOutput
from stackaudit.parsers.setting_edits import (START_ONLY_FILES, ServerStart, SettingEdit, edited_setting,
                                              parse_elapsed_seconds, parse_server_start, parse_setting_edits)
from tests.unit.hypothesis_budget import examples

RECORDED = Path(__file__).resolve().parent.parent / "data" / "recorded"
# What ActionEventInterceptor stores: the action's description, ". ", then updateConfiguration's details.
STORED = "updating configuration.  Name: expunge.delay New Value: 60"


def test_the_name_is_read_and_the_value_is_not_kept():
    assert edited_setting(STORED) == "expunge.delay"
    assert edited_setting("Successfully completed updating configuration.  Name: ldap.basedn New Value: ") == "ldap.basedn"
    assert edited_setting("Updating configuration.  Name: db.password New Value: *****") == "db.password"
    assert edited_setting("updating configuration") is None


def test_edit_events_among_others_are_read_with_their_dates():
    rows = [{"id": "e1", "type": "VM.START", "description": "starting Vm. Vm Id: 5", "created": "2024-03-05T10:15:30+0000"},
            {"id": "e2", "type": "CONFIGURATION.VALUE.EDIT", "description": STORED, "created": "2024-03-05T11:00:00+0100"}]
    assert parse_setting_edits(rows) == [
        SettingEdit("expunge.delay", datetime(2024, 3, 5, 10, 0, tzinfo=timezone.utc))]


@pytest.mark.parametrize("row, message", [
    ({"id": "e1", "type": "CONFIGURATION.VALUE.EDIT", "description": "updating configuration",
      "created": "2024-03-05T10:15:30+0000"}, "names no setting"),
    ({"id": "e1", "type": "CONFIGURATION.VALUE.EDIT", "description": STORED}, "no created date"),
    ({"id": "e1", "type": "CONFIGURATION.VALUE.EDIT", "description": STORED, "created": "2024-03-05 10:15:30"},
     "CloudStack's date format"),
    ({"id": "e1", "type": "CONFIGURATION.VALUE.EDIT", "description": STORED, "created": "2024-02-30T10:15:30+0000"},
     "CloudStack's date format"),
    ({"id": "e1", "type": "CONFIGURATION.VALUE.EDIT", "description": STORED, "created": "２０２４-03-05T10:15:30+0000"},
     "CloudStack's date format"),
    ({"type": "CONFIGURATION.VALUE.EDIT", "description": STORED, "created": "2024-03-05T10:15:30+0000"}, "no field id"),
    ("CONFIGURATION.VALUE.EDIT", "not an object"),
])
def test_an_edit_event_that_cannot_be_judged_is_unparsable(row, message):
    with pytest.raises(UnparsableOutput, match=message):
        parse_setting_edits([row])


def test_elapsed_seconds_as_ps_right_aligns_them():
    assert parse_elapsed_seconds("   86461\n") == 86461
    for text in ("", "1\n2\n", "١٢\n", "1-02:03:04\n"):
        with pytest.raises(UnparsableOutput):
            parse_elapsed_seconds(text)


@settings(max_examples=examples(200))
@given(st.from_regex(r"[a-z][a-z0-9.]{0,40}", fullmatch=True), st.text(max_size=40),
       st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2099, 1, 1)),
       st.integers(-12 * 60, 14 * 60))
def test_what_cloudstack_writes_reads_back(name, value, moment, offset_minutes):
    zone = timezone(timedelta(minutes=offset_minutes))
    moment = moment.replace(microsecond=0, tzinfo=zone)
    created = moment.strftime("%Y-%m-%dT%H:%M:%S%z")
    row = {"id": "e1", "type": "CONFIGURATION.VALUE.EDIT", "created": created,
           "description": f"updating configuration.  Name: {name} New Value: {value}"}
    (edit,) = parse_setting_edits([row])
    assert edit == SettingEdit(name, moment) and set(vars(edit)) == {"name", "created"}   # no value kept


def test_recorded_event_descriptions_name_their_settings():
    """A CloudStack database's own event rows (recorded): each edit's description names its setting,
    whether the edit succeeded or not, and a password's masked value is never needed."""
    rows = [re.fullmatch(r"\((\d+),'([^']*)','[^']*','([^']*)',\d+,\d+,'([^']*)',.*\)", line).groups()
            for line in (RECORDED / "event-rows-cloudstack-2214.sql").read_text().splitlines()]
    # listEvents' row for each: the type, the stored description, the date in the API's form
    events = [{"id": id_, "type": type_, "description": description,
               "created": created.replace(" ", "T") + "+0000"} for id_, type_, description, created in rows]
    assert [e.name for e in parse_setting_edits(events)] == [
        "instance.name", "usage.stats.job.exec.time", "expunge.interval", "project.smtp.host", "project.smtp.password"]
    assert parse_setting_edits(events)[0].created == datetime(2012, 2, 28, 19, 29, 51, tzinfo=timezone.utc)


def test_recorded_server_starts_give_the_start_and_each_file():
    absent = parse_server_start((RECORDED / "server-start-debian12-absent.txt").read_text())
    assert absent == ServerStart(30015, 1796608792 - 5, tuple((path, None) for path in START_ONLY_FILES))
    files = parse_server_start((RECORDED / "server-start-debian12-files.txt").read_text())
    assert files.started == 1796608792 - 5 and dict(files.file_mtimes) == {
        "/etc/cloudstack/management/db.properties": 1796119200,
        "/etc/cloudstack/management/server.properties": 1796608912,
        "/etc/cloudstack/management/key": None, "/etc/cloudstack/management/environment.properties": None}


def test_a_unit_without_a_main_process_has_no_start():
    assert parse_server_start("MainPID=0\n") == ServerStart(None)


@pytest.mark.parametrize("text, message", [
    ("", "expected MainPID="),
    ("MainPID=0\nnow 1\n", "output after MainPID=0"),
    ("MainPID=12\n", "expected 7 lines"),
    ("MainPID=12\nnow 100\netimes \n" + "".join(f"absent {p}\n" for p in START_ONLY_FILES), "ps -o etimes="),
    ("MainPID=12\nnow 100\netimes 5\n" + "".join(f"absent {p}\n" for p in reversed(START_ONLY_FILES)),
     "line 4: expected 'mtime <seconds> /etc/cloudstack/management/db.properties'"),
    ("MainPID=12\nnow 100\netimes 5\nmtime x /etc/cloudstack/management/db.properties\n"
     + "".join(f"absent {p}\n" for p in START_ONLY_FILES[1:]), "date"),
    ("MainPID=12\nthen 100\netimes 5\n" + "".join(f"absent {p}\n" for p in START_ONLY_FILES), "line 2"),
])
def test_a_start_that_cannot_be_read_is_unparsable(text, message):
    with pytest.raises(UnparsableOutput, match=message):
        parse_server_start(text)
