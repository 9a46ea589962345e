"""`stackaudit known-hosts`: the host keys of the SSH targets a run would reach, for the operator to
verify and append to known_hosts (docs/known-hosts.md). It writes nothing: trust is the operator's.

Standard output is a known_hosts fragment: comment lines (`#`), each naming targets and a
fingerprint, and a line to append for each key known_hosts does not hold yet. A key that differs from
the one known_hosts holds is never printed as a line to append. Standard error has one line for each
target whose key could not be read or changed. System VMs follow their hosts, in the form the
inventory's system_vms.host_keys wants.
"""
from __future__ import annotations

import logging
from pathlib import Path

import paramiko

from stackaudit.cli.output import say
from stackaudit.collect.collectors import Collector
from stackaudit.collect.hostkeys import PIN_FILE_NAME, fingerprint, read_pins
from stackaudit.collect.host_key_scan import ScannedKey, scan_endpoints, ssh_targets
from stackaudit.collect.known_hosts_lines import CHANGED, KNOWN, NEW, fingerprint_line, known_hosts_line
from stackaudit.collect.system_vm_keys import SystemVmKey, scan_system_vms
from stackaudit.collect.transports.ssh import known_hosts as parsed_known_hosts
from stackaudit.config.files import shown
from stackaudit.config.inventory import Inventory, load_inventory
from stackaudit.config.policy import load_policy
from stackaudit.discovery.discovery import discover
from stackaudit.errors import CollectionFailed, ConfigError, TargetError
from stackaudit.report.outcomes import EXIT_BROKEN, EXIT_CONFIG, EXIT_OK
from stackaudit.report.visible import visible


def known_hosts(args, rest: list[str]) -> int:
    quiet_paramiko_log()
    if rest:
        say(f"known-hosts: unrecognized arguments {shown(' '.join(rest))}; known-hosts takes --inventory")
        return EXIT_CONFIG
    try:
        inventory = load_inventory(Path(args.inventory), known_hosts_may_be_empty=True)
        policy = load_policy(inventory.policy_path)
        listed = read_known_hosts(inventory.ssh.known_hosts)
        pins = Pins.of(inventory, Path(args.reports))
    except (ConfigError, CollectionFailed) as err:
        say(str(err))
        return EXIT_CONFIG
    try:
        snapshot = discover(inventory, policy.limits)
    except TargetError as err:
        say(f"discovery failed, so the targets it finds are not known: {err}")
        return EXIT_BROKEN
    collector = Collector(inventory, policy, snapshot)
    found = ssh_targets(collector, snapshot.targets)
    settings = inventory.ssh
    hosts = scan_endpoints(found.endpoints, listed, settings.connect_timeout, settings.max_connections)
    vms = scan_system_vms(collector, found.system_vms, hosts, listed)
    for line in found.unaddressed:
        say(line)
    for result in [*hosts, *vms]:
        if result.error:
            say(result.error)
        elif result.standing and result.standing.verdict == CHANGED:
            say(changed_line(result))
        elif pins and pins.verdict(result)[0] == CHANGED:
            say(pins.changed_line(result))
    lines = [*host_lines(hosts), *system_vm_lines(vms, inventory, template_names(snapshot), pins),
             closing_line(hosts, vms, inventory)]
    print("\n".join(visible(line) for line in lines))
    unread = found.unaddressed + [r for r in [*hosts, *vms] if r.error or (r.standing and r.standing.verdict == CHANGED)
                                  or (pins and pins.verdict(r)[0] == CHANGED)]
    return EXIT_BROKEN if unread else EXIT_OK


