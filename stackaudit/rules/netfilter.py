"""What a new TCP connection to a port meets in filter/INPUT, walked as netfilter walks it (pure functions).

netfilter (iptables(8), "TARGETS"; iptables-extensions(8)) takes the rules of a chain in order. A rule
matches when all its conditions hold; its target then decides: ACCEPT, DROP and REJECT end the walk,
`-j CHAIN` enters a user chain and comes back after it (at its end or at RETURN), `-g CHAIN` enters it
without coming back (its end then returns to the chain that jumped last), RETURN in a built-in chain or
the end of INPUT applies INPUT's policy. LOG and NFLOG (and the other non-terminating targets below) let
the packet go on.

The connection is the first packet of a new TCP connection (a SYN, conntrack state NEW), arriving on
one interface that is not loopback, from one source address, to one of the host's addresses. A condition
this module cannot judge (limit, recent, set, mark, addrtype, an unknown module or target, a service name
not in netbase ...) on the path before the verdict makes the verdict UNDECIDABLE, naming that rule:
a check then reports "not checked", never "passed".
"""
from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from functools import lru_cache

from stackaudit.parsers.iptables import Rule, Ruleset, parse_ports

# Targets that do not end the walk (iptables-extensions(8), "TARGET EXTENSIONS"); any other extension
# target is undecidable.
CONTINUING_TARGETS = {"LOG", "NFLOG", "ULOG", "TRACE", "AUDIT", "MARK", "CONNMARK", "CLASSIFY", "TCPMSS",
                      "CHECKSUM", "DSCP", "TOS", "TTL", "HL", "NOTRACK", "CT", "SET", "IDLETIMER", "LED",
                      "SECMARK", "CONNSECMARK"}
# Modules whose conditions condition_holds judges; any other -m module is undecidable (limit, recent, ...).
JUDGED_MODULES = {"tcp", "udp", "multiport", "conntrack", "state", "comment", "icmp", "icmp6"}
MAX_DEPTH = 64          # netfilter refuses loops; this bounds a walk over a hand-made ruleset
MAX_STEPS = 100_000
OTHER_INTERFACE = "eth-other"


@dataclass(frozen=True)
class Connection:
    port: int
    source: str
    destination: str
    interface: str

    def describe(self) -> str:
        # 0.0.0.1 and ::2 stand for "any of the host's addresses" when no rule names a destination
        to = "" if self.destination in ("0.0.0.1", "::2") else f" (to {self.destination})"
        return f"new tcp connection from {self.source} to port {self.port} on {self.interface}{to}"


@dataclass(frozen=True)
class Step:
    """A rule the connection matched: where it is and what its target did."""
    chain: str
    index: int          # 1-based, as `iptables -L --line-numbers` counts
    text: str
    effect: str

    def line(self) -> str:
        if self.index == 0:
            return f"{self.chain}'s {self.text} -> {self.effect}"
        return f"{self.chain}:{self.index} `{self.text}` -> {self.effect}"


@dataclass(frozen=True)
class Verdict:
    connection: Connection
    outcome: str        # ACCEPT, REJECT, DROP or UNDECIDABLE
    path: tuple[Step, ...]
    reason: str         # the rule (or policy) that decided, or what could not be judged
    chains: frozenset[str]  # user chains the connection entered

    @property
    def open(self) -> bool:
        return self.outcome == "ACCEPT"


