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
        # 1.0.0.1 and ::3 (the first addresses a connection can be to) stand for "any of the host's
        # addresses" when no rule names a destination
        to = "" if self.destination in ("1.0.0.1", "::3") else f" (to {self.destination})"
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
#
# One connection is tried per class of (source, destination, interface) that the rules able to decide
# the port tell apart. Only rules a new TCP connection to the port can meet count: INPUT's and those of
# the chains INPUT jumps or goes to, transitively, through rules the port does not rule out. A host in
# a security-group zone carries thousands of per-VM rules, all in chains hung off FORWARD (Apache
# CloudStack, scripts/vm/network/security_group.py, https://github.com/apache/cloudstack): they add
# no connection to try.
#
# Addresses no new TCP connection arriving on a non-loopback interface can have are never tried, so a
# rule only they could meet opens nothing:
#  - IPv4, Linux net/ipv4/route.c, ip_route_input_slow (https://github.com/torvalds/linux): a
#    multicast, limited-broadcast or 0.0.0.0/8 source is a martian and dropped, as is a 0.0.0.0/8
#    destination; a 127.0.0.0/8 source or destination is dropped unless route_localnet is set (it is
#    off by default);
#  - a SYN to a broadcast or multicast destination is never answered: RFC 1122 section 4.2.3.10 ("MUST
#    silently discard"); Linux tcp_v4_rcv discards what is not addressed to the host (pkt_type
#    PACKET_HOST) and tcp_v4_conn_request what was routed as broadcast or multicast. The walk cannot
#    know the host's subnets: it leaves out 255.255.255.255 and the broadcast address of every network
#    a rule names as a destination (`-d 10.1.1.0/24` and `-d 10.1.1.255/32`: not 10.1.1.255);
#  - IPv6, Linux net/ipv6/ip6_input.c, ip6_rcv_core, after RFC 4291 sections 2.5.3 and 2.7: a
#    multicast source, and ::1 as source or destination on a non-loopback interface, are dropped;
#    tcp_v6_conn_request (net/ipv6/tcp_ipv6.c) drops a SYN to a multicast destination (ff00::/8) and
#    one from a v4-mapped source; the unspecified address :: is never a destination (RFC 4291 section
#    2.5.2), so no SYN-ACK can answer a SYN from it.
UNDELIVERABLE = {
    ("-s", 4): ("0.0.0.0/8", "127.0.0.0/8", "224.0.0.0/4", "255.255.255.255/32"),
    ("-d", 4): ("0.0.0.0/8", "127.0.0.0/8", "224.0.0.0/4", "255.255.255.255/32"),
    ("-s", 6): ("::/128", "::1/128", "::ffff:0:0/96", "ff00::/8"),
    ("-d", 6): ("::/128", "::1/128", "ff00::/8"),
}
IFNAMSIZ = 15           # the longest interface name Linux allows (IFNAMSIZ 16 with the final NUL)


def port_probe(port: int) -> Connection:
    return Connection(port, "0.0.0.0", "0.0.0.0", OTHER_INTERFACE)


def reachable_chains(ruleset: Ruleset, port: int) -> list[str]:
    """INPUT and the filter chains it jumps or goes to, transitively, through rules the port does not
    rule out: the only chains a new TCP connection to `port` can meet."""
    table = ruleset.tables.get("filter", {})
    probe = port_probe(port)
    found, seen, waiting = [], set(), ["INPUT"]
    while waiting:
        name = waiting.pop()
        if name in seen or name not in table:
            continue
        seen.add(name)
        found.append(name)
        waiting += [rule.target for rule in table[name].rules
                    if rule.target in table and rule.target not in seen and not excluded_by_port(rule, probe)]
    return found


def relevant_rules(ruleset: Ruleset, port: int):
    """The rules on filter/INPUT's path that a new TCP connection to `port` can match at all."""
    table = ruleset.tables.get("filter", {})
    probe = port_probe(port)
    for name in reachable_chains(ruleset, port):
        for rule in table[name].rules:
            if not excluded_by_port(rule, probe):
                yield rule


def networks_in(ruleset: Ruleset, option: str, family: int, port: int) -> list:
    found = []
    for rule in relevant_rules(ruleset, port):
        for match in rule.matches:
            if match.option == option:
                found += [net for net in networks_of(match.values[0]) if net.version == family]
    return found


def undeliverable(option: str, family: int, named: list = ()) -> list:
    """The sources (`-s`) or destinations (`-d`) no new TCP connection can have (see above); `named`:
    the destination networks the rules name, whose broadcast addresses are left out too."""
    networks = [ipaddress.ip_network(n) for n in UNDELIVERABLE[(option, family)]]
    if option == "-d" and family == 4:
        networks += [ipaddress.ip_network(net.broadcast_address) for net in named if net.prefixlen <= 30]
    return networks


