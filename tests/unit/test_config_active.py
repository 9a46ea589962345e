"""MS-CONFIG-ACTIVE's rule (rules/config_active.py): a setting read only at start changed, or a
start-only file modified, after the management server's process started."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from stackaudit.errors import CollectionFailed, NotCheckable
from stackaudit.parsers.setting_edits import START_ONLY_FILES, ServerStart, SettingEdit
from stackaudit.rules.config_active import SLACK_SECONDS, config_active_findings

STARTED = 1_700_000_000          # 2023-11-14 22:13:20 UTC
DB_PROPERTIES, KEY = START_ONLY_FILES[0], START_ONLY_FILES[2]


def edit(name: str, epoch: int) -> SettingEdit:
    return SettingEdit(name, datetime.fromtimestamp(epoch, timezone.utc))


def start(**mtimes) -> ServerStart:
    return ServerStart(4242, STARTED, tuple(mtimes.items()))


def test_a_static_setting_changed_after_the_start_fails_and_a_dynamic_one_or_an_older_change_passes():
    dynamic = {"ldap.basedn": False, "expunge.delay": True}
    assert config_active_findings(start(), [edit("ldap.basedn", STARTED - 60), edit("expunge.delay", STARTED + 60)],
                                  dynamic) == []
    assert config_active_findings(start(), [edit("ldap.basedn", STARTED + 60), edit("ldap.basedn", STARTED + 30)],
                                  dynamic) == [
        "ldap.basedn was changed at 2023-11-14 22:14:20 UTC, after the server started (2023-11-14 22:13:20 UTC), "
        "and is read only at start: the server still runs with the old value until it is restarted"]


def test_a_start_only_file_modified_after_the_start_fails_and_an_absent_one_passes():
    findings = config_active_findings(start(**{DB_PROPERTIES: STARTED + 60, KEY: None}), [], {})
    assert findings == ["/etc/cloudstack/management/db.properties was modified at 2023-11-14 22:14:20 UTC, after the "
                        "server started (2023-11-14 22:13:20 UTC): it is read only at start"]
    assert config_active_findings(start(**{DB_PROPERTIES: STARTED - 86400}), [], {}) == []


def test_a_change_within_the_starts_own_second_or_two_is_not_counted():
    """The start is measured to the second from two readings: a file written as the server started
    (systemd restarts right after a deployment writes it) is what the server read."""
    edge = STARTED + SLACK_SECONDS
    assert config_active_findings(start(**{DB_PROPERTIES: edge}), [edit("ldap.basedn", edge)], {"ldap.basedn": False}) == []
    assert len(config_active_findings(start(**{DB_PROPERTIES: edge + 1}), [edit("ldap.basedn", edge + 1)],
                                      {"ldap.basedn": False})) == 2


def test_a_setting_listconfigurations_does_not_describe_is_not_checked():
    with pytest.raises(NotCheckable, match="whether gone.setting is dynamic"):
        config_active_findings(start(), [edit("gone.setting", STARTED + 5)], {})
    # only changes after the start need the answer
    assert config_active_findings(start(), [edit("gone.setting", STARTED - 5)], {}) == []


def test_a_server_that_is_not_running_is_broken():
    with pytest.raises(CollectionFailed, match=r"no running main process \(MainPID=0\)"):
        config_active_findings(ServerStart(None), [], {})