def evaluate(ruleset: Ruleset, connection: Connection, port_cache: dict | None = None) -> Verdict:
    """The first ACCEPT, REJECT or DROP the connection meets from the top of filter/INPUT. `port_cache`
    (one per port) remembers which rules the port alone rules out, for many connections to one port."""
    path: list[Step] = []
    entered: set[str] = set()
    input_chain = ruleset.chain("filter", "INPUT")
    if input_chain is None:        # no filter table loaded: nothing filters, the connection is accepted
        return Verdict(connection, "ACCEPT", (), "no filter table: INPUT accepts everything", frozenset())
    stack: list[tuple[str, int]] = []          # where to come back after a -j
    chain_name, index, steps = "INPUT", 0, 0
    while True:
        chain = ruleset.chain("filter", chain_name)
        rules = chain.rules if chain else []
        if index >= len(rules):               # end of chain
            if chain_name == "INPUT" or not stack:
                return end_of_input(input_chain.policy, connection, path, entered)
            chain_name, index = stack.pop()
            continue
        steps += 1
        if steps > MAX_STEPS:
            return Verdict(connection, "UNDECIDABLE", tuple(path), f"more than {MAX_STEPS} rules on the path",
                           frozenset(entered))
        rule = rules[index]
        index += 1
        if port_cache is not None:
            if id(rule) not in port_cache:
                port_cache[id(rule)] = excluded_by_port(rule, connection)
            if port_cache[id(rule)]:
                continue
        judged = rule_matches(rule, connection)
        if judged is False:
            continue
        quote = rule.written or rule.text
        here = Step(chain_name, index, quote, "")
        if judged is not True:
            path.append(replace_effect(here, "cannot judge: " + judged))
            return Verdict(connection, "UNDECIDABLE", tuple(path),
                           f"{chain_name}:{index} `{quote}`: {judged}", frozenset(entered))
        target = rule.target
        if target is None:
            continue
        if target in ("ACCEPT", "DROP", "REJECT"):
            path.append(replace_effect(here, target + (" (closed: dropped, not refused)" if target == "DROP" else "")))
            return Verdict(connection, target, tuple(path), f"{chain_name}:{index} `{quote}`", frozenset(entered))
        if target == "RETURN":
            path.append(replace_effect(here, "RETURN"))
            if chain_name == "INPUT" or not stack:
                return end_of_input(input_chain.policy, connection, path, entered)
            chain_name, index = stack.pop()
            continue
        if ruleset.chain("filter", target) is not None:
            path.append(replace_effect(here, ("goto " if rule.goto else "jump to ") + target))
            entered.add(target)
            if not rule.goto:
                stack.append((chain_name, index))
            if len(stack) > MAX_DEPTH:
                return Verdict(connection, "UNDECIDABLE", tuple(path), f"jumps nest deeper than {MAX_DEPTH}",
                               frozenset(entered))
            chain_name, index = target, 0
            continue
        if target in CONTINUING_TARGETS:
            path.append(replace_effect(here, target + ", continues"))
            continue
        path.append(replace_effect(here, f"target {target} cannot be judged"))
        return Verdict(connection, "UNDECIDABLE", tuple(path),
                       f"{chain_name}:{index} `{quote}`: target {target} cannot be judged", frozenset(entered))


def replace_effect(step: Step, effect: str) -> Step:
    return Step(step.chain, step.index, step.text, effect)


def end_of_input(policy: str, connection: Connection, path: list[Step], entered: set[str]) -> Verdict:
    outcome = "ACCEPT" if policy == "ACCEPT" else "DROP"
    path.append(Step("INPUT", 0, f"policy {policy}", outcome))
    return Verdict(connection, outcome, tuple(path), f"INPUT's policy {policy}", frozenset(entered))


def rule_matches(rule: Rule, connection: Connection) -> bool | str:
    """True, False, or (as text) the condition that cannot be judged. One condition that is False
    decides, whatever the others are: netfilter needs all of them."""
    unjudged = next((f"-m {m}" for m in rule.modules if m not in JUDGED_MODULES), None)
    for match in rule.matches:
        result = condition_holds(match.option, match.values, connection)
        if result is None:
            unjudged = unjudged or ("! " if match.negated else "") + f"{match.option} {' '.join(match.values)}".strip()
            continue
        if result == match.negated:
            return False
    return True if unjudged is None else unjudged


PORT_ONLY = {"-p", "-f", "--dport", "--dports", "--ports", "--state", "--ctstate", "--ctproto", "--syn",
             "--tcp-flags", "--icmp-type", "--icmpv6-type"}


def excluded_by_port(rule: Rule, connection: Connection) -> bool:
    """Whether a condition that depends on the port (and the connection being a new TCP one) alone
    already fails: then no source or interface can make the rule match."""
    for match in rule.matches:
        if match.option in PORT_ONLY:
            result = condition_holds(match.option, match.values, connection)
            if result is not None and result == match.negated:
                return True
    return False


def condition_holds(option: str, values: tuple[str, ...], connection: Connection) -> bool | None:
    """Whether one (not negated) condition holds for the connection; None when it cannot be judged."""
    value = values[0] if values else ""
    if option == "-p":
        return value.lower() in ("tcp", "6", "all", "0")
    if option == "-s":
        return in_networks(connection.source, value)
    if option == "-d":
        return in_networks(connection.destination, value)
    if option == "-i":
        return interface_matches(value, connection.interface)
    if option == "-f":
        return False                            # a SYN is never a second fragment
    if option in ("--dport", "--dports", "--ports"):
        return ports_of(value, option).contains(connection.port)
    if option in ("--state", "--ctstate"):
        return "NEW" in value.split(",")
    if option == "--ctdir":
        return value.upper() == "ORIGINAL"          # the first packet travels in the original direction
    if option == "--ctproto":
        return value.lower() in ("tcp", "6", "all")
    if option == "--syn":
        return True
    if option == "--tcp-flags":
        mask, wanted = (set(v.split(",")) for v in values)
        everything = {"SYN", "ACK", "FIN", "RST", "URG", "PSH", "ECE", "CWR"}
        mask = everything if "ALL" in mask else mask
        wanted = everything if "ALL" in wanted else wanted - {"NONE"}
        return ({"SYN"} & mask) == wanted
    if option in ("--comment", "--icmp-type", "--icmpv6-type"):
        return True if option == "--comment" else False
    return None