class Pins:
    """The run's pin file (system_vms.host_keys: pinned, no fingerprints file), read to compare only."""

    def __init__(self, path: Path, pins: dict):
        self.path, self.pins = path, pins

    @classmethod
    def of(cls, inventory: Inventory, reports: Path) -> "Pins | None":
        access = inventory.system_vms
        if access.host_keys != "pinned" or access.host_key_fingerprints is not None:
            return None
        return cls(reports / PIN_FILE_NAME, read_pins(reports / PIN_FILE_NAME))

    def verdict(self, result) -> tuple[str | None, dict | None]:
        """(NEW: not pinned yet, KNOWN: the pinned key, CHANGED: another; None: not a VM key read), the pin."""
        if not isinstance(result, SystemVmKey) or result.key is None:
            return None, None
        pin = self.pins.get(result.target.attrs.id)
        if not isinstance(pin, dict):
            return NEW, None
        return (KNOWN if pin.get("fingerprint") == fingerprint(result.key) else CHANGED), pin

    def line(self, who: str, vm: SystemVmKey) -> str:
        verdict, pin = self.verdict(vm)
        seen, vm_id = fingerprint_line(vm.name, vm.key), vm.target.attrs.id
        if verdict == KNOWN:
            return f"# {who}: {seen}: matches the key pinned for CloudStack id {vm_id} on {pin.get('pinned')}"
        if verdict == CHANGED:
            return f"# {self.changed_line(vm)}"
        return (f"# {who}: {seen}: for information; not pinned yet: the next run pins it by CloudStack id {vm_id} "
                f"on first use, in {self.path} (not known_hosts)")

    def changed_line(self, vm: SystemVmKey) -> str:
        pin, vm_id = self.verdict(vm)[1], vm.target.attrs.id
        return (f"PINNED KEY CHANGED: {vm.target.id} offers {fingerprint_line(vm.name, vm.key)}, but {self.path} pins "
                f"{pin.get('fingerprint')} ({pin.get('key_type')}, {pin.get('pinned')}) for CloudStack id {vm_id}: the "
                f"run refuses it; if the VM was rebuilt on purpose, delete the entry \"{vm_id}\" from {self.path}")


def quiet_paramiko_log() -> None:
    """paramiko logs a failed connection at ERROR ("Socket exception: Connection reset by peer", a
    traceback for a bad banner), which Python's last-resort handler prints on stderr: each target's
    reason is said once, in its own line, by this command."""
    logging.getLogger("paramiko").addHandler(logging.NullHandler())


def read_known_hosts(path: Path) -> paramiko.HostKeys:
    """ssh.known_hosts as the run reads it; empty when it does not exist yet."""
    if not path.exists():
        return paramiko.HostKeys()
    try:
        return parsed_known_hosts(path)
    except OSError as err:
        raise ConfigError(f"ssh.known_hosts: {path}: cannot read it ({err.strerror or err})") from None


def host_lines(scanned: list[ScannedKey]) -> list[str]:
    """Per endpoint a comment naming its targets and its key's fingerprint, then the known_hosts
    line to append (new keys only)."""
    lines = []
    for result in scanned:
        if not result.error:
            lines += key_lines(", ".join(result.endpoint.targets), result.endpoint.name, result)
    return lines


def key_lines(who: str, name: str, result: ScannedKey | SystemVmKey) -> list[str]:
    verdict = result.standing.verdict
    if verdict == KNOWN:
        return [f"# {who}: {fingerprint_line(name, result.key)}: already known"]
    if verdict == CHANGED:
        return [f"# {changed_line(result)}"]
    return [f"# {who}: {fingerprint_line(name, result.key)}", known_hosts_line(name, result.key)]


