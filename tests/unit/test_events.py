"""MS-CONFIG-ACTIVE's readings (parsers/events.py): the setting a CONFIGURATION.VALUE.EDIT event names,
never its value; the API's dates; a process's elapsed seconds."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stackaudit.errors import UnparsableOutput
from stackaudit.parsers.events import (SettingEdit, edited_setting, parse_api_time, parse_elapsed_seconds,
                                       parse_setting_edits)
from tests.unit.hypothesis_budget import examples

# What ActionEventInterceptor stores: the action's description, ". ", then updateConfiguration's details.
STORED = "updating configuration.  Name: expunge.delay New Value: 60"


def test_the_name_is_read_and_the_value_is_not_kept():
    assert edited_setting(STORED) == "expunge.delay"
    assert edited_setting("Successfully completed updating configuration.  Name: ldap.basedn New Value: ") == "ldap.basedn"
    assert edited_setting("Updating configuration.  Name: db.password New Value: *****") == "db.password"
    assert edited_setting("updating configuration") is None


def test_edit_events_among_others_are_read_with_their_dates():
    rows = [{"type": "VM.START", "description": "starting Vm. Vm Id: 5", "created": "2024-03-05T10:15:30+0000"},
            {"type": "CONFIGURATION.VALUE.EDIT", "description": STORED, "created": "2024-03-05T11:00:00+0100"}]
    assert parse_setting_edits(rows) == [
        SettingEdit("expunge.delay", datetime(2024, 3, 5, 10, 0, tzinfo=timezone.utc))]


@pytest.mark.parametrize("row, message", [
    ({"type": "CONFIGURATION.VALUE.EDIT", "description": "updating configuration", "created": "2024-03-05T10:15:30+0000"},
     "names no setting"),
    ({"type": "CONFIGURATION.VALUE.EDIT", "description": STORED, "created": "2024-03-05 10:15:30"}, "expected a date"),
    ({"type": "CONFIGURATION.VALUE.EDIT", "description": STORED, "created": "2024-02-30T10:15:30+0000"}, "is not a date"),
    ({"type": "CONFIGURATION.VALUE.EDIT", "description": STORED, "created": "２０２４-03-05T10:15:30+0000"}, "expected a date"),
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
    row = {"type": "CONFIGURATION.VALUE.EDIT", "created": created,
           "description": f"updating configuration.  Name: {name} New Value: {value}"}
    (edit,) = parse_setting_edits([row])
    assert edit == SettingEdit(name, moment) and set(vars(edit)) == {"name", "created"}   # no value kept


def edit(name: str, epoch: int) -> SettingEdit:
    return SettingEdit(name, datetime.fromtimestamp(epoch, timezone.utc))


def test_a_static_setting_changed_after_the_start_fails_and_a_dynamic_one_or_an_older_change_passes():
    from stackaudit.rules.config_active import config_active_findings
    dynamic = {"ldap.basedn": False, "expunge.delay": True}
    started = 1_700_000_000
    assert config_active_findings(started, [edit("ldap.basedn", started - 60), edit("expunge.delay", started + 60)],
                                  dynamic, {}) == []
    assert config_active_findings(started, [edit("ldap.basedn", started + 60)], dynamic, {}) == [
        "ldap.basedn was changed at 2023-11-14 22:14:20 UTC, after the server started (2023-11-14 22:13:20 UTC), "
        "and is read only at start: the server still runs with the old value until it is restarted"]


def test_a_start_only_file_modified_after_the_start_fails_and_an_unknown_setting_is_not_checked():
    from stackaudit.errors import NotCheckable
    from stackaudit.rules.config_active import config_active_findings
    started = 1_700_000_000
    findings = config_active_findings(started, [], {}, {"/etc/cloudstack/management/db.properties": started + 1,
                                                        "/etc/cloudstack/management/key": None})
    assert findings == ["/etc/cloudstack/management/db.properties was modified at 2023-11-14 22:13:21 UTC, after the "
                        "server started (2023-11-14 22:13:20 UTC): it is read only at start"]
    with pytest.raises(NotCheckable, match="whether gone.setting is dynamic"):
        config_active_findings(started, [edit("gone.setting", started + 5)], {}, {})
