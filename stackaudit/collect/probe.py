"""`stackaudit validate --connect`: each channel of a valid configuration tried once, read-only, with
the suite's own transports, TLS settings and host-key checks, and one line per channel and target.

- API: one signed listHosts (pagesize 1): the key works and its role may list hosts; then discovery,
  as the run does it, names the other targets.
- XAPI: a login and logout on each pool master discovery found (discovery itself logs in to find it).
- Database: a login on each server, then its version and SHOW GRANTS FOR CURRENT_USER() against what
  the checks read on that version (the list generated from the fact declarations, handed in).
- SSH: each SSH target logged in to and closed, no command run; a system VM through its host, as the
  run reaches it, which reads the host's key for the VMs first (`cat`, as the run does).
Nothing is written: a system VM's key is compared with its pin, never pinned (collect/hostkeys.py).
"""
from __future__ import annotations

import functools
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from stackaudit.collect.collectors import Collector, own_ssh_address
from stackaudit.collect.hostkeys import system_vm_host_keys
from stackaudit.collect.transports import cloudstack, mysql, ssh, xapi
from stackaudit.discovery.discovery import database_targets, discover, management_targets, tls_frontend_targets
from stackaudit.errors import ApiError, HostKeyRejected, LoginRefused, TargetError, Unreachable, UnparsableOutput
from stackaudit.parsers.mysql import ServerVersion, parse_server_version
from stackaudit.parsers.mysql_grants import GrantNeed, missing_grants, parse_show_grants
from stackaudit.targets import SYSTEM_VM_KINDS, Snapshot, Target

SSH_KINDS = ("kvm-host", "xs-host", "mgmt", "db", "tls-frontend")


@dataclass(frozen=True)
class ChannelResult:
    channel: str            # API, XAPI, database, SSH
    target: str             # the endpoint or the target id
    problem: str | None     # None: ok
    note: str = ""          # said after ok (a system VM's key not pinned yet)

    @property
    def line(self) -> str:
        if self.problem is None:
            return f"{self.channel} {self.target}: ok" + (f" ({self.note})" if self.note else "")
        return f"{self.channel} {self.target}: {self.problem.removeprefix(self.target + ': ')}"


# (the server's version, the audit user's name) -> what the checks need of that user on that server: the
# list generated from the fact declarations (stackaudit/access_needs.py, a later stage: the command line
# hands it in).
GrantsNeeded = Callable[[ServerVersion, str], tuple[GrantNeed, ...]]
VERSION_QUERY = "SELECT @@version AS version, @@version_comment AS version_comment"


def probe(configuration, grants_needed: GrantsNeeded, reports_dir: Path = Path("reports")) -> list[ChannelResult]:
    """Every channel's result, the API's first: without it no target is known but the inventory's own.
    `reports_dir`: where the run keeps the system VM pins (read, never written)."""
    inventory, policy = configuration.inventory, configuration.policy
    api = probe_api(inventory, policy)
    results = [api]
    snapshot = Snapshot(inventory.cloud_name, inventory_targets(inventory))
    if api.problem is None:
        try:
            snapshot = discover(inventory, policy.limits)
        except TargetError as err:
            results.append(ChannelResult("API", "discovery", f"{err}; only the inventory's own targets are tried"))
    collector = Collector(inventory, policy, snapshot)
    collector.host_key_pins = system_vm_host_keys(inventory.system_vms.host_key_fingerprints,
                                                  inventory.system_vms.fingerprints, reports_dir,
                                                  pin_new=False)
    pools = snapshot.of_kinds(("xs-pool",))
    databases = snapshot.of_kinds(("db",))
    with ThreadPoolExecutor(max(1, min(inventory.ssh.max_connections, 16))) as workers:
        pool_results = workers.map(functools.partial(probe_pool, inventory), pools)
        db_results = workers.map(functools.partial(probe_database, inventory, grants_needed), databases)
        ssh_results = list(probe_ssh(collector, snapshot, workers))
        results += [*pool_results, *db_results, *ssh_results]
    return results


def inventory_targets(inventory) -> list[Target]:
    """The targets the inventory names itself: what can be tried when the API names none."""
    return [*database_targets(inventory), *management_targets(inventory, [], []), *tls_frontend_targets(inventory)]


def probe_api(inventory, policy) -> ChannelResult:
    settings = inventory.api
    endpoint = cloudstack.shown_endpoint(settings.endpoint)
    try:
        api = cloudstack.client(settings.endpoint, settings.key.read(), settings.secret.read(), settings.verify,
                                inventory.ssh.connect_timeout, limits=policy.limits)
        cloudstack.call(api, "listHosts", page=1, pagesize=1)
    except TargetError as err:
        return ChannelResult("API", endpoint, f"{err}; {api_fix(err)}")
    return ChannelResult("API", endpoint, None)


def api_fix(err: TargetError) -> str:
    """What to do about an API failure, by its kind."""
    text = str(err)
    if isinstance(err, LoginRefused):
        return "the key or secret is refused: check cloud.api's key and secret (an enabled account's API keys)"
    if isinstance(err, HostKeyRejected):
        return "the endpoint's certificate is not trusted: give cloud.api.verify the CA bundle that signed it"
    if isinstance(err, ApiError) and "error 432" in text:
        return ("the key's role may not call listHosts: give the account the read-only role `stackaudit access "
                "--api` prints")
    if isinstance(err, Unreachable):
        return "check cloud.api.endpoint and that this machine reaches it"
    return "check the API at cloud.api.endpoint"


