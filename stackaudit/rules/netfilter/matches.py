"""Whether one rule's conditions hold for one new TCP connection (pure functions): the connection, and
each condition judged True, False or "cannot be judged" (None), as netfilter's matches judge it."""
from __future__ import annotations

import ipaddress
from dataclasses import dataclass, replace
from functools import lru_cache

from stackaudit.parsers.iptables_model import Rule, parse_ports
from stackaudit.parsers.numbers import read_c_unsigned

# Modules whose conditions condition_holds judges; any other -m module is judged neither way (set, limit,
# mark, connlimit, ...): the walk then tries both ways.
JUDGED_MODULES = {"tcp", "udp", "multiport", "conntrack", "state", "comment", "icmp", "icmp6", "addrtype", "rt",
                  "recent", "physdev"}
SOURCE_PORT_OPTIONS = {"--sport", "--sports", "--ports", "--ctorigsrcport", "--ctrepldstport"}
ROUTING_HEADER_OPTIONS = {"--rt-type", "--rt-segsleft", "--rt-len", "--rt-0-res", "--rt-0-addrs", "--rt-0-not-strict"}
# `-m physdev` of a packet delivered to the host: no bridge port sends it out, so these never hold (Linux
# net/netfilter/xt_physdev.c); --physdev-in and --physdev-is-in depend on the host's bridges: not judged.
BRIDGED_OUT_OPTIONS = {"--physdev-is-bridged", "--physdev-out", "--physdev-is-out"}
# `-m recent`: --set adds the source and always matches (iptables-extensions(8), "recent"); these only tune it
RECENT_PARAMETERS = {"--name", "--mask", "--rsource", "--rdest", "--seconds", "--hitcount", "--rttl", "--reap"}
OTHER_INTERFACE = "eth-other"


@dataclass(frozen=True)
class Connection:
    port: int
    source: str
    destination: str
    interface: str
    source_port: int | None = None      # None until a rule on the path looks at it (the client chooses it)
    routing_header: int | None = None   # IPv6: the type of the routing header the client sends, segments left 0
    state: str = "NEW"                  # conntrack state: UNTRACKED after raw's NOTRACK or CT --notrack

    def describe(self) -> str:
        # 1.0.0.1 and ::3 (the first addresses a connection can be to) stand for "any of the host's
        # addresses" when no rule names a destination
        to = "" if self.destination in ("1.0.0.1", "::3") else f" (to {self.destination})"
        port = "" if self.source_port is None else f" port {self.source_port}"
        header = "" if self.routing_header is None else \
            f" with a type-{self.routing_header} routing header (segments left 0)"
        return f"new tcp connection from {self.source}{port}{header} to port {self.port} on {self.interface}{to}"


def waits_for_source_port(rule: Rule, connection: Connection) -> bool:
    return connection.source_port is None and any(
        m.option in SOURCE_PORT_OPTIONS and condition_holds(m.option, m.values, connection, m.module) is None
        for m in rule.matches)


def judgement_assumed(rule: Rule, connection: Connection) -> str:
    """What judging the rule takes for granted: the address types (xt_addrtype.c, Linux), the routing header."""
    options = {m.option for m in rule.matches}
    notes = []
    if "rt" in rule.modules and connection.routing_header is None:
        notes.append("the connection carries no routing header, which -m rt never matches")
    if "--src-type" in options:
        notes.append("the host routes the source as unicast (no blackhole, unreachable or prohibit route to it)")
    if "--limit-iface-in" in options and "--dst-type" in options:
        notes.append("the address connected to is on the interface the connection arrives on")
    return "; ".join(notes)


