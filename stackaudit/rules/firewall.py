"""HOST-IPTABLES-V4/V6 and the 16509 part of KVM-LIBVIRTD-LISTEN: the CLOUDSTACK-SERVICES firewall of
[CSC-WIKI], judged by what a new TCP connection to each policy port actually meets (rules/netfilter/).

The CSC wiki's cloud creates the chain, REJECTs tcp 16509,16514,45335,41047,8250 in it and, for IPv6, RETURNs the
management /64 first. A port is closed when every representative connection from outside the policy's
exceptions meets REJECT or DROP (a DROP closes it too: the connection times out instead of being
refused; the evidence says which). An ACCEPT anywhere before that, or INPUT's policy ACCEPT, opens it.

A check walks each port once (`walk_firewall`, `walk_port`) and reads the findings, the comparison with
the persisted file and the evidence from that one `FirewallWalk`. With a persisted file, the running rules
are walked over the connections both rulesets tell apart, so the boot comparison pairs connection with
connection.
"""
from __future__ import annotations

import difflib
import ipaddress
from dataclasses import dataclass

from stackaudit.errors import NotCheckable
from stackaudit.rules.netfilter.connections import (boundary_points, port_verdicts, representative_destinations,
                                                     representative_interfaces)
from stackaudit.rules.netfilter.matches import Connection
from stackaudit.rules.netfilter.verdict import evaluate
from stackaudit.rules.netfilter.walk import ConnectionVerdict

SERVICES_CHAIN = "CLOUDSTACK-SERVICES"
SHOWN = 4       # sources named in a finding before "and N more"

PortVerdicts = dict[int, list[ConnectionVerdict]]    # port -> the verdict of each representative new connection


@dataclass(frozen=True)
class FirewallWalk:
    """Each port's verdicts, walked once, for everything a check reads of one firewall."""
    family: int
    policy: object                  # the policy's firewall section
    exceptions: tuple[str, ...]     # the sources whose connections were left out
    running: PortVerdicts
    at_boot: PortVerdicts | None = None     # the same connections through the persisted rules, where they load
    not_walked: str = ""            # why no port could be walked (the policy lacks what the rule needs)


@dataclass
class Judgement:
    findings: list[str]
    undecidable: list[str]


def exceptions_of(family: int, firewall_policy) -> list[str]:
    if family == 4:
        return list(firewall_policy.v4_exceptions)
    prefix = firewall_policy.v6_management_prefix
    if prefix is None:
        raise NotCheckable("the policy names no IPv6 management prefix (firewall.v6_management_prefix); "
                           "set the /64 whose traffic is RETURNed before the REJECT")
    return [prefix]


def persisted_ruleset(firewall):
    """The persisted rules where the file exists and would load, else None."""
    return firewall.persisted if firewall.persisted_error is None else None


def walk_firewall(firewall, firewall_policy) -> FirewallWalk:
    """HOST-IPTABLES-V4/V6: every policy port through the running rules and, where the persisted file
    loads, through the persisted ones, over the connections either ruleset tells apart."""
    try:
        exceptions = exceptions_of(firewall.family, firewall_policy)
    except NotCheckable as err:
        return FirewallWalk(firewall.family, firewall_policy, (), {}, None, str(err))
    persisted, family, ports = persisted_ruleset(firewall), firewall.family, firewall_policy.reject_ports
    running = {port: port_verdicts(firewall.running, family, port, exceptions, persisted) for port in ports}
    at_boot = None if persisted is None else {
        port: port_verdicts(persisted, family, port, exceptions, firewall.running) for port in ports}
    return FirewallWalk(family, firewall_policy, tuple(exceptions), running, at_boot)


def walk_port(running, family: int, port: int, firewall_policy) -> FirewallWalk:
    """KVM-LIBVIRTD-LISTEN: one port through the running rules alone. Without an IPv6 management prefix
    in the policy no source is excepted (a connection from anywhere must be closed)."""
    exceptions = exceptions_of(family, firewall_policy) if family == 4 or firewall_policy.v6_management_prefix \
        else []
    verdicts = {port: port_verdicts(running, family, port, exceptions)}
    return FirewallWalk(family, firewall_policy, tuple(exceptions), verdicts)


def judge(ruleset, family: int, firewall_policy) -> Judgement:
    """One ruleset walked alone against the policy (a recorded ruleset; the running rules without a file)."""
    exceptions = exceptions_of(family, firewall_policy)
    verdicts = {port: port_verdicts(ruleset, family, port, exceptions) for port in firewall_policy.reject_ports}
    return judge_walked(ruleset, family, firewall_policy, verdicts)