@lru_cache(maxsize=4096)
def ports_of(value: str, option: str):
    return parse_ports(value, option, "rule")


@lru_cache(maxsize=4096)
def networks_of(value: str) -> tuple:
    return tuple(ipaddress.ip_network(v, strict=False) for v in value.split(","))


@lru_cache(maxsize=4096)
def address_of(address: str):
    return ipaddress.ip_address(address)


def in_networks(address: str, value: str) -> bool:
    ip = address_of(address)
    return any(ip in net for net in networks_of(value) if net.version == ip.version)


def interface_matches(pattern: str, name: str) -> bool:
    """iptables' -i: a trailing `+` matches every name with that prefix."""
    return name.startswith(pattern[:-1]) if pattern.endswith("+") else name == pattern


# ---- the representative connections ------------------------------------------------------------

def relevant_rules(ruleset: Ruleset, port: int):
    """The filter rules a new TCP connection to `port` can match at all (the port does not rule them out)."""
    probe = Connection(port, "0.0.0.0", "0.0.0.0", OTHER_INTERFACE)
    for chain in ruleset.tables.get("filter", {}).values():
        for rule in chain.rules:
            if not excluded_by_port(rule, probe):
                yield rule


def networks_in(ruleset: Ruleset, option: str, family: int, port: int) -> list:
    found = []
    for rule in relevant_rules(ruleset, port):
        for match in rule.matches:
            if match.option == option:
                found += [net for net in networks_of(match.values[0]) if net.version == family]
    return found


def boundary_points(networks: list, family: int, avoid_loopback: bool = False) -> list:
    """One address in every region the networks cut the address space into: each region begins at
    the space's first address, at a network's first address or just after a network's last."""
    top = (2 ** 32 if family == 4 else 2 ** 128) - 1
    points = {0}
    for net in networks:
        points.add(int(net.network_address))
        if int(net.broadcast_address) < top:
            points.add(int(net.broadcast_address) + 1)
    make = ipaddress.IPv4Address if family == 4 else ipaddress.IPv6Address
    starts = sorted(points)
    found = []
    for start, end in zip(starts, starts[1:] + [top + 1]):
        # the region's second address where it has one (0.0.0.1 rather than 0.0.0.0, 10.0.0.1 rather
        # than 10.0.0.0); for a destination, not a loopback address (::1 is the second address of ::/0)
        candidates = [make(a) for a in (start + 1, start + 2, start, end - 1) if start <= a < end]
        usable = [a for a in candidates if not (avoid_loopback and a.is_loopback)]
        if usable:
            found.append(usable[0])
        elif not avoid_loopback:
            found.append(candidates[0])
    return found


def representative_sources(rulesets: list[Ruleset], family: int, exceptions: list[str], port: int) -> list[str]:
    """Sources outside the exceptions, one per region of the networks the rules that can match mention."""
    excluded = [ipaddress.ip_network(e, strict=False) for e in exceptions]
    mentioned = [n for r in rulesets for n in networks_in(r, "-s", family, port)] + excluded
    return [str(p) for p in boundary_points(mentioned, family) if not any(p in e for e in excluded)]


def representative_destinations(rulesets: list[Ruleset], family: int, port: int) -> list[str]:
    """The host's own address is unknown here: one destination per region, loopback left out (the
    kernel drops a loopback destination arriving on another interface before INPUT)."""
    mentioned = [n for r in rulesets for n in networks_in(r, "-d", family, port)]
    return [str(p) for p in boundary_points(mentioned, family, avoid_loopback=True)][:64]


def representative_interfaces(rulesets: list[Ruleset], port: int) -> list[str]:
    """Every interface a rule that can match names, except loopback, and one no rule names."""
    patterns = sorted({m.values[0] for r in rulesets for rule in relevant_rules(r, port)
                       for m in rule.matches if m.option == "-i"})
    names = {p[:-1] + "0" if p.endswith("+") else p for p in patterns}
    other = OTHER_INTERFACE
    while any(interface_matches(p, other) for p in patterns):
        other += "x"
    return sorted(n for n in names | {other} if not interface_matches("lo", n))


def connections(rulesets: list[Ruleset], family: int, port: int, exceptions: list[str]) -> list[Connection]:
    sources = representative_sources(rulesets, family, exceptions, port)
    destinations = representative_destinations(rulesets, family, port)
    interfaces = representative_interfaces(rulesets, port)
    return [Connection(port, s, d, i) for s in sources for d in destinations for i in interfaces]


def port_verdicts(ruleset: Ruleset, family: int, port: int, exceptions: list[str],
                  compared_with: Ruleset | None = None) -> list[Verdict]:
    """The verdict for every representative connection to `port` from outside the exceptions."""
    rulesets = [ruleset] + ([compared_with] if compared_with is not None else [])
    cache: dict = {}
    return [evaluate(ruleset, c, cache) for c in connections(rulesets, family, port, exceptions)]
