"""The database servers: their version, global variables, option files, replication status (and
how the replica resolves its sources' names) and CloudStack's schema versions."""
from __future__ import annotations

import ipaddress

from stackaudit.collect.readings import Command, Fact, Query
from stackaudit.collect.target_secrets import option_file_secrets
from stackaudit.errors import CollectionFailed, TargetError, UnparsableOutput, raise_if_error
from stackaudit.parsers.api_rows import parse_schema_versions
from stackaudit.parsers.getent import is_host_name, lookup_command, parse_lookups
from stackaudit.parsers.mycnf import mysqld_options, parse_tail_files
from stackaudit.parsers.mysql import parse_global_variables, parse_replica_status, parse_server_version
from stackaudit.parsers.processlist import (PROCESS_PRIVILEGE_STATEMENT, SESSIONS_STATEMENT, parse_process_privilege,
                                            parse_sessions)

SERVER_VERSION = Query("server_version", "SELECT @@version AS version, @@version_comment AS version_comment")
VARIABLES = Query("variables", "SHOW GLOBAL VARIABLES WHERE Variable_name IN ('log_bin', 'binlog_format', "
                  "'server_id', 'auto_increment_increment', 'auto_increment_offset', 'bind_address', 'version', "
                  "'innodb_rollback_on_timeout', 'innodb_lock_wait_timeout', 'max_connections', 'time_zone', "
                  "'skip_name_resolve', 'port')")
SCHEMA_VERSIONS = Query("schema_versions", "SELECT id, version, step FROM cloud.version ORDER BY id")


def replica_status_statement(answers) -> str:
    """The replication status statement the server's version calls for (parsers/mysql.py)."""
    try:
        version = answers["server_version"]
        if version.error:
            raise_if_error({"error": version.error})
        return parse_server_version(version.output).replica_status_statement
    except TargetError as err:
        raise CollectionFailed(f"replication status not read: the server's version is unknown ({err})") from None


# Asked in the statement the server's version has, so after server_version.
REPLICAS = Query("replicas", None, after=("server_version",), statement_of=replica_status_statement)
# Every regular file of the option-file trees of Debian (/etc/mysql) and RHEL (/etc/my.cnf,
# /etc/my.cnf.d), symlinks followed, each after a `==> PATH <==` header (tail -v). Paths that do
# not exist are left out before find, so its status is not spoiled; -r: no file, no tail.
CNF_FILES_COMMAND = (
    "set --; for p in /etc/mysql /etc/my.cnf /etc/my.cnf.d; do [ -e \"$p\" ] && set -- \"$@\" \"$p\"; done; "
    "[ $# -eq 0 ] || find -L \"$@\" -type f -print0 | LC_ALL=C sort -z | xargs -0 -r tail -v -n +1"
)
MYCNF_ROOTS = ("/etc/mysql/my.cnf", "/etc/my.cnf")


def server_group_version(facts) -> str | None:
    """"10.11" for [mariadb-10.11]: the only version group the running server reads; None (every
    version group counts) when its version could not be read."""
    try:
        numbers = parse_server_version(facts.sql("server_version")).numbers
    except TargetError:
        return None
    return f"{numbers[0]}.{numbers[1]}"


def mysqld_options_of(facts):
    files = parse_tail_files(facts.section("cnf_files"))
    root = next((r for r in MYCNF_ROOTS if r in files), None)
    if root is None:
        raise CollectionFailed(f"{facts.target.id}: neither {' nor '.join(MYCNF_ROOTS)} exists")
    return mysqld_options(files, root, facts.server_group_version)


def replica_status(answer):
    """The replication channels of the `replicas` reading, read in the statement it was asked in."""
    return parse_replica_status(answer.output, answer.used)


def replica_channels(facts):
    """Replication status, asked in the statement the server's version calls for (collectors.py)."""
    facts.sql("replicas")     # raises the reading's error; attaches its rows
    return replica_status(facts.reading("sql", "replicas"))


def source_names(channels) -> list[str]:
    """The replica's sources given as host names (not addresses), each once, in order."""
    names = [c.source_host.strip() for c in channels if not is_ip_literal(c.source_host.strip())]
    return [n for n in dict.fromkeys(names) if is_host_name(n)]


def is_ip_literal(text: str) -> bool:
    try:
        ipaddress.ip_address(text.strip("[]"))
    except ValueError:
        return False
    return True


def source_lookup_line(answer) -> str | None:
    """getent ahosts of each source host name the replication status (a collected.Collected) names,
    on the replica's host."""
    try:
        names = source_names(replica_status(answer))
    except UnparsableOutput:
        return None
    return lookup_command(names) if names else None


# DB-REPLICATION-HEALTHY: a source named by host name is resolved as the replica resolves it.
SOURCE_LOOKUPS = Command("source_lookups", source_lookup_line, after_query="replicas")


def source_addresses(facts) -> dict[str, tuple[str, ...] | None]:
    """Each source host name of the replica -> the addresses its own host resolves it to (None: not found)."""
    names = source_names(facts.replica_channels)
    return parse_lookups(facts.section("source_lookups"), names) if names else {}


def sessions_of(facts):
    """DB-VIP-SINGLE-HOLDER: every connected thread's user and host. Without PROCESS the audit user
    sees only its own threads, an answer that would pass by not seeing: broken, naming the grant."""
    if not parse_process_privilege(facts.sql("process_privilege")):
        raise CollectionFailed(f"{facts.target.id}: the audit user lacks the PROCESS privilege, so "
                               "information_schema.PROCESSLIST shows it only its own sessions: "
                               "GRANT PROCESS ON *.* TO the audit user")
    return parse_sessions(facts.sql("sessions"))


FACTS = [
    Fact("server_group_version", ("db",), (SERVER_VERSION,), server_group_version),
    Fact("mysqld_options", ("db",), (Command("cnf_files", CNF_FILES_COMMAND, secrets=option_file_secrets),),
         mysqld_options_of, uses=("server_group_version",)),
    Fact("variables", ("db",), (VARIABLES,), lambda facts: parse_global_variables(facts.sql("variables"))),
    Fact("replica_channels", ("db",), (SERVER_VERSION, REPLICAS), replica_channels),
    Fact("source_addresses", ("db",), (SERVER_VERSION, REPLICAS, SOURCE_LOOKUPS), source_addresses,
         uses=("replica_channels",)),
    Fact("schema_versions", ("db",), (SCHEMA_VERSIONS,),
         lambda facts: parse_schema_versions(facts.sql("schema_versions"))),
    Fact("sessions", ("db",), (Query("process_privilege", PROCESS_PRIVILEGE_STATEMENT),
                               Query("sessions", SESSIONS_STATEMENT)), sessions_of),
]
