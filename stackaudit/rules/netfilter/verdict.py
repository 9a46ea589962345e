"""The verdict for one connection: every way the client may choose (its source port, an IPv6 routing
header) and every answer to the conditions the walk cannot judge, each walked (walk.py) and combined
into one ConnectionVerdict; a nat rule that sends other ports here makes a closed port undecidable."""
from __future__ import annotations

from dataclasses import replace

from stackaudit.errors import UnparsableOutput
from stackaudit.parsers.iptables_model import Ports, Rule, Ruleset
from stackaudit.rules.netfilter.matches import SOURCE_PORT_OPTIONS, Connection, address_of, ports_of
from stackaudit.rules.netfilter.walk import (ConnectionVerdict, Forks, NeedsSourcePort, incoming_rules, place,
                                             walk)

# The IPv6 routing headers a client can send to this host, beside none: with segments left 0 the kernel
# ignores a type 0 (RFC 5095) or an unknown type such as 253 (RFC 8200 section 4.4; Linux
# net/ipv6/exthdrs.c ipv6_rthdr_rcv) and delivers the packet; it drops a type 2 it did not process.
ROUTING_HEADERS = [None, 0, 253]
USUAL_SOURCE_PORT = 32768
MAX_BRANCHES = 64       # ways through conditions the walk cannot judge, for one connection
MAX_SOURCE_PORTS = 64   # source port ranges the rules tell apart


def evaluate(ruleset: Ruleset, connection: Connection, port_cache: dict | None = None) -> ConnectionVerdict:
    """What the connection meets from raw PREROUTING to security INPUT. `port_cache` (one per port)
    remembers which rules the port alone rules out, for many connections to one port.

    What the client chooses is tried every way the rules tell apart, and the port is open if one way opens
    it; what depends on state the walk cannot see is tried both ways (branches)."""
    cache = {} if port_cache is None else port_cache
    verdict = chosen_verdict(ruleset, connection, cache)
    if "redirected here" not in cache:
        cache["redirected here"] = redirection_to(ruleset, connection.port)
    if cache["redirected here"] and kind(verdict.outcome) == "closed":
        return ConnectionVerdict(connection, "UNDECIDABLE", verdict.path, f"{cache['redirected here']} sends connections "
                       f"addressed to other ports to tcp {connection.port}; the walk does not follow them (closed as "
                       f"addressed: {verdict.reason})", verdict.chains, verdict.assumed)
    return verdict


def chosen_verdict(ruleset: Ruleset, connection: Connection, cache: dict) -> ConnectionVerdict:
    try:
        verdict, header_seen = branches(ruleset, connection, cache)
        if not header_seen or connection.routing_header is not None or \
                address_of(connection.destination).version == 4:
            return verdict
        choices = [replace(connection, routing_header=header) for header in ROUTING_HEADERS]
    except NeedsSourcePort:
        choices = client_choices(ruleset, connection, cache)
        if choices is None:
            return ConnectionVerdict(connection, "UNDECIDABLE", (), f"the rules tell more than {MAX_SOURCE_PORTS} source "
                           "port ranges apart", frozenset())
    return best_choice([branches(ruleset, choice, cache)[0] for choice in choices])


def redirection_to(ruleset: Ruleset, port: int) -> str:
    """The first nat rule (outside OUTPUT and POSTROUTING) that may send a connection addressed to another
    port to `port` (REDIRECT --to-ports, DNAT --to-destination ...:port), quoted; "" when none."""
    for name, chain in ruleset.tables.get("nat", {}).items():
        if name in ("OUTPUT", "POSTROUTING", "INPUT"):
            continue
        for index, rule in enumerate(chain.rules, 1):
            translated = translated_ports(rule)
            addressed = rule.match("--dport") or rule.match("--dports")
            only_here = addressed is not None and not addressed.negated and \
                ports_of(addressed.values[0], addressed.option).ranges == ((port, port),)
            if translated is not None and translated.contains(port) and not only_here:
                return f"{place('nat', name, index)} `{rule.written or rule.text}`"
    return ""


def translated_ports(rule: Rule):
    """The ports a REDIRECT or DNAT rule sends connections to (iptables-extensions(8): `--to-ports port[-port]`,
    `--to-destination [ipaddr[-ipaddr]][:port[-port]]`, IPv6 addresses in brackets); None when it keeps the
    port or is no such rule."""
    args = dict(zip(rule.target_args[::2], rule.target_args[1::2]))
    if rule.target == "REDIRECT" and "--to-ports" in args:
        ports = args["--to-ports"]
    elif rule.target == "DNAT" and "--to-destination" in args:
        address, colon, ports = args["--to-destination"].rpartition("]")[2].rpartition(":")
        if not colon or (":" in address and not args["--to-destination"].startswith("[")):
            return None                 # no port given (or a bare IPv6 address): the port is kept
    else:
        return None
    try:
        return ports_of(ports.replace("-", ":"), "--to-ports")
    except UnparsableOutput:            # not a port iptables would take: it may be any
        return Ports(((0, 65535),))