def boundary_points(networks: list, family: int, unusable: list = ()) -> list:
    """One address in every region the networks cut the address space into (each region begins at the
    space's first address, at a network's first address or just after a network's last), outside the
    `unusable` networks; a region wholly unusable has none."""
    top = (2 ** 32 if family == 4 else 2 ** 128) - 1
    points = {0}
    for net in networks:
        points.add(int(net.network_address))
        if int(net.broadcast_address) < top:
            points.add(int(net.broadcast_address) + 1)
    blocks = sorted((int(n.network_address), int(n.broadcast_address) + 1) for n in unusable if n.version == family)
    make = ipaddress.IPv4Address if family == 4 else ipaddress.IPv6Address
    starts = sorted(points)
    found = []
    for start, end in zip(starts, starts[1:] + [top + 1]):
        address = first_usable(start, end, blocks)
        if address is not None:
            found.append(make(address))
    return found


def first_usable(start: int, end: int, blocks: list[tuple[int, int]]) -> int | None:
    """In [start, end), the second address of the first run outside the (sorted) blocks, or its only
    address: 0.0.0.1 rather than 0.0.0.0, 10.0.0.1 rather than 10.0.0.0."""
    low = start
    for block_start, block_end in blocks:
        if block_end <= low:
            continue
        if block_start > low:
            break
        low = block_end
    if low >= end:
        return None
    high = min([s for s, _ in blocks if s > low] + [end])
    return low + 1 if low + 1 < high else low


def representative_sources(rulesets: list[Ruleset], family: int, exceptions: list[str], port: int) -> list[str]:
    """Sources outside the exceptions, one per region of the networks the rules that can match mention."""
    excluded = [ipaddress.ip_network(e, strict=False) for e in exceptions]
    mentioned = [n for r in rulesets for n in networks_in(r, "-s", family, port)] + excluded
    return [str(p) for p in boundary_points(mentioned, family, undeliverable("-s", family))
            if not any(p in e for e in excluded)]


def representative_destinations(rulesets: list[Ruleset], family: int, port: int) -> list[str]:
    """The host's own address is unknown here: one destination per region of the networks the rules
    name, none the kernel would not deliver to TCP (see above)."""
    mentioned = [n for r in rulesets for n in networks_in(r, "-d", family, port)]
    unusable = undeliverable("-d", family, mentioned)
    return [str(p) for p in boundary_points(mentioned, family, unusable)][:64]


def representative_interfaces(rulesets: list[Ruleset], port: int) -> list[str]:
    """One interface name per class the `-i` patterns of the rules that can match tell apart: each
    name a rule gives, each `prefix+` followed by a character no pattern continues it with, and one
    name no pattern matches (if any can); never loopback."""
    patterns = {m.values[0] for r in rulesets for rule in relevant_rules(r, port)
                for m in rule.matches if m.option == "-i"}
    exact = {p for p in patterns if not p.endswith("+")}
    prefixes = {p[:-1] for p in patterns if p.endswith("+")}
    names = set(exact)
    for prefix in prefixes:
        names.add(prefix if len(prefix) >= IFNAMSIZ else prefix + unused_character(prefix, exact, prefixes))
    if "" not in prefixes:          # `-i +` matches every name: then no name is "other"
        names.add(other_interface(patterns))
    return sorted(n for n in names if n and not interface_matches("lo", n))


def other_interface(patterns: set[str]) -> str:
    """eth-other, or where a pattern matches it (`eth+`), a name beginning with a character no pattern
    begins with (so none can match it)."""
    if not any(interface_matches(p, OTHER_INTERFACE) for p in patterns):
        return OTHER_INTERFACE
    first = {p[0] for p in patterns if p}
    free = next(c for c in "xyzwvutsrqponmlkjihgfedcba" + "".join(map(chr, range(33, 127))) if c not in first)
    return free + "-other"


def unused_character(prefix: str, exact: set[str], prefixes: set[str]) -> str:
    """A character that, after `prefix`, makes a name no other pattern matches more closely ("eth0"
    for `eth+` unless a rule names eth0 or `eth0+`)."""
    for character in "0123456789abcdefghijklmnopqrstuvwxyz" + "".join(map(chr, range(33, 127))):
        if prefix + character not in exact and prefix + character not in prefixes:
            return character
    raise AssertionError("unreachable: more patterns than characters")


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
