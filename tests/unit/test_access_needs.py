"""What the accounts need (stackaudit/access_needs.py) is made from the code and covers all of it: every
API command any call of the package sends, every SQL statement the declarations ask (with the
privileges their own error messages name), every SSH section."""
from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

from stackaudit import access_needs
from stackaudit.access_document import cmk_lines, sql_lines
from stackaudit.access_needs import (DENY_ALL, ROOT_REASONS, Grant, api_commands, database_grants_needed,
                                     policy_variants, role_rules, server_of, ssh_commands, sql_readings)
from stackaudit.collect.declarations import DECLARED, ApiCall, Command
from stackaudit.collect.readers import read_api_call
from stackaudit.errors import TargetError
from tests.unit.test_cloud_checks_lab import discovered, simulated

PACKAGE = Path(access_needs.__file__).resolve().parent
SENDERS = {"call", "list_all"}     # collect/transports/cloudstack.py: list_all pages through call
# Call sites whose command is a variable: where its values come from, and so why api_commands() has them.
VARIABLE_COMMANDS = {
    ("stackaudit.discovery.discovery", "command"): "discovery.LISTINGS, in discovery.API_COMMANDS",
    ("stackaudit.collect.readers", "call.command"): "an ApiCall's command, in its `commands`",
    ("stackaudit.collect.transports.cloudstack", "command"): "list_all's own argument, passed on to call",
}


def api_call_sites():
    """(module, the command argument's source, the module) of every cloudstack.call/list_all call."""
    for path in sorted(PACKAGE.rglob("*.py")):
        module_name = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts).removesuffix(".__init__")
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if not isinstance(node, ast.Call) or len(node.args) < 2:
                continue
            func = node.func
            named = isinstance(func, ast.Attribute) and func.attr in SENDERS and \
                isinstance(func.value, ast.Name) and func.value.id == "cloudstack"
            own = isinstance(func, ast.Name) and func.id in SENDERS and module_name.endswith("transports.cloudstack")
            if named or own:
                yield module_name, ast.unparse(node.args[1])


def test_every_call_site_of_the_api_sends_a_command_of_the_role():
    sites = list(api_call_sites())
    assert len(sites) >= 8, sites
    for module_name, source in sites:
        if (module_name, source) in VARIABLE_COMMANDS:
            continue
        try:
            command = eval(source, vars(importlib.import_module(module_name)))     # a module constant
        except NameError:
            pytest.fail(f"{module_name}: cloudstack call with command {source}: a variable access_needs.py "
                        "cannot see; name its values in a module constant it reads, or in VARIABLE_COMMANDS here")
        assert command in api_commands(), f"{module_name} sends {command}, which the API role does not allow"


def test_only_the_transport_talks_to_the_cs_client():
    importers = [path.relative_to(PACKAGE.parent).as_posix() for path in PACKAGE.rglob("*.py")
                 for node in ast.walk(ast.parse(path.read_text()))
                 if isinstance(node, (ast.Import, ast.ImportFrom))
                 and any(name == "cs" or name.startswith("cs.")
                         for name in ([a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]))]
    assert importers == ["stackaudit/collect/transports/cloudstack.py"]


@pytest.mark.parametrize("scenarios", [("kubernetes.yml", "routers.yml")])
def test_discovery_and_every_api_reading_send_exactly_the_role_s_commands(scenarios, monkeypatch):
    """Against the lab's API simulator, in process: what discovery and every declared API reading ask."""
    asked = set()
    for scenario in scenarios:
        api = simulated(scenario)
        snapshot = discovered(api, monkeypatch)
        for call in {r for fact in DECLARED for r in fact.reads if isinstance(r, ApiCall)}:
            try:
                read_api_call(api, call, snapshot)
            except TargetError:
                pass        # a command this cloud refuses was still asked
        asked |= {command for command, _ in api.asked}
    assert sorted(asked) == list(api_commands())


def test_the_role_allows_each_command_once_then_denies_everything_else():
    rules = role_rules()
    assert rules[-1] == DENY_ALL == ("*", "deny")
    allowed = [rule for rule, permission in rules[:-1] if permission == "allow"]
    assert allowed == sorted(set(allowed)) == list(api_commands()) and len(allowed) == len(rules) - 1
    assert all(rule.startswith("list") for rule in allowed)     # only reads (CloudStack's API reference)


def test_the_cmk_commands_create_an_admin_role_and_its_rules_in_order():
    lines = cmk_lines()
    assert lines[0].startswith("ROLE=$(cmk -o json create role name=stackaudit-readonly type=Admin ")
    assert lines[0].endswith("| jq -r .role.id)")
    assert lines[1:] == [f"cmk create rolepermission roleid=$ROLE rule={r} permission={p}" for r, p in
                         [*[(c, "allow") for c in api_commands()], ("'*'", "deny")]]


MARIADB_10_11, MYSQL_8_4 = server_of("10.11.19-MariaDB-0+deb12u1", "Debian 12"), server_of("8.4.3", "MySQL Community")


def sql(grants) -> list[str]:
    return [g.statement("'a'@'h'") for g in grants]