def system_vm_lines(vms: list[SystemVmKey], inventory: Inventory, templates: dict[str, str],
                    pins: Pins | None) -> list[str]:
    """Each system VM's key in the form system_vms.host_keys wants: a known_hosts line (known_hosts),
    a line of the fingerprints file (host_key_fingerprints), or for information (pinned on first use)."""
    if not vms:
        return []
    access = inventory.system_vms
    lines = [f"# System VMs, reached through their host (system_vms.host_keys: {access.host_keys}"
             + (f", fingerprints file {access.host_key_fingerprints})" if access.host_key_fingerprints else ")")]
    repeated = names_with_several_keys(vms)
    for vm in vms:
        who = f"{vm.target.id} via {vm.via}"
        if vm.error:
            continue
        if vm.waits:
            lines.append(f"# {who}: not read: {vm.waits}; once it is, run known-hosts again")
        elif vm.standing is not None and vm.standing.verdict == NEW and vm.name in repeated:
            lines.append(f"# {who}: {fingerprint_line(vm.name, vm.key)}: not printed to append: {vm.name} names "
                         f"{repeated[vm.name]} system VMs with different keys here (link-local addresses repeat "
                         "behind each host) and known_hosts holds one; system_vms.host_keys: pinned checks them "
                         "by CloudStack id")
        elif vm.standing is not None:
            lines += key_lines(who, vm.name, vm)
        elif access.host_key_fingerprints is not None:
            line = fingerprint_line(templates.get(vm.target.attrs.id) or vm.target.name, vm.key)
            lines.append(f"# {who}: {line}: listed in the fingerprints file" if fingerprint(vm.key) in access.fingerprints
                         else f"# {who}: not in the fingerprints file (the run refuses it); once verified, add: {line}")
        else:
            lines.append(pins.line(who, vm))
    return lines


def names_with_several_keys(vms: list[SystemVmKey]) -> dict[str, int]:
    """known_hosts names ([169.254.x.y]:3922) that more than one read key answers to -> how many VMs."""
    keys: dict[str, set[str]] = {}
    vms_of: dict[str, int] = {}
    for vm in vms:
        if vm.key is not None:
            keys.setdefault(vm.name, set()).add(vm.key.get_base64())
            vms_of[vm.name] = vms_of.get(vm.name, 0) + 1
    return {name: vms_of[name] for name, seen in keys.items() if len(seen) > 1}


def template_names(snapshot) -> dict[str, str]:
    """System VM id -> the template it runs (the API's templatename), as the pin records it."""
    rows = snapshot.api.get("listSystemVms", []) + snapshot.api.get("listRouters", [])
    return {row.get("id"): row.get("templatename") or row.get("templateid") for row in rows if row.get("id")}


def closing_line(hosts: list[ScannedKey], vms: list[SystemVmKey], inventory: Inventory) -> str:
    every = [*hosts, *(vm for vm in vms if vm.standing is not None)]
    count = {verdict: sum(1 for r in every if r.standing and r.standing.verdict == verdict)
             for verdict in (NEW, KNOWN, CHANGED)}
    unread = sum(1 for r in [*hosts, *vms] if r.error)
    waiting = sum(1 for vm in vms if vm.waits)
    return (f"# {count[NEW]} new, {count[KNOWN]} already known, {count[CHANGED]} changed, {unread} not read"
            + (f", {waiting} system VMs waiting for their host's key" if waiting else "")
            + ". Nothing was written" + (". Verify each new fingerprint out of band (on the machine itself: "
                                         "ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub), then append its line to "
                                         f"{inventory.ssh.known_hosts} (the inventory's ssh.known_hosts)."
                                         if count[NEW] else f", and {inventory.ssh.known_hosts} needs no line more."))


def changed_line(result: ScannedKey | SystemVmKey) -> str:
    """The loud line of a key that differs from what known_hosts holds for the endpoint."""
    name = result.endpoint.name if isinstance(result, ScannedKey) else result.name
    who = ", ".join(result.endpoint.targets) if isinstance(result, ScannedKey) else result.target.id
    before = "; ".join(fingerprint_line(name, key) for key in result.standing.listed)
    return (f"KEY CHANGED: {who} offers {fingerprint_line(name, result.key)}, but known_hosts holds {before}: verify "
            "the machine before replacing its entry (not printed as a line to append; the run refuses it until then)")
