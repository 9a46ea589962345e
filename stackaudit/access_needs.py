"""What the suite's accounts need, made from the code that uses them so that it stays exact: the
CloudStack API commands it sends (a read-only role), the GRANTs of the database audit user (from the
SQL it asks), and the commands the SSH user runs (with which of them need root, and why).

`stackaudit access` prints them; docs/accounts.md is generated from them (access_document.py);
`stackaudit validate --connect` compares a login's SHOW GRANTS with `database_grants_needed`.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

from stackaudit.collect.collected import Collected
from stackaudit.collect.declarations import DECLARED, ApiCall, Command, Query
from stackaudit.collect.declared.database import SERVER_VERSION
from stackaudit.config.policy import Policy, load_policy
from stackaudit.discovery import discovery
from stackaudit.parsers.mysql import ServerVersion, parse_server_version
from stackaudit.parsers.sql_reads import tables_and_columns

ROLE_NAME = "stackaudit-readonly"
# Role type Admin: the role's account is then a root admin's, whose listings (listall=true) cover every
# domain; a DomainAdmin's cover only its own domain's subtree, and a check would pass on what it cannot
# see. (listHosts, listSystemVms, listRouters and listConfigurations carry no `authorized` role types in
# their @APICommand, so any role whose rules allow them may call them; what they list is the question.) The rules below keep the role to the list commands the suite sends: with no rule matching an
# API, CloudStack falls back to the APIs whose @APICommand names the role type as authorized, for Admin
# most of the API, changes included (apache/cloudstack, DynamicRoleBasedAPIAccessChecker
# .checkApiPermissionByRole), hence the last rule.
ROLE_TYPE = "Admin"
DENY_ALL = ("*", "deny")


# --- The CloudStack API -----------------------------------------------------------------------------

def api_commands() -> tuple[str, ...]:
    """Every API command the suite sends: the fact declarations' and discovery's, sorted, each once."""
    declared = {command for fact in DECLARED for reading in fact.reads if isinstance(reading, ApiCall)
                for command in reading.commands}
    return tuple(sorted(declared | set(discovery.API_COMMANDS)))


def role_rules() -> list[tuple[str, str]]:
    """(rule, permission) in the order CloudStack must hold them: one allow per command, then deny *."""
    return [(command, "allow") for command in api_commands()] + [DENY_ALL]


# --- The database audit user --------------------------------------------------------------------------

@dataclass(frozen=True)
class Grant:
    """One privilege the audit user needs: `privilege` on `on` ("*.*" or "schema.table"), of only
    `columns` where given (a column-level SELECT); `why` names the suite's readings that need it."""
    privilege: str
    on: str
    columns: tuple[str, ...] = ()
    why: tuple[str, ...] = ()

    def statement(self, account: str) -> str:
        columns = f" ({', '.join(self.columns)})" if self.columns else ""
        where = self.on if self.on == "*.*" else ".".join(f"`{part}`" for part in self.on.split("."))
        return f"GRANT {self.privilege}{columns} ON {where} TO {account};"


# Which privilege lets an account see replication status (SHOW SLAVE/REPLICA STATUS) without SUPER:
# MariaDB server sql/privilege.h, PRIV_STMT_SHOW_SLAVE_STATUS: REPLICATION CLIENT before 10.5.2,
# REPLICATION SLAVE ADMIN from 10.5.2 to 10.5.8, SLAVE MONITOR since 10.5.9 (MariaDB KB "GRANT",
# https://mariadb.com/kb/en/grant/); MySQL: REPLICATION CLIENT (MySQL 8.0 Reference Manual,
# "SHOW REPLICA STATUS Statement").
MARIADB_REPLICA_PRIVILEGES = (((10, 5, 9), "SLAVE MONITOR"), ((10, 5, 2), "REPLICATION SLAVE ADMIN"),
                              ((0, 0, 0), "REPLICATION CLIENT"))
