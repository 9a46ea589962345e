"""Database servers: configuration persisted and in effect, replication, binding, schema version."""
from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field

from stackaudit.errors import NotCheckable, UnparsableOutput
from stackaudit.parsers.api_rows import SchemaVersionRow
from stackaudit.parsers.mycnf import getopt_bool, getopt_unsigned, startup_refusals
from stackaudit.parsers.mysql import ReplicaChannel
from stackaudit.parsers.cloudstack import schema_matches_code
from stackaudit.parsers.numbers import read_decimal, read_or_none


def unquote(value: str | None) -> str:
    return (value or "").strip().strip("'\"")


def variable_number(value: str | None) -> int | None:
    """A number as the server shows a variable: ASCII digits."""
    return read_or_none(read_decimal, value)


def cnf_rules(policy) -> list[tuple[str, str, object, object]]:
    """(option, what the rule wants, test of a file value, test of the running variable)."""
    db = policy.database
    return [
        ("innodb_rollback_on_timeout", "1", lambda v: getopt_bool(v if v is None else unquote(v)) is True,
         lambda v: v.upper() == "ON"),
        ("innodb_lock_wait_timeout", str(db.innodb_lock_wait_timeout),
         lambda v: file_number("innodb_lock_wait_timeout", v) == db.innodb_lock_wait_timeout,
         lambda v: v == str(db.innodb_lock_wait_timeout)),
        ("max_connections", f">= {db.min_max_connections}",
         lambda v: (file_number("max_connections", v) or 0) >= db.min_max_connections,
         lambda v: (variable_number(v) or 0) >= db.min_max_connections),
        ("log_bin", "set", lambda v: v is None or unquote(v).lower() not in {"0", "off"},
         lambda v: v.upper() == "ON"),
        ("binlog_format", db.binlog_format, lambda v: unquote(v).upper() == db.binlog_format,
         lambda v: v.upper() == db.binlog_format),
        ("default_time_zone", f"'{db.time_zone}'", lambda v: unquote(v) == db.time_zone,
         lambda v: v == db.time_zone),
        ("skip_name_resolve", "set", lambda v: getopt_bool(v if v is None else unquote(v)) is True,
         lambda v: v.upper() == "ON"),
    ]


def file_number(option: str, value: str | None) -> int | None:
    """An unsigned option of the files as mariadbd reads it (`1K` is 1024); None: it would refuse it."""
    try:
        return getopt_unsigned(option, None if value is None else unquote(value))
    except UnparsableOutput:
        return None


RUNTIME_NAME = {"default_time_zone": "time_zone"}


def cnf_findings(options: dict, variables: dict[str, str], policy) -> list[str]:
    """DB-CNF-PERSISTED: every line of the CloudStack block in the files, and the same in effect; and
    no setting the server would refuse at its next start."""
    findings = [f"mariadbd would not start: {refusal}" for refusal in startup_refusals(options)]
    for option, wanted, file_ok, runtime_ok in cnf_rules(policy):
        setting = options.get(option)
        if setting is None:
            findings.append(f"{option} is not set in the configuration files; the rule wants {wanted}")
        elif not file_ok(setting.value):
            findings.append(f"{option} = {setting.value} in {setting.path}; the rule wants {wanted}")
        running = variables.get(RUNTIME_NAME.get(option, option))
        if running is None:
            raise NotCheckable(f"the server does not report the variable {RUNTIME_NAME.get(option, option)}")
        if not runtime_ok(running):
            findings.append(f"at run time {RUNTIME_NAME.get(option, option)} is {running}; the rule wants {wanted}")
    return findings


@dataclass(frozen=True)
class ReplicationMember:
    """A database server of the inventory as DB-REPLICATION-HEALTHY reads it."""
    name: str                              # the inventory's name
    address: str
    aliases: tuple[str, ...]               # other names replicas may give it (inventory `aliases`)
    variables: dict[str, str]
    channels: tuple[ReplicaChannel, ...]   # its own replica connections/channels
    # its sources' host names -> the addresses its own host resolves them to (None: not found)
    resolved: dict[str, tuple[str, ...] | None] = field(default_factory=dict)


def host_matches(host: str, member: ReplicationMember) -> bool:
    """Master_Host/Source_Host names this member: its name or an alias (as DNS compares names:
    case-insensitively, a final dot ignored) or its address (as an address, so `::1` == `0::1`)."""
    wanted = host.strip().strip("[]").rstrip(".").lower()
    if wanted in {n.rstrip(".").lower() for n in (member.name, *member.aliases)}:
        return True
    try:
        return ipaddress.ip_address(wanted) == ipaddress.ip_address(member.address.strip("[]"))
    except ValueError:
        return wanted == member.address.lower()


def source_of(channel: ReplicaChannel, members: dict[str, ReplicationMember],
              resolved: dict[str, tuple[str, ...] | None] | None = None) -> str | None:
    """The member a channel replicates from: named by name, alias or address, or else a host name
    the replica's own host resolves to a member's address (getent ahosts there, as the replica's IO
    thread resolves it with getaddrinfo)."""
    named = next((target for target, m in sorted(members.items()) if host_matches(channel.source_host, m)), None)
    addresses = (resolved or {}).get(channel.source_host.strip())
    if named or not addresses:
        return named
    return next((target for target, m in sorted(members.items())
                 if any(host_matches(address, m) for address in addresses)), None)