def judge_walked(ruleset, family: int, firewall_policy, verdicts: PortVerdicts) -> Judgement:
    """The rules against the policy: structure, then each port's verdicts (already walked)."""
    findings, undecidable = [], []
    if ruleset.chain("filter", SERVICES_CHAIN) is None:
        findings.append(f"chain {SERVICES_CHAIN} does not exist")
    elif not ruleset.calls("filter", "INPUT", SERVICES_CHAIN):
        findings.append(f"INPUT does not jump to {SERVICES_CHAIN}")
    for port, results in verdicts.items():
        findings += open_findings(port, results)
        undecidable += sorted({v.reason for v in results if v.outcome == "UNDECIDABLE"})
    if family == 6:
        findings += prefix_findings(ruleset, firewall_policy.v6_management_prefix, firewall_policy.reject_ports)
    return Judgement(findings, undecidable)


def open_findings(port: int, results: list[ConnectionVerdict]) -> list[str]:
    """One finding per rule (or policy) that lets the port through, naming the sources it admits."""
    by_reason: dict[str, list[ConnectionVerdict]] = {}
    for verdict in results:
        if verdict.open:
            by_reason.setdefault(verdict.reason, []).append(verdict)
    findings = []
    for reason, opened in by_reason.items():
        sources = sorted({v.connection.source for v in opened}, key=ipaddress.ip_address)
        everyone = len(sources) == len({v.connection.source for v in results})
        named = "every source" if everyone else "sources " + ", ".join(sources[:SHOWN]) + (
            f" and {len(sources) - SHOWN} more" if len(sources) > SHOWN else "")
        interfaces = sorted({v.connection.interface for v in opened})
        # a connection that fell through to INPUT's policy met a REJECT that did not match it
        closed = sorted({v.reason for v in results if v.outcome in ("REJECT", "DROP")})
        limited = f" (closed only where {closed[0]} matches)" if closed and reason.startswith("INPUT's") else ""
        findings.append(f"tcp {port} is open to {named} on {', '.join(interfaces)}: accepted by {reason}{limited}")
    return findings


def prefix_findings(ruleset, prefix: str, ports) -> list[str]:
    """IPv6 ([CSC-WIKI]): a connection from the management prefix is RETURNed from CLOUDSTACK-SERVICES
    before its REJECT (it leaves the chain instead of being closed there)."""
    net = ipaddress.ip_network(prefix, strict=False)
    inside = [str(p) for p in boundary_points([net], 6) if p in net]
    for port in ports:
        for destination in representative_destinations([ruleset], 6, port):
            for interface in representative_interfaces([ruleset], port):
                for source in inside:
                    verdict = evaluate(ruleset, Connection(port, source, destination, interface))
                    closed_in_chain = verdict.outcome in ("REJECT", "DROP") and verdict.path and \
                        verdict.path[-1].chain == SERVICES_CHAIN
                    if closed_in_chain:
                        return [f"no RETURN for the management prefix {prefix} before the REJECT "
                                f"(tcp {port} from {source}: {verdict.reason})"]
    return []


def rejects_port(walk: FirewallWalk, port: int) -> bool:
    """KVM-LIBVIRTD-LISTEN: whether every new connection to `port` from outside the exceptions is
    closed; NotCheckable (quoting the rule) when one of them cannot be judged and none is open."""
    results = walk.running[port]
    if any(v.open for v in results):
        return False
    undecided = [v.reason for v in results if v.outcome == "UNDECIDABLE"]
    if undecided:
        raise NotCheckable(f"IPv{walk.family} tcp {port}: cannot judge {undecided[0]}")
    return True


def firewall_findings(firewall, walk: FirewallWalk) -> list[str]:
    """HOST-IPTABLES-V4/V6: the running rules, the persisted file, and loading at boot (`walk`: the
    firewall's walk_firewall). Raises NotCheckable when nothing is found wrong but a rule on the path
    could not be judged."""
    if walk.not_walked:
        raise NotCheckable(walk.not_walked)
    running = judge_walked(firewall.running, firewall.family, walk.policy, walk.running)
    findings = [f"running rules: {f}" for f in running.findings]
    if firewall.persisted_error is not None:
        findings.append(f"{firewall.persisted_path} would not load at boot: {firewall.persisted_error}")
    elif firewall.persisted is None:
        findings.append(f"{firewall.persisted_path} does not exist: the rules are lost at the next boot")
    else:
        drift = chain_differences(firewall.running, firewall.persisted)
        if drift:
            findings.append(f"{firewall.persisted_path} differs from the running rules: {drift}")
        changed = verdict_differences(walk)
        if changed:
            findings.append(f"{firewall.persisted_path} gives other verdicts at boot than the running rules: {changed}")
    if not firewall.loaded_at_boot:
        findings.append(f"{firewall.boot_unit} is not enabled: the persisted rules are not loaded at boot")
    if running.undecidable:
        if not findings:
            raise NotCheckable(f"IPv{firewall.family} rules cannot be judged: {running.undecidable[0]}")
        findings.append(f"(also not judged: {running.undecidable[0]})")
    return findings


def verdict_differences(walk: FirewallWalk) -> str:
    """Ports whose verdict at boot (the persisted file restored) differs from the running verdict."""
    changed = []
    for port, now in walk.running.items():
        for a, b in zip(now, walk.at_boot[port]):
            if a.outcome != b.outcome:
                changed.append(f"tcp {port} from {a.connection.source}: running {a.outcome}, at boot {b.outcome}")
                break
    return "; ".join(changed)


