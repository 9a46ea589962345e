"""The representative new connections to a port, and the verdict for each (pure functions)."""
from __future__ import annotations

import ipaddress

from stackaudit.parsers.iptables_model import Ruleset
from stackaudit.rules.netfilter.matches import OTHER_INTERFACE, Connection, interface_matches, networks_of
from stackaudit.rules.netfilter.verdict import evaluate
from stackaudit.rules.netfilter.walk import ConnectionVerdict, incoming_rules, port_probe

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


def relevant_rules(ruleset: Ruleset, port: int):
    """The rules on the incoming path that a new TCP connection to `port` can match at all."""
    return incoming_rules(ruleset, port_probe(port))


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
                  compared_with: Ruleset | None = None) -> list[ConnectionVerdict]:
    """The verdict for every representative connection to `port` from outside the exceptions."""
    rulesets = [ruleset] + ([compared_with] if compared_with is not None else [])
    cache: dict = {}
    return [evaluate(ruleset, c, cache) for c in connections(rulesets, family, port, exceptions)]