MYSQL_REPLICA_PRIVILEGE = "REPLICATION CLIENT"
REPLICA_STATEMENTS = ("SHOW ALL SLAVES STATUS", "SHOW SLAVE STATUS", "SHOW REPLICA STATUS")
# Every account may run these and read its own rows of information_schema (MariaDB KB "SHOW
# VARIABLES", "Information Schema USER_PRIVILEGES Table"); PROCESSLIST shows other accounts' threads
# only to an account with PROCESS (MariaDB KB "Information Schema PROCESSLIST Table").
NO_PRIVILEGE_STATEMENTS = ("SHOW GLOBAL VARIABLES",)
PROCESSLIST = "information_schema.PROCESSLIST"

# The server versions whose grants differ, each with a version string of its range (docs/accounts.md).
SERVER_RANGES = (
    ("MariaDB 10.5.9 and later", "10.11.6-MariaDB", ""),
    ("MariaDB 10.5.2 to 10.5.8", "10.5.8-MariaDB", ""),
    ("MariaDB 10.4.x and 10.5.0 to 10.5.1", "10.4.34-MariaDB", ""),
    ("MariaDB before 10.4", "10.3.39-MariaDB", ""),
    ("MySQL 8.0.22 and later", "8.0.36", "MySQL Community Server - GPL"),
    ("MySQL before 8.0.22", "8.0.21", "MySQL Community Server - GPL"),
)


def server_of(version: str, comment: str = "") -> ServerVersion:
    return parse_server_version([{"version": version, "version_comment": comment}])


def replica_privilege(server: ServerVersion) -> str:
    if not server.mariadb:
        return MYSQL_REPLICA_PRIVILEGE
    return next(privilege for since, privilege in MARIADB_REPLICA_PRIVILEGES if server.numbers >= since)


def statement_grants(statement: str, server: ServerVersion, reading: str) -> list[Grant]:
    """The privileges one statement needs of the audit user on this server."""
    if statement.startswith(REPLICA_STATEMENTS):
        return [Grant(replica_privilege(server), "*.*", why=(reading,))]
    if statement.startswith(NO_PRIVILEGE_STATEMENTS):
        return []
    grants = []
    for table, columns in tables_and_columns(statement).items():
        if table == PROCESSLIST:
            grants.append(Grant("PROCESS", "*.*", why=(reading,)))
        elif not table.startswith("information_schema."):
            grants.append(Grant("SELECT", table, columns, (reading,)))
    return grants


def sql_readings() -> list[Query]:
    """Every SQL reading of the fact declarations, each once, in declaration order."""
    readings: dict[str, Query] = {}
    for fact in DECLARED:
        for reading in fact.reads:
            if isinstance(reading, Query):
                readings.setdefault(reading.name, reading)
    return list(readings.values())


def policy_variants() -> list[Policy]:
    """The policies whose statements differ: the defaults, and admin.check_all_root_admins: true
    (MS-ADMIN-DEFAULT-PASSWORD then reads every root admin, not only the install's admin)."""
    default = load_policy(None)
    return [default, replace(default, admin=replace(default.admin, check_all_root_admins=True))]


def statements_of(query: Query, server: ServerVersion, policies: list[Policy]) -> list[str]:
    """The statements a reading asks on this server under these policies, each once."""
    if isinstance(query.statement, str):
        return [query.statement]
    if callable(query.statement):
        return list(dict.fromkeys(query.statement(policy) for policy in policies))
    if set(query.after) != {SERVER_VERSION.name}:
        raise ValueError(f"SQL reading {query.name} is chosen from {query.after}: access_needs.py knows only "
                         f"statements chosen by the server's version")
    answer = Collected("sql", SERVER_VERSION.name, [{"version": server.text, "version_comment": server.comment}])
    return [query.statement_of({SERVER_VERSION.name: answer})]


def database_grants_needed(server: ServerVersion, policy: Policy | None = None) -> tuple[Grant, ...]:
    """Every privilege the audit user needs on this server (parsers/mysql.py parse_server_version of
    `SELECT @@version AS version, @@version_comment AS version_comment`) for the run's policy; with no
    policy, for any policy. One Grant per (privilege, object), columns joined, sorted."""
    policies = [policy] if policy is not None else policy_variants()
    merged: dict[tuple[str, str], Grant] = {}
    for query in sql_readings():
        for statement in statements_of(query, server, policies):
            for grant in statement_grants(statement, server, query.name):
                key = (grant.privilege, grant.on)
                held = merged.get(key)
                if held is not None:
                    grant = Grant(grant.privilege, grant.on, tuple(sorted(set(held.columns) | set(grant.columns))),
                                  tuple(dict.fromkeys(held.why + grant.why)))
                merged[key] = grant
    return tuple(sorted(merged.values(), key=lambda g: (g.on != "*.*", g.on, g.privilege)))