def test_the_grants_of_a_mariadb_10_11_server_are_the_declarations_columns_and_two_privileges():
    default = policy_variants()[0]
    assert sql(database_grants_needed(MARIADB_10_11, default)) == [
        "GRANT PROCESS ON *.* TO 'a'@'h';",
        "GRANT SLAVE MONITOR ON *.* TO 'a'@'h';",
        "GRANT SELECT (id, name, removed, uuid) ON `cloud`.`host` TO 'a'@'h';",
        "GRANT SELECT (host_id, name, value) ON `cloud`.`host_details` TO 'a'@'h';",
        "GRANT SELECT (id, password, removed, source, state, username) ON `cloud`.`user` TO 'a'@'h';",
        "GRANT SELECT (id, step, version) ON `cloud`.`version` TO 'a'@'h';",
        "GRANT SELECT (Host, Priv, User) ON `mysql`.`global_priv` TO 'a'@'h';"]


def test_checking_every_root_admin_adds_the_account_table_and_no_policy_means_any_policy():
    every_admin = policy_variants()[1]
    assert every_admin.admin.check_all_root_admins
    needed = {(g.privilege, g.on): g.columns for g in database_grants_needed(MARIADB_10_11, every_admin)}
    assert needed[("SELECT", "cloud.account")] == ("id", "type")
    assert needed[("SELECT", "cloud.user")] == ("account_id", "id", "password", "removed", "source", "state", "username")
    assert database_grants_needed(MARIADB_10_11) == database_grants_needed(MARIADB_10_11, every_admin)


@pytest.mark.parametrize("version, privilege, accounts", [
    ("10.3.39-MariaDB", "REPLICATION CLIENT", "mysql.user"),
    ("10.4.34-MariaDB", "REPLICATION CLIENT", "mysql.global_priv"),
    ("10.5.2-MariaDB", "REPLICATION SLAVE ADMIN", "mysql.global_priv"),
    ("10.5.8-MariaDB", "REPLICATION SLAVE ADMIN", "mysql.global_priv"),
    ("10.5.9-MariaDB", "SLAVE MONITOR", "mysql.global_priv"),
    ("11.4.2-MariaDB", "SLAVE MONITOR", "mysql.global_priv"),
    ("8.0.21", "REPLICATION CLIENT", "mysql.user"),
    ("8.4.3", "REPLICATION CLIENT", "mysql.user"),
])
def test_replication_status_and_the_accounts_table_need_what_the_server_s_version_has(version, privilege, accounts):
    grants = database_grants_needed(server_of(version))
    assert [g.privilege for g in grants if g.on == "*.*"] == sorted(["PROCESS", privilege])
    assert [g.on for g in grants if g.on.startswith("mysql.")] == [accounts]


def test_the_declarations_own_messages_name_grants_the_generated_list_holds():
    """admin_users.py, db_accounts.py and database.py tell an operator the grant they lack: the same as here."""
    from stackaudit.collect.declared.admin_users import INSTALL_ADMIN, needed_grant
    needed = {(g.privilege, g.on): g for g in database_grants_needed(MARIADB_10_11, policy_variants()[0])}
    user = needed[("SELECT", "cloud.user")]
    assert needed_grant(INSTALL_ADMIN) == f"GRANT SELECT ({', '.join(('id', 'username', 'password', 'state', 'source', 'removed'))}) ON cloud.user"
    assert set(user.columns) == {"id", "username", "password", "state", "source", "removed"}
    assert ("PROCESS", "*.*") in needed and ("SELECT", "mysql.global_priv") in needed


def test_every_sql_reading_is_counted_and_says_why():
    names = {query.name for query in sql_readings()}
    assert {"server_version", "variables", "schema_versions", "replicas", "process_privilege", "sessions",
            "accounts", "admin_users", "cloudstack_ssh_users"} == names
    why = {reading for g in database_grants_needed(MYSQL_8_4) for reading in g.why}
    assert why == names - {"server_version", "variables", "process_privilege"}   # the three need no privilege


def test_the_sql_document_lists_the_common_grants_then_each_version_s():
    lines = sql_lines("'s'@'h'")
    assert lines[0].startswith("-- every server")
    assert "-- MariaDB 10.5.9 and later" in lines and "GRANT SLAVE MONITOR ON *.* TO 's'@'h';" in lines
    common = lines[1:lines.index("")]
    assert "GRANT PROCESS ON *.* TO 's'@'h';" in common and not any("mysql" in line for line in common)


def test_a_grant_statement_quotes_its_object():
    assert Grant("SELECT", "cloud.version", ("id",)).statement("'u'@'%'") == \
        "GRANT SELECT (id) ON `cloud`.`version` TO 'u'@'%';"


def test_every_ssh_section_is_listed_once_and_every_root_reason_names_one():
    declared = {r.name for fact in DECLARED for r in fact.reads if isinstance(r, Command)}
    listed = [c.section for c in ssh_commands()]
    assert len(listed) == len(set(listed)) and set(listed) == declared | {"system_vm_key"}
    assert set(ROOT_REASONS) <= declared
    by_name = {c.section: c for c in ssh_commands()}
    assert by_name["iptables_save"].line == "iptables-save" and "CAP_NET_ADMIN" in by_name["iptables_save"].root
    assert by_name["os_release"].root == ""
    assert by_name["source_lookups"].line.startswith("getent ahosts")
