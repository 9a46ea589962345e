"""`stackaudit known-hosts`: the host keys of the SSH targets a run would reach, for the operator to
verify and append to known_hosts (docs/known-hosts.md). It writes nothing: trust is the operator's.

Standard output is a known_hosts fragment: comment lines (`#`), each naming targets and a
fingerprint, and a line to append for each key known_hosts does not hold yet. A key that differs from
the one known_hosts holds is never printed as a line to append. Standard error has one line for each
target whose key could not be read.
"""
from __future__ import annotations

from pathlib import Path

import paramiko

from stackaudit.cli.output import say
from stackaudit.collect.collectors import Collector
from stackaudit.collect.host_key_scan import ScannedKey, scan_endpoints, ssh_targets
from stackaudit.collect.known_hosts_lines import CHANGED, KNOWN, fingerprint_line, known_hosts_line
from stackaudit.collect.transports.ssh import known_hosts as parsed_known_hosts
from stackaudit.config.files import shown
from stackaudit.config.inventory import load_inventory
from stackaudit.config.policy import load_policy
from stackaudit.discovery.discovery import discover
from stackaudit.errors import ConfigError, TargetError
from stackaudit.report.outcomes import EXIT_BROKEN, EXIT_CONFIG, EXIT_OK
from stackaudit.report.visible import visible


def known_hosts(args, rest: list[str]) -> int:
    if rest:
        say(f"known-hosts: unrecognized arguments {shown(' '.join(rest))}; known-hosts takes --inventory")
        return EXIT_CONFIG
    try:
        inventory = load_inventory(Path(args.inventory), known_hosts_may_be_empty=True)
        policy = load_policy(inventory.policy_path)
        listed = read_known_hosts(inventory.ssh.known_hosts)
    except ConfigError as err:
        say(str(err))
        return EXIT_CONFIG
    try:
        snapshot = discover(inventory, policy.limits)
    except TargetError as err:
        say(f"discovery failed, so the targets it finds are not known: {err}")
        return EXIT_BROKEN
    found = ssh_targets(Collector(inventory, policy, snapshot), snapshot.targets)
    settings = inventory.ssh
    scanned = scan_endpoints(found.endpoints, listed, settings.connect_timeout, settings.max_connections)
    for line in found.unaddressed:
        say(line)
    for result in scanned:
        if result.error:
            say(result.error)
        elif result.standing.verdict == CHANGED:
            say(changed_line(result))
    print("\n".join(visible(line) for line in report_lines(scanned, settings.known_hosts)))
    unread = len(found.unaddressed) + sum(1 for r in scanned if r.error)
    changed = sum(1 for r in scanned if r.standing and r.standing.verdict == CHANGED)
    return EXIT_BROKEN if unread or changed else EXIT_OK


def read_known_hosts(path: Path) -> paramiko.HostKeys:
    """ssh.known_hosts as the run reads it; empty when it does not exist yet."""
    if not path.exists():
        return paramiko.HostKeys()
    try:
        return parsed_known_hosts(path)
    except OSError as err:
        raise ConfigError(f"ssh.known_hosts: {path}: cannot read it ({err.strerror or err})") from None


def report_lines(scanned: list[ScannedKey], known_hosts_path: Path) -> list[str]:
    """Standard output: per endpoint a comment naming its targets and its key's fingerprint, then
    the known_hosts line to append (new keys only); last, the counts and where to append."""
    lines = []
    for result in scanned:
        if result.error:
            continue
        targets = ", ".join(result.endpoint.targets)
        fingerprint = fingerprint_line(result.endpoint.name, result.key)
        verdict = result.standing.verdict
        if verdict == KNOWN:
            lines.append(f"# {targets}: {fingerprint}: already known")
        elif verdict == CHANGED:
            lines.append(f"# {changed_line(result)}")
        else:
            lines += [f"# {targets}: {fingerprint}", known_hosts_line(result.endpoint.name, result.key)]
    counts = {verdict: sum(1 for r in scanned if r.standing and r.standing.verdict == verdict)
              for verdict in ("new", KNOWN, CHANGED)}
    unread = sum(1 for r in scanned if r.error)
    lines.append(f"# {counts['new']} new, {counts[KNOWN]} already known, {counts[CHANGED]} changed, {unread} not read. "
                 f"Nothing was written. Verify each new fingerprint out of band (on the machine itself: "
                 f"ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub), then append its line to {known_hosts_path} "
                 "(the inventory's ssh.known_hosts).")
    return lines


def changed_line(result: ScannedKey) -> str:
    """The loud line of a key that differs from what known_hosts holds for the endpoint."""
    name = result.endpoint.name
    before = "; ".join(fingerprint_line(name, key) for key in result.standing.listed)
    return (f"KEY CHANGED: {', '.join(result.endpoint.targets)} offers {fingerprint_line(name, result.key)}, "
            f"but known_hosts holds {before}: verify the machine before replacing its entry (not printed as a "
            "line to append; the run refuses this host until then)")