def probe_pool(inventory, pool: Target) -> ChannelResult:
    """A login and logout on the pool master discovery found; discovery's reason where it found none."""
    settings = inventory.xenserver
    if settings is None or not pool.address:
        return ChannelResult("XAPI", pool.id, pool.attrs.reason or "no pool master found")
    try:
        session = xapi.login(pool.address, settings.port, settings.username, settings.password.read(),
                             settings.ca_file, settings.timeout, settings.insecure)
    except xapi.NotMaster as redirect:
        return ChannelResult("XAPI", pool.id, f"XAPI {pool.address}: answered HOST_IS_SLAVE naming "
                                              f"{redirect.master_address}; not followed")
    except TargetError as err:
        return ChannelResult("XAPI", pool.id, str(err))
    xapi.logout(session)
    return ChannelResult("XAPI", pool.id, None)


def probe_database(inventory, grants_needed: GrantsNeeded, server: Target) -> ChannelResult:
    settings = inventory.databases
    try:
        conn = mysql.connect(server.address, server.attrs.port, settings.user, settings.password.read(),
                             inventory.ssh.connect_timeout, settings.ca_file)
    except TargetError as err:
        return ChannelResult("database", server.id, str(err))
    try:
        version, grants = [mysql.query_or_error(conn, server.id, sql)
                           for sql in (VERSION_QUERY, "SHOW GRANTS FOR CURRENT_USER()")]
    finally:
        conn.close()
    for answer in (version, grants):
        if "error" in answer:
            return ChannelResult("database", server.id, f"login ok, but {answer['error']['message']}")
    try:
        needs = grants_needed(parse_server_version(version["rows"]), settings.user)
        missing = missing_grants(parse_show_grants(grants["rows"]), needs)
    except UnparsableOutput as err:
        return ChannelResult("database", server.id, f"login ok, but the grants could not be compared: {err}")
    if missing:
        return ChannelResult("database", server.id, f"login ok, but {settings.user} lacks grants the checks need: "
                                                    + "; ".join(need.statement for need in missing))
    return ChannelResult("database", server.id, None)


def probe_ssh(collector: Collector, snapshot: Snapshot, workers: ThreadPoolExecutor) -> list[ChannelResult]:
    """Each SSH target's login; the system VMs behind a host after it, over its connection."""
    behind: dict[str, list[Target]] = {}
    for vm in snapshot.of_kinds(SYSTEM_VM_KINDS):
        behind.setdefault(collector.system_vm_route(vm)[1] or "", []).append(vm)
    own = [t for t in snapshot.of_kinds(SSH_KINDS) if t.kind != "db" or t.attrs.ssh_address]
    hops = {own_ssh_address(t) for t in own}
    lone_hops = [address for address in behind if address not in hops]    # a VMware jump host, or no address
    results = list(workers.map(lambda t: probe_ssh_target(collector, t, behind.get(own_ssh_address(t) or "", [])),
                               own))
    results += [probe_behind(collector, address, behind[address]) for address in lone_hops]
    return [result for group in results for result in group]


def probe_ssh_target(collector: Collector, target: Target, vms: list[Target]) -> list[ChannelResult]:
    try:
        host = collector.connect_ssh(own_ssh_address(target), target.id)
    except TargetError as err:
        return [ChannelResult("SSH", target.id, str(err)),
                *(ChannelResult("SSH", vm.id, f"not tried: its host {target.id} failed") for vm in vms)]
    try:
        return [ChannelResult("SSH", target.id, None), *system_vms_through(collector, host, vms)]
    finally:
        host.backend.close()


def probe_behind(collector: Collector, address: str, vms: list[Target]) -> list[ChannelResult]:
    """System VMs whose hop is no SSH target of its own (a VMware jump host), or that have none."""
    label = collector.system_vm_route(vms[0])[0]
    try:
        host = collector.connect_ssh(address or None, label)
    except TargetError as err:
        return [ChannelResult("SSH", vm.id, str(err)) for vm in vms]
    try:
        return system_vms_through(collector, host, vms)
    finally:
        host.backend.close()


def system_vms_through(collector: Collector, host, vms: list[Target]) -> list[ChannelResult]:
    results, keys = [], {}
    for vm in vms:
        hop_name, _, vm_address, key_path = collector.system_vm_route(vm)
        try:
            if not vm_address:
                raise Unreachable(f"{vm.id}: the API gives no address to reach it from {hop_name}")
            if key_path not in keys:
                keys[key_path] = ssh.read_key(host, key_path)
            policy = collector.system_vm_key_policy(vm)
            settings = collector.inventory.ssh
            connected = ssh.connect_through(host, vm_address, collector.inventory.system_vms.port, "root", key_path,
                                            settings.known_hosts, settings.connect_timeout,
                                            label=f"{vm.id} via {hop_name}", host_key_policy=policy,
                                            pkey=keys[key_path])
            connected.backend.close()
        except TargetError as err:
            results.append(ChannelResult("SSH", vm.id, str(err)))
            continue
        note = policy.note if policy is not None and policy.note and "not pinned yet" in policy.note else ""
        results.append(ChannelResult("SSH", vm.id, None, note))
    return results
