"""SHOW GRANTS FOR CURRENT_USER() read into grants, and what they lack of the checks' needs
(`stackaudit validate --connect`, stackaudit/parsers/mysql_grants.py)."""
from __future__ import annotations

import pytest

from stackaudit.cli.validate_command import database_needs
from stackaudit.collect.probe import ChannelResult, api_fix
from stackaudit.config.policy import load_policy
from stackaudit.errors import ApiError, HostKeyRejected, LoginRefused, UnparsableOutput, Unreachable
from stackaudit.parsers.mysql import parse_server_version
from stackaudit.parsers.mysql_grants import Grant, GrantNeed, missing_grants, parse_show_grants

KEY = "Grants for stackaudit@%"
# Recorded on the lab's MariaDB 10.11.19-MariaDB-0+deb12u1 (10.5.2+ prints BINLOG MONITOR for REPLICATION
# CLIENT), with the password hash replaced by a made-up one, and a column grant added.
MARIADB = [
    {KEY: "GRANT PROCESS, BINLOG MONITOR, SLAVE MONITOR ON *.* TO `stackaudit`@`%` IDENTIFIED BY PASSWORD "
          "'*0123456789ABCDEF0123456789ABCDEF01234567' REQUIRE SSL"},
    {KEY: "GRANT SELECT ON `cloud`.* TO `stackaudit`@`%`"},
    {KEY: "GRANT SELECT ON `cloud_usage`.* TO `stackaudit`@`%`"},
    {KEY: "GRANT SELECT ON `mysql`.`global_priv` TO `stackaudit`@`%`"},
    {KEY: "GRANT SELECT (`id`, `type`) ON `cloud`.`account` TO `stackaudit`@`%`"},
]


LAB_SERVER = parse_server_version([{"version": "10.11.19-MariaDB-0+deb12u1-log", "version_comment": "Debian 12"}])


def test_grants_are_read_with_their_columns_and_without_the_password_hash():
    grants = parse_show_grants(MARIADB)
    assert grants == [Grant("PROCESS", "*.*"), Grant("BINLOG MONITOR", "*.*"), Grant("SLAVE MONITOR", "*.*"),
                      Grant("SELECT", "cloud.*"), Grant("SELECT", "cloud_usage.*"), Grant("SELECT", "mysql.global_priv"),
                      Grant("SELECT", "cloud.account", ("id", "type"))]
    assert not any("0123456789ABCDEF" in str(g) for g in grants)


def test_the_lab_grants_meet_the_generated_needs_and_each_missing_one_is_named_with_its_grant():
    needs = database_needs(load_policy(None))(LAB_SERVER, "stackaudit")
    assert {n.privilege for n in needs} >= {"PROCESS", "SLAVE MONITOR", "SELECT"}
    assert missing_grants(parse_show_grants(MARIADB), needs) == []
    without_process = [{KEY: "GRANT SLAVE MONITOR ON *.* TO `stackaudit`@`%`"}, *MARIADB[1:]]
    assert [n.statement for n in missing_grants(parse_show_grants(without_process), needs)] == [
        "GRANT PROCESS ON *.* TO 'stackaudit'@'%'"]
    nothing = missing_grants(parse_show_grants([{KEY: "GRANT USAGE ON *.* TO `stackaudit`@`%`"}]), needs)
    assert nothing == list(needs)


VERSION = GrantNeed("SELECT", "cloud.version", ("id", "step", "version"), "GRANT SELECT (id, step, version) ON ...")


@pytest.mark.parametrize("statement, met", [
    ("GRANT ALL PRIVILEGES ON *.* TO `root`@`localhost` WITH GRANT OPTION", True),
    ("GRANT SELECT ON *.* TO `a`@`%`", True),
    ("GRANT SELECT ON `cloud`.* TO `a`@`%`", True),
    ("GRANT SELECT ON cloud.version TO 'a'@'%'", True),                    # MySQL 5.x's quoting
    ("GRANT SELECT (`ID`, `step`, `version`, `updated`) ON `cloud`.`version` TO `a`@`%`", True),
    ("GRANT SELECT (`id`, `version`) ON `cloud`.`version` TO `a`@`%`", False),     # step missing
    ("GRANT SELECT ON `cloud`.`host` TO `a`@`%`", False),
    ("GRANT INSERT ON `cloud`.* TO `a`@`%`", False),
    ("GRANT `auditors` TO `a`@`%`", False),     # a role's grant: not followed
])
def test_what_meets_a_column_need(statement, met):
    assert (missing_grants(parse_show_grants([{KEY: statement}]), (VERSION,)) == []) is met


def test_replication_client_is_met_by_its_new_name():
    need = GrantNeed("REPLICATION CLIENT", "*.*", (), "GRANT REPLICATION CLIENT ON *.* TO x")
    assert missing_grants(parse_show_grants([{KEY: "GRANT BINLOG MONITOR ON *.* TO `a`@`%`"}]), (need,)) == []
    assert missing_grants(parse_show_grants([{KEY: "GRANT PROCESS ON `cloud`.* TO `a`@`%`"}]),
                          (GrantNeed("PROCESS", "*.*"),)) == [GrantNeed("PROCESS", "*.*")]


@pytest.mark.parametrize("rows", [None, [{KEY: "REVOKE ALL ON *.* FROM a"}], [{}], [{KEY: 3}], [{"a": "x", "b": "y"}]])
def test_rows_that_are_not_grants_are_refused(rows):
    with pytest.raises(UnparsableOutput, match="^SHOW GRANTS: "):
        parse_show_grants(rows)


@pytest.mark.parametrize("error, fix", [
    (LoginRefused("CloudStack API: listHosts: unable to verify user credentials"), "the key or secret is refused"),
    (HostKeyRejected("CloudStack API: listHosts: x: TLS certificate not trusted"), "give cloud.api.verify the CA"),
    # CloudStack's ApiServer answers a command the role does not allow with 432 (UNSUPPORTED_ACTION_ERROR)
    (ApiError("CloudStack API: listHosts: error 432: The given command does not exist or it is not available for "
              "user"), "the key's role may not call listHosts"),
    (Unreachable("CloudStack API: listHosts: cannot connect to x: connection refused"), "check cloud.api.endpoint"),
])
def test_each_kind_of_api_failure_says_its_own_fix(error, fix):
    assert fix in api_fix(error)


def test_a_channel_line_is_ok_its_note_or_the_problem():
    assert ChannelResult("SSH", "kvm-host://z/h", None).line == "SSH kvm-host://z/h: ok"
    assert ChannelResult("SSH", "ssvm://z/s", None, "not pinned").line == "SSH ssvm://z/s: ok (not pinned)"
    assert ChannelResult("API", "https://a/client/api", "refused").line == "API https://a/client/api: refused"
    # the transport's own message names the target too: said once
    assert ChannelResult("SSH", "db://db1", "db://db1: SSH login as root refused").line == \
        "SSH db://db1: SSH login as root refused"