def unresolved(channel: ReplicaChannel, resolved: dict[str, tuple[str, ...] | None]) -> bool:
    """The replica's host does not resolve the channel's source name."""
    name = channel.source_host.strip()
    return name in resolved and resolved[name] is None


def replication_findings(servers: dict[str, ReplicationMember], policy) -> list[str]:
    """DB-REPLICATION-HEALTHY over every database server of the inventory, by target id."""
    if len(servers) < 2:
        return [f"{len(servers)} database server(s) in the inventory: nothing is replicated"]
    findings = []
    ids: dict[str, list[str]] = {}
    for name, s in sorted(servers.items()):
        ids.setdefault(s.variables.get("server_id", "?"), []).append(name)
    findings += [f"server_id {sid} is shared by {', '.join(names)}" for sid, names in sorted(ids.items())
                 if len(names) > 1]
    sources: dict[str, list[str]] = {}
    not_resolved: dict[str, list[str]] = {}
    limit = policy.database.max_replication_lag_seconds
    for name, s in sorted(servers.items()):
        for channel in s.channels:
            source = source_of(channel, servers, s.resolved)
            sources.setdefault(name, []).append(source or channel.source_host)
            label = f"{name} replicating from {source or channel.source_host}" + (
                f" (connection '{channel.connection_name}')" if channel.connection_name else "")
            if source is None and unresolved(channel, s.resolved):
                not_resolved.setdefault(name, []).append(f"{label}: {channel.source_host} does not resolve on "
                                                         f"{name}'s host (getent ahosts: not found)")
            elif source is None and policy.database.topology == "master-master":
                findings.append(f"{label}: {channel.source_host} is not a database server of the inventory "
                                "(by name, alias or address)")
            for column, state, error in ((channel.io_column, channel.io_running, channel.last_io_error),
                                         (channel.sql_column, channel.sql_running, channel.last_sql_error)):
                if state != "yes":
                    findings.append(f"{label}: {column} is {state.capitalize()}" + (f" ({error})" if error else ""))
            if channel.seconds_behind is not None and channel.seconds_behind > limit:
                findings.append(f"{label}: {channel.seconds_behind} s behind; the policy allows {limit} s")
    if policy.database.topology == "master-master":
        for name in sorted(servers):
            peers = set(servers) - {name}
            if not peers & set(sources.get(name, [])) and name not in not_resolved:
                findings.append(f"{name} does not replicate from its peer ({', '.join(sorted(peers))}): "
                                "master-master needs both directions")
        increments = {n: s.variables.get("auto_increment_increment") for n, s in servers.items()}
        findings += [f"{n}: auto_increment_increment {v}; master-master needs >= 2"
                     for n, v in sorted(increments.items()) if (variable_number(v) or 0) < 2]
        offsets: dict[str, list[str]] = {}
        for n, s in sorted(servers.items()):
            offsets.setdefault(s.variables.get("auto_increment_offset", "?"), []).append(n)
        findings += [f"auto_increment_offset {o} is shared by {', '.join(names)}: both hand out the same ids"
                     for o, names in sorted(offsets.items()) if len(names) > 1]
    elif not sources:
        findings.append("no server replicates from another (master-replica needs a replica)")
    unknown = [reason for reasons in not_resolved.values() for reason in reasons]
    if unknown and not findings:
        raise NotCheckable("; ".join(unknown))
    return findings + [f"(not checked: {reason})" for reason in unknown]


def is_loopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address.split("%")[0]).is_loopback
    except ValueError:
        return address == "localhost"


def bind_findings(listeners, port: int) -> list[str]:
    """DB-BIND-ADDRESS: the server listens on more than loopback."""
    on_port = sorted({l.address for l in listeners if l.port == port})
    if not on_port:
        return [f"nothing listens on port {port}"]
    if all(is_loopback(a) for a in on_port):
        return [f"the server listens on {', '.join(on_port)} only (loopback): replication and failover cannot "
                "reach it"]
    return []


def current_schema_version(rows: list[SchemaVersionRow]) -> tuple[SchemaVersionRow | None, list[SchemaVersionRow]]:
    """(the highest-id Complete row, rows after it that are not Complete), as VersionDaoImpl reads them."""
    complete = [r for r in rows if r.step == "Complete"]
    current = max(complete, key=lambda r: r.id) if complete else None
    after = [r for r in rows if current is None or r.id > current.id]
    return current, [r for r in after if r.step != "Complete"]


def schema_findings(rows: list[SchemaVersionRow], management_versions: dict[str, str]) -> list[str]:
    current, unfinished = current_schema_version(rows)
    if current is None:
        return ["cloud.version has no row whose step is Complete: an upgrade never finished"]
    findings = [f"cloud.version row {r.id} ({r.version}) is left at step {r.step}" for r in unfinished]
    for name, code in sorted(management_versions.items()):
        if not schema_matches_code(current.version, code):
            findings.append(f"the schema is at {current.version}; management server {name} runs {code}")
    return findings