def client_choices(ruleset: Ruleset, connection: Connection, cache: dict) -> list[Connection] | None:
    """One connection per source port range the rules tell apart (the client picks its source port), with
    and without an IPv6 routing header where a rule looks at one; None when there are too many."""
    if "source ports" not in cache:
        cache["source ports"] = source_port_points(ruleset, connection)
        cache["routing header"] = any("rt" in rule.modules for rule in incoming_rules(ruleset, connection))
    ports = cache["source ports"]
    if len(ports) > MAX_SOURCE_PORTS:
        return None
    headers = ROUTING_HEADERS if cache["routing header"] and address_of(connection.destination).version == 6 \
        else [None]
    return [replace(connection, source_port=port, routing_header=header) for port in ports for header in headers]


def source_port_points(ruleset: Ruleset, connection: Connection) -> list[int]:
    """The first port of every range the source port conditions cut 1-65535 into."""
    points = {1}
    for rule in incoming_rules(ruleset, connection):
        for match in rule.matches:
            if match.option in SOURCE_PORT_OPTIONS:
                for low, high in ports_of(match.values[0], match.option).ranges:
                    points.update(p for p in (low, high + 1) if 1 <= p <= 65535)
    return sorted(points)


def best_choice(verdicts: list[ConnectionVerdict]) -> ConnectionVerdict:
    """Open if one choice of the client opens the port; closed if every choice closes it."""
    opened = next((v for v in verdicts if v.open), None)
    if opened is not None:
        chosen = [f"the client sends from source port {opened.connection.source_port}"] * (
            opened.connection.source_port is not None)
        if opened.connection.routing_header is not None:
            chosen.append(f"the client sends a type-{opened.connection.routing_header} routing header with segments "
                          "left 0, which Linux ignores (RFC 8200 section 4.4; RFC 5095 for type 0)")
        return replace(opened, assumed=tuple(chosen) + opened.assumed)
    if all(v.outcome in ("DROP", "REJECT") for v in verdicts):
        ports = sorted({v.connection.source_port for v in verdicts} - {None})
        tried = ([f"from {len(ports)} source port ranges"] if ports else []) + (
            ["with and without a routing header"] if any(v.connection.routing_header is not None for v in verdicts)
            else [])
        # the path shown: a client's usual choice, no routing header and a source port from the range
        # Linux picks them in (ip_local_port_range, 32768-60999 by default)
        usual = max((p for p in ports if p <= USUAL_SOURCE_PORT), default=None)
        shown = next(v for v in verdicts if v.connection.source_port == usual and v.connection.routing_header is None)
        return replace(shown, assumed=shown.assumed + (
            "closed whatever the client chooses (tried " + ", ".join(tried) + ")",))
    return next(v for v in verdicts if v.outcome == "UNDECIDABLE")


def branches(ruleset: Ruleset, connection: Connection, cache: dict) -> tuple[ConnectionVerdict, bool]:
    """Every way through the conditions the walk cannot judge, combined into one verdict; and whether a
    rule looked at an IPv6 routing header."""
    pending: list[tuple[bool, ...]] = [()]
    leaves: list[tuple[ConnectionVerdict, Forks]] = []
    header_seen = False
    while pending:
        if len(leaves) >= MAX_BRANCHES:
            _, rule, condition, _ = leaves[0][1].taken[0]
            return ConnectionVerdict(connection, "UNDECIDABLE", leaves[0][0].path, f"more than {MAX_BRANCHES} ways through "
                           f"conditions the walk cannot judge, the first {rule}: {condition}", frozenset()), header_seen
        forks = Forks(pending.pop())
        leaves.append((walk(ruleset, connection, cache, forks), forks))
        header_seen |= forks.routing_header_seen
        answers = tuple(answer for answer, *_ in forks.taken)
        pending += [answers[:i] + (True,) for i in range(len(forks.prefix), len(answers))]
    return combined(leaves), header_seen


def combined(leaves: list[tuple[ConnectionVerdict, Forks]]) -> ConnectionVerdict:
    first, forks = leaves[0]
    if len(leaves) == 1:
        return first
    kinds = {kind(verdict.outcome) for verdict, _ in leaves}
    if kinds in ({"open"}, {"closed"}):
        (same,) = kinds
        notes = tuple(f"{rule}: {condition}: not judged; {same} whether it matches or not"
                      for _, rule, condition, _ in forks.taken)
        return replace(first, assumed=first.assumed + notes)
    own = next((v for v, _ in leaves if v.outcome == "UNDECIDABLE"), None)
    if own is not None:                # a target or a redirection the walk cannot follow, on one of the ways
        return own
    _, rule, condition, at = forks.taken[0]
    outcomes = {answer: " or ".join(sorted({v.outcome for v, f in leaves if f.taken[0][0] == answer}))
                for answer in (True, False)}
    step = replace(first.path[at], effect="cannot judge: " + condition, assumed="")
    return ConnectionVerdict(first.connection, "UNDECIDABLE", first.path[:at] + (step,), f"{rule}: {condition} (not judged: "
                   f"{outcomes[True]} if it matches, {outcomes[False]} if not)", first.chains)


def kind(outcome: str) -> str:
    return {"ACCEPT": "open", "DROP": "closed", "REJECT": "closed"}.get(outcome, "undecidable")
