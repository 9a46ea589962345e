"""DB-VIP-SINGLE-HOLDER: a database pair behind a VIP has keepalived on every member, the VIP on
exactly one, and the CloudStack users' sessions only there.

[CSC-WIKI] runs two MariaDB servers master-master behind a keepalived VIP, with one side a hot
standby: "only one host is actually handling requests". Writes on both sides collide on the ids
CloudStack hands out itself (`cloud.sequence` in apache/cloudstack setup/db/create-schema.sql),
which auto_increment offsets do not cover. The VIP is the policy's `database.address`, else the
host the management servers' db.properties gives the cloud pool (read as CloudStack reads it:
rules/db_properties.py connection_of). A host that names one of the servers itself is no VIP: the
scope condition `database-vip` leaves such a pair out at collection when the policy says so; when
only db.properties says so, the result is broken with that reason and the policy line that makes
the check not apply (docs/scope.md: what cannot be decided is broken, never passed or left out).
"""
from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from stackaudit.errors import NotCheckable
from stackaudit.parsers.localnames import OwnNames
from stackaudit.parsers.processlist import Session
from stackaudit.parsers.unit_states import UnitState
from stackaudit.rules.db_properties import connection_of, fallback_reasons, local_meaning
from stackaudit.rules.unit_states import service_findings

# db.properties' keys for the two pools' users; CloudStack's packaged file and
# cloudstack-setup-databases write `cloud` for both.
USER_KEYS = ("db.cloud.username", "db.usage.username")
DEFAULT_USER = "cloud"
MAX_SESSIONS_NAMED = 5


@dataclass(frozen=True)
class PairMember:
    """One database server of the pair as DB-VIP-SINGLE-HOLDER reads it."""
    id: str
    names: tuple[str, ...]          # inventory name, aliases, addresses: what a db.properties host may say
    keepalived: UnitState
    addresses: frozenset[str]       # every address of its interfaces (ip -o addr show)
    sessions: tuple[Session, ...]


@dataclass(frozen=True)
class ManagementView:
    """What one management server's db.properties says: the cloud pool's host, and the users."""
    host: str | None                # None: no file, or a host that is the server itself
    users: tuple[str, ...]


def management_view(properties: dict[str, str] | None, own: OwnNames) -> ManagementView:
    """The cloud pool's first host, unless it is this server or CloudStack would fall back on
    localhost (MS-DB-HOST-NOT-LOCAL fails both); the users either way."""
    if properties is None:
        return ManagementView(None, ())
    users = tuple(dict.fromkeys(properties.get(key) or DEFAULT_USER for key in USER_KEYS))
    if fallback_reasons(properties):
        return ManagementView(None, users)
    hosts = connection_of(properties, "cloud").hosts
    return ManagementView(hosts[0] if hosts and not local_meaning(hosts[0], own) else None, users)


def normal_host(text: str) -> str:
    """A host as written, compared: an address in its one canonical form (fd00:0::1 is fd00::1),
    a name in lower case."""
    text = text.strip().strip("[]").lower()
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        return text


def names_member(host: str, members: list[PairMember]) -> PairMember | None:
    text = normal_host(host)
    for member in members:
        if text in (normal_host(n) for n in member.names):
            return member
    return None


def the_vip(policy_address: str | None, views: dict[str, ManagementView], members: list[PairMember]) -> str:
    """The VIP's address: the policy's, else the one host the management servers name that is not a
    server of the pair; NotCheckable where there is none, several, or a name."""
    if policy_address is not None:
        named = {policy_address: ["the policy's database.address"]}
    else:
        named = {}
        for server, view in sorted(views.items()):
            if view.host is not None:
                named.setdefault(view.host, []).append(server)
    direct = {host: who for host, who in named.items() if names_member(host, members)}
    vips = {host: who for host, who in named.items() if host not in direct}
    if not vips:
        if direct:
            said = "; ".join(f"{', '.join(who)}: {host} ({names_member(host, members).id})" for host, who in direct.items())
            raise NotCheckable(f"the database is named by a server's own address, not a VIP ({said}); if it is "
                               "reached without one, set database.address to that address in the policy and "
                               "the check does not apply")
        raise NotCheckable("no management server's db.properties names a database host; set database.address "
                           "(the VIP) in the policy")
    if len(vips) > 1:
        said = "; ".join(f"{host} ({', '.join(who)})" for host, who in vips.items())
        raise NotCheckable(f"the management servers name different database hosts ({said}); set database.address "
                           "(the VIP) in the policy")
    ((host, who),) = vips.items()
    try:
        return str(ipaddress.ip_address(host.strip().strip("[]")))
    except ValueError:
        raise NotCheckable(f"{', '.join(who)} name the database as {host!r}, not an address: `ip addr` shows "
                           "addresses only; set database.address to the VIP's address in the policy") from None


def keepalived_findings(member: PairMember) -> list[str]:
    state = member.keepalived
    if state.manager and not state.exists:
        return [f"{member.id}: keepalived is not installed (the host knows no unit keepalived)"]
    return [f"{member.id}: {finding}" for finding in service_findings(state)]


def holder_findings(vip: str, members: list[PairMember], users: tuple[str, ...]) -> list[str]:
    """Exactly one member holds the VIP; on every other, no session of the CloudStack users."""
    holders = [m for m in members if vip in m.addresses]
    if not holders:
        return [f"no database server holds the VIP {vip}: the management servers cannot reach the database"]
    if len(holders) > 1:
        return [f"the VIP {vip} is on {' and '.join(m.id for m in holders)} at once: split brain, "
                "each takes writes the other replicates"]
    findings = []
    for standby in (m for m in members if m is not holders[0]):
        found = [s for s in standby.sessions if s.user in users]
        if found:
            shown = ", ".join(s.described for s in found[:MAX_SESSIONS_NAMED])
            more = f" and {len(found) - MAX_SESSIONS_NAMED} more" if len(found) > MAX_SESSIONS_NAMED else ""
            findings.append(f"{standby.id}, the standby ({holders[0].id} holds the VIP {vip}), has {len(found)} "
                            f"session(s) of the CloudStack database user(s) {', '.join(users)}: {shown}{more}")
    return findings


def vip_findings(vip: str, members: list[PairMember], users: tuple[str, ...]) -> list[str]:
    return [f for m in members for f in keepalived_findings(m)] + holder_findings(vip, members, users)


def pair_findings(policy_address: str | None, members: list[PairMember], views: dict[str, ManagementView],
                  complete: bool) -> tuple[list[str], dict]:
    """(findings, evidence). `complete`: every member and management server was read; otherwise only
    each member's own keepalived is judged (where the VIP is cannot be told from half the pair)."""
    findings = [f for m in members for f in keepalived_findings(m)]
    if not complete:
        return findings, {}
    vip = the_vip(policy_address, views, members)
    users = tuple(dict.fromkeys(u for view in views.values() for u in view.users)) or (DEFAULT_USER,)
    evidence = {"VIP": vip, "CloudStack database users": list(users),
                "holders": [m.id for m in members if vip in m.addresses]}
    return findings + holder_findings(vip, members, users), evidence