def grants_by_server() -> tuple[tuple[Grant, ...], list[tuple[str, tuple[Grant, ...]]]]:
    """(the grants every server range needs, [(range, the grants only it needs)]), for any policy."""
    ranges = [(label, database_grants_needed(server_of(version, comment))) for label, version, comment in SERVER_RANGES]
    common = tuple(g for g in ranges[0][1] if all(g in grants for _, grants in ranges[1:]))
    return common, [(label, tuple(g for g in grants if g not in common)) for label, grants in ranges]


# --- The SSH user ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class SshCommand:
    section: str
    kinds: tuple[str, ...]
    line: str              # as run with the default policy; what depends on the target is in <angle brackets>
    root: str = ""         # why it needs root ("": any user)


# Why a command needs root; every key names a declared section (tests/unit/test_access_needs.py).
ROOT_REASONS = {
    "iptables_save": "iptables-save reads the kernel's rules through an interface that needs CAP_NET_ADMIN "
                     "(as another user iptables 1.8.9 stops: \"Could not fetch rule set generation id: Permission "
                     "denied (you must be root)\")",
    "ip6tables_save": "as iptables_save",
    "iptables_legacy_save": "as iptables_save",
    "ip6tables_legacy_save": "as iptables_save",
    "db_properties": "CloudStack installs db.properties mode 0640 root:cloud: it holds the database password "
                     "(apache/cloudstack packaging, cloud.spec: %attr(640,root,cloud))",
    "cnf_files": "Debian's mariadb-server keeps /etc/mysql/debian.cnf (a maintenance login) mode 0600 root; "
                 "every option file must be read to know the server's options",
    "listening_processes": "ss -p names the process of another user's socket only to root",
    "stale_libraries": "/proc/PID/maps of another user's process is readable only by root (proc(5), "
                       "ptrace access mode); on a system VM the suite logs in as root anyway",
    "cs_user_sudo": "sudo -l -U USER is allowed only to root or a user that may run ALL (sudo(8), -U)",
    "ovs_bridges": "ovs-vsctl talks to /var/run/openvswitch/db.sock, which Open vSwitch keeps for root",
}
# Read by the transport, not by a declaration: the key the hosts keep for their system VMs.
SYSTEM_VM_KEY = SshCommand("system_vm_key", ("kvm-host", "xs-host"), "cat <system_vms.key_on_host>",
                           "the key CloudStack gives its hosts for their system VMs, /root/.ssh/id_rsa.cloud, is "
                           "mode 0600 root; the suite reads it to reach each system VM over the host")
AFTER_QUERY_LINES = {"source_lookups": "getent ahosts <each replication source host name>"}


def ssh_commands(policy: Policy | None = None) -> list[SshCommand]:
    """Every command the batched SSH reads run, in declaration order, each section once, with the
    default policy's lines (a line the policy leaves out, such as backups, is shown as what it runs)."""
    policy = policy or load_policy(None)
    found: dict[str, SshCommand] = {}
    for fact in DECLARED:
        for reading in fact.reads:
            if isinstance(reading, Command):
                held = found.get(reading.name)
                kinds = tuple(dict.fromkeys((held.kinds if held else ()) + fact.kinds))
                found[reading.name] = SshCommand(reading.name, kinds, command_line(reading, policy, kinds[0]),
                                                 ROOT_REASONS.get(reading.name, ""))
    return [*found.values(), SYSTEM_VM_KEY]


def command_line(reading: Command, policy: Policy, kind: str) -> str:
    if reading.after_query:
        return AFTER_QUERY_LINES[reading.name]
    if isinstance(reading.line, str):
        return reading.line
    line = reading.line(policy, kind)
    if line is None:     # not asked under this policy: asked with a policy that names what it reads
        return f"<{reading.line.__name__}: only when the policy asks it>"
    return line
