"""System VM host keys for `stackaudit known-hosts`, read the way the run reaches the VMs.

A system VM answers only on its host's link-local bridge (or, on VMware, from a management
server): the run logs in to the host, verified against known_hosts, and opens a channel from there
to the VM's sshd (docs/configuration.md, "System VM host keys"). That login is the trust anchor, so a VM's key is
read only when its host's key is already known; otherwise the VM waits for it. Over the channel the
VM's key is read by the key exchange alone, as for any host: no login to the VM.
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import paramiko

from stackaudit.collect.collectors import Collector
from stackaudit.collect.host_key_scan import ScannedKey
from stackaudit.collect.known_hosts_lines import (KNOWN, Standing, known_hosts_name, listed_keys, standing,
                                                  writable_address)
from stackaudit.collect.transports.keyscan import read_host_key
from stackaudit.config.files import shown
from stackaudit.errors import TargetError, Unreachable
from stackaudit.targets import Target

# Why a host's key does not let the VMs behind it be read, by its standing against known_hosts.
NOT_TRUSTED = {"new": "is not in known_hosts yet", "changed": "differs from known_hosts"}


@dataclass(frozen=True)
class SystemVmKey:
    """A system VM's key (with its standing against known_hosts when the inventory checks VMs there),
    or why it was not read: `error` (it could not be), `waits` (its host is not trusted yet)."""
    target: Target
    name: str                       # [address]:port as known_hosts would name it
    via: str                        # the hop, as the run names it ("host kvm01")
    key: paramiko.PKey | None = None
    standing: Standing | None = None
    error: str | None = None
    waits: str | None = None


def scan_system_vms(collector: Collector, system_vms: list[tuple[Target, tuple[str, int] | None]],
                    hops: list[ScannedKey], known_hosts: paramiko.HostKeys) -> list[SystemVmKey]:
    """Each system VM's key, one login per hop whose key is known; sorted by target id."""
    by_endpoint = {(h.endpoint.address, h.endpoint.port): h for h in hops}
    groups: dict[tuple[str, int] | None, list[Target]] = {}
    for target, hop in system_vms:
        groups.setdefault(hop, []).append(target)

    def one_hop(item) -> list[SystemVmKey]:
        hop, targets = item
        if hop is None:
            return [unroutable(collector, t) for t in targets]
        scanned = by_endpoint.get(hop)
        if scanned is None or scanned.error or scanned.standing.verdict != KNOWN:
            why = ("could not be read" if scanned is None or scanned.error
                   else NOT_TRUSTED[scanned.standing.verdict])
            via = collector.system_vm_route(targets[0])[0]
            return [vm_key(collector, t, waits=f"the key of {via} ({known_hosts_name(*hop)}) {why}") for t in targets]
        return read_behind(collector, hop, targets, known_hosts)

    workers = max(1, min(collector.inventory.ssh.max_connections, len(groups)))
    with ThreadPoolExecutor(workers) as pool:
        found = [vm for vms in pool.map(one_hop, groups.items()) for vm in vms]
    return sorted(found, key=lambda vm: vm.target.id)


def read_behind(collector: Collector, hop: tuple[str, int], targets: list[Target],
                known_hosts: paramiko.HostKeys) -> list[SystemVmKey]:
    """The keys of the VMs behind `hop`, over one login to it (the run's own, verified against known_hosts)."""
    label = collector.system_vm_route(targets[0])[0]
    try:
        host = collector.connect_ssh(hop[0], label)
    except TargetError as err:
        return [vm_key(collector, t, error=f"{t.id}: {err}") for t in targets]
    try:
        return [read_one(collector, host, t, known_hosts) for t in targets]
    finally:
        host.backend.close()


def read_one(collector: Collector, host, target: Target, known_hosts: paramiko.HostKeys) -> SystemVmKey:
    via, _, address, _ = collector.system_vm_route(target)
    port, timeout = collector.inventory.system_vms.port, collector.inventory.ssh.connect_timeout
    label = f"{target.id} via {via}"
    if not address:
        return vm_key(collector, target, error=f"{target.id}: the API gives no address to reach it from {via}")
    if not writable_address(address):
        return vm_key(collector, target, error=f"{target.id}: its address {shown(address)} is not an IP address or "
                                               "host name known_hosts can name; not read")
    by_known_hosts = collector.inventory.system_vms.host_keys == "known_hosts"
    listed = listed_keys(known_hosts, known_hosts_name(address, port)) if by_known_hosts else []
    try:
        channel = host.backend.client.get_transport().open_channel(
            "direct-tcpip", (address, port), ("127.0.0.1", 0), timeout=timeout)
    except (paramiko.ChannelException, paramiko.SSHException, OSError) as err:
        return vm_key(collector, target, error=f"{label}: the host could not open a connection: {err}")
    try:
        key = read_host_key(address, port, timeout, [k.get_name() for k in listed], label, sock=channel)
    except Unreachable as err:
        return vm_key(collector, target, error=str(err))
    finally:
        channel.close()
    return vm_key(collector, target, key=key, standing=standing(listed, key) if by_known_hosts else None)


def unroutable(collector: Collector, target: Target) -> SystemVmKey:
    try:
        collector.no_first_hop(target)
    except TargetError as err:
        return vm_key(collector, target, error=str(err))
    return vm_key(collector, target, error=f"{target.id}: no route to it")


def vm_key(collector: Collector, target: Target, **found) -> SystemVmKey:
    try:
        via, _, address, _ = collector.system_vm_route(target)
    except TargetError:
        via, address = "its host", None
    name = known_hosts_name(address or "?", collector.inventory.system_vms.port)
    return SystemVmKey(target, name, via, **found)