def rule_matches(rule: Rule, connection: Connection) -> bool | str:
    """True, False, or (as text) the condition that cannot be judged. One condition that is False
    decides, whatever the others are: netfilter needs all of them."""
    if "rt" in rule.modules and connection.routing_header is None:
        return False        # ip6t_rt.c: without a routing header the match fails, `!` or not
    unjudged = next((f"-m {m}" for m in rule.modules if m not in JUDGED_MODULES), None)
    for match in rule.matches:
        result = condition_holds(match.option, match.values, connection, match.module)
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
    already fails: then no source, source port or interface can make the rule match."""
    probe = connection if connection.source_port is None else replace(connection, source_port=None)
    for match in rule.matches:
        if match.option in PORT_ONLY:
            result = condition_holds(match.option, match.values, probe, match.module)
            if result is not None and result == match.negated:
                return True
    return False


def condition_holds(option: str, values: tuple[str, ...], connection: Connection,
                    module: str | None = None) -> bool | None:
    """Whether one (not negated) condition holds for the connection; None when it cannot be judged."""
    value = values[0] if values else ""
    if option == "-p":
        return value.lower() in ("tcp", "6", "all", "0")
    if option in ("-s", "--ctorigsrc", "--ctrepldst"):
        return in_networks(connection.source, value)
    if option in ("-d", "--ctorigdst", "--ctreplsrc"):
        return in_networks(connection.destination, value)
    if option == "-i":
        return interface_matches(value, connection.interface)
    if option == "-f":
        return False                            # a SYN is never a second fragment
    if option in ("--dport", "--dports", "--ctorigdstport", "--ctreplsrcport"):
        return ports_of(value, option).contains(connection.port)
    if option in SOURCE_PORT_OPTIONS:
        if option == "--ports" and ports_of(value, option).contains(connection.port):
            return True                         # multiport --ports: the source or the destination port
        return None if connection.source_port is None else ports_of(value, option).contains(connection.source_port)
    if option in ("--state", "--ctstate"):
        return connection.state in value.split(",")
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
    if option in ("--src-type", "--dst-type"):
        return address_type_holds(option, value, connection)
    if option in BRIDGED_OUT_OPTIONS:
        return False
    if option == "--limit-iface-in":
        return True                             # judged with --dst-type (judgement_assumed says how)
    if option in ROUTING_HEADER_OPTIONS:
        return routing_header_holds(option, value, connection)
    if module == "recent":
        return True if option in RECENT_PARAMETERS or option == "--set" else None
    return None


ADDRESS_TYPES = {"UNSPEC", "UNICAST", "LOCAL", "BROADCAST", "ANYCAST", "MULTICAST", "BLACKHOLE", "UNREACHABLE",
                 "PROHIBIT", "THROW", "NAT", "XRESOLVE"}


def address_type_holds(option: str, value: str, connection: Connection) -> bool | None:
    """`-m addrtype` (iptables-extensions(8), "addrtype"; Linux net/netfilter/xt_addrtype.c) for a connection
    from another host to one of this host's addresses. IPv4 asks the routing table for one type: the
    destination is LOCAL, the source UNICAST (a local, broadcast or multicast source is a martian the kernel
    drops before PREROUTING). IPv6 (match_type6) checks each named type: UNICAST holds for any unicast
    address, LOCAL only for the host's own; MULTICAST and UNSPEC hold for neither."""
    wanted = {t.upper() for t in value.split(",")}
    if not wanted <= ADDRESS_TYPES:
        return None
    is_destination = option == "--dst-type"
    if address_of(connection.destination).version == 4:
        return ("LOCAL" if is_destination else "UNICAST") in wanted
    if wanted & {"MULTICAST", "UNSPEC"}:
        return False
    looked_up = wanted & {"LOCAL", "ANYCAST", "UNREACHABLE"}
    return not looked_up or (is_destination and "LOCAL" in looked_up)


def routing_header_holds(option: str, value: str, connection: Connection) -> bool | None:
    """`-m rt` against the routing header the client sends: type `routing_header`, segments left 0, no
    addresses (8 bytes). rule_matches has already failed the match when there is no header."""
    if option == "--rt-type":
        # libip6t_rt's options are read as xtables_strtoul reads them (base 0); ip6tables refuses the rest
        return read_c_unsigned(value, "-m rt --rt-type", high=255) == connection.routing_header
    if option == "--rt-segsleft":
        low, _, high = value.partition(":")
        return (low != "" and read_c_unsigned(low, "-m rt --rt-segsleft", high=2 ** 32 - 1) == 0) or (
            low == "" and high != "")
    if option == "--rt-len":
        return value == "8"
    if option == "--rt-0-res":
        return True
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