def chain_lines(ruleset, by_meaning: bool = False) -> list[str]:
    """The INPUT jump and the CLOUDSTACK-SERVICES rules as iptables-save prints them after restoring
    (parsers/iptables_forms.py); `by_meaning`: each rule's key, which also leaves out comments and
    puts its matches in one order, so that two spellings of one rule are one line."""
    chain = ruleset.chain("filter", SERVICES_CHAIN)
    jump = ["-A INPUT -j " + SERVICES_CHAIN] if ruleset.calls("filter", "INPUT", SERVICES_CHAIN) else []
    return jump + ([f"-A {SERVICES_CHAIN} {r.key if by_meaning else r.text}" for r in chain.rules] if chain else [])


def wanted_chain_lines(family: int, firewall_policy) -> list[str]:
    """[CSC-WIKI]'s rules, with the policy's ports and exceptions (the auditor's picture of what is wanted)."""
    lines = ["-A INPUT -j " + SERVICES_CHAIN]
    exceptions = firewall_policy.v4_exceptions if family == 4 else (
        [firewall_policy.v6_management_prefix] if firewall_policy.v6_management_prefix else [])
    lines += [f"-A {SERVICES_CHAIN} -s {ipaddress.ip_network(source, strict=False)} -j RETURN" for source in exceptions]
    ports = ",".join(str(p) for p in firewall_policy.reject_ports)
    # iptables-save writes a plain REJECT with its default answer; so is it written here.
    answer = "icmp-port-unreachable" if family == 4 else "icmp6-port-unreachable"
    return lines + [f"-A {SERVICES_CHAIN} -p tcp -m multiport --dports {ports} -j REJECT --reject-with {answer}"]


def chain_differences(running, persisted) -> str:
    """What differs, by meaning, between the running and persisted CLOUDSTACK-SERVICES chain and its
    INPUT jump (the lines shown as iptables-save prints them)."""
    want_keys, have_keys = chain_lines(running, by_meaning=True), chain_lines(persisted, by_meaning=True)
    if want_keys == have_keys:
        return ""
    want, have = chain_lines(running), chain_lines(persisted)
    missing = [line for line, key in zip(want, want_keys) if key not in have_keys]
    extra = [line for line, key in zip(have, have_keys) if key not in want_keys]
    parts = ([f"missing from the file: {' | '.join(missing)}"] if missing else []) + \
            ([f"only in the file: {' | '.join(extra)}"] if extra else [])
    return "; ".join(parts) or "same rules in another order"


def path_evidence(walk: FirewallWalk) -> str:
    """Per port walked, each distinct path a new connection takes through the running rules' INPUT."""
    if walk.not_walked:
        return f"(not evaluated: {walk.not_walked})"
    blocks = []
    for results in walk.running.values():
        paths: dict[tuple, list[ConnectionVerdict]] = {}
        for verdict in results:
            paths.setdefault((verdict.outcome, verdict.path), []).append(verdict)
        for (outcome, path), verdicts in paths.items():
            sample = verdicts[0].connection
            more = f" (and {len(verdicts) - 1} more connections the same way)" if len(verdicts) > 1 else ""
            steps = "\n".join("    " + step.line() for step in path) or "    (no rule matched)"
            shown = {"DROP": "DROP (closed: dropped, not refused)"}.get(outcome, outcome)
            blocks.append(f"  {sample.describe()}{more}:\n{steps}\n    => {shown}")
    exceptions_text = ", ".join(walk.exceptions) or "none"
    return f"new connections from outside the exceptions ({exceptions_text}):\n" + "\n".join(blocks)


def firewall_evidence(firewall, walk: FirewallWalk) -> str:
    """For the auditor: the rules wanted, running and persisted, their differences, and each port's path."""
    wanted, running = wanted_chain_lines(firewall.family, walk.policy), chain_lines(firewall.running)
    if firewall.persisted_error is not None:
        persisted, shown = [], f"(would not load: {firewall.persisted_error})"
    elif firewall.persisted is None:
        persisted, shown = [], "(file absent)"
    else:
        persisted = chain_lines(firewall.persisted)
        shown = "\n  ".join(persisted) or "(no chain, no jump)"
    parts = [f"wanted (policy; CSC wiki, CloudStack, 2022):\n  " + "\n  ".join(wanted),
             "running:\n  " + ("\n  ".join(running) or "(no chain, no jump)"),
             f"persisted ({firewall.persisted_path}):\n  " + shown,
             f"loaded at boot ({firewall.boot_unit} enabled): {'yes' if firewall.loaded_at_boot else 'no'}",
             "wanted -> running:\n" + "\n".join(difflib.unified_diff(wanted, running, "wanted", "running", lineterm="")),
             "running -> persisted:\n" + "\n".join(difflib.unified_diff(running, persisted, "running",
                                                                         "persisted", lineterm="")),
             "running rules, per port:\n" + path_evidence(walk)]
    return "\n\n".join(parts) + "\n"
