"""Which SSH endpoints a run would connect to, and the host key each offers (`stackaudit known-hosts`).

The endpoints are the run's own: the collector's first hop of every discovered target that runs a
command (collectors.Collector.first_hop, with every fact of its kind), one endpoint for all the
targets that share it (a database on its management server's machine). System VMs are reached
through their host (docs/configuration.md, "System VM host keys"); they are listed apart, with the host they wait on.
Keys are read in parallel, at most ssh.max_connections at a time, each within ssh.connect_timeout.
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import paramiko

from stackaudit.collect.collectors import Collector
from stackaudit.collect.known_hosts_lines import Standing, known_hosts_name, listed_keys, standing, writable_address
from stackaudit.collect.transports.keyscan import read_host_key
from stackaudit.config.files import shown
from stackaudit.errors import TargetError
from stackaudit.targets import SYSTEM_VM_KINDS, Target


@dataclass(frozen=True)
class Endpoint:
    address: str
    port: int
    targets: tuple[str, ...]    # the ids of the targets reached there, sorted

    @property
    def name(self) -> str:
        return known_hosts_name(self.address, self.port)


@dataclass(frozen=True)
class ScannedKey:
    """An endpoint's key and how it stands against known_hosts, or why it could not be read."""
    endpoint: Endpoint
    key: paramiko.PKey | None = None
    standing: Standing | None = None
    error: str | None = None


@dataclass(frozen=True)
class SshTargets:
    endpoints: list[Endpoint]
    system_vms: list[tuple[Target, tuple[str, int] | None]]    # each with its first hop (None: no route)
    unaddressed: list[str]      # why a target that runs commands has no endpoint, one line each


def ssh_targets(collector: Collector, targets: list[Target]) -> SshTargets:
    """The endpoints the run would connect to, for `targets` (a discovery's snapshot)."""
    by_hop: dict[tuple[str, int], list[str]] = {}
    system_vms, unaddressed = [], []
    for target in targets:
        if not collector.runs_commands(target):
            continue
        hop = collector.first_hop(target)
        if target.kind in SYSTEM_VM_KINDS:
            system_vms.append((target, hop))
        elif hop is None:
            unaddressed.append(f"{target.id}: no SSH address (not in the API, not in the inventory)")
        elif not writable_address(hop[0]):
            unaddressed.append(f"{target.id}: its address {shown(hop[0])} is not an IP address or host name "
                               "known_hosts can name; not read")
        else:
            by_hop.setdefault(hop, []).append(target.id)
    for target, hop in system_vms:
        # a hop that is no target of its own (a host whose hypervisor has no checks) is still logged in to
        if hop is not None and hop not in by_hop and writable_address(hop[0]):
            by_hop[hop] = [collector.system_vm_route(target)[0]]
    endpoints = [Endpoint(address, port, tuple(sorted(ids))) for (address, port), ids in by_hop.items()]
    return SshTargets(sorted(endpoints, key=lambda e: e.targets), system_vms, unaddressed)


def scan_endpoints(endpoints: list[Endpoint], known_hosts: paramiko.HostKeys, timeout: float,
                   max_connections: int) -> list[ScannedKey]:
    """Each endpoint's key, in the order given; at most `max_connections` key exchanges at once."""
    def one(endpoint: Endpoint) -> ScannedKey:
        listed = listed_keys(known_hosts, endpoint.name)
        try:
            key = read_host_key(endpoint.address, endpoint.port, timeout, [k.get_name() for k in listed],
                                ", ".join(endpoint.targets))
        except TargetError as err:
            return ScannedKey(endpoint, error=str(err))
        return ScannedKey(endpoint, key, standing(listed, key))

    with ThreadPoolExecutor(max(1, min(max_connections, len(endpoints)))) as workers:
        return list(workers.map(one, endpoints))
