"""What a new TCP connection to a port meets on its way to the host's own socket, walked as netfilter walks it
(pure functions).

netfilter (iptables(8), "TARGETS"; iptables-extensions(8)) takes the rules of a chain in order. A rule
matches when all its conditions hold; its target then decides: ACCEPT, DROP and REJECT end the walk of the
chain, `-j CHAIN` enters a user chain and comes back after it (at its end or at RETURN), `-g CHAIN` enters it
without coming back (its end then returns to the chain that jumped last), RETURN in a built-in chain or the
end of a built-in chain applies its policy. LOG and NFLOG (and the other non-terminating targets below) let
the packet go on.

A new incoming connection meets the built-in chains of several tables, in this order (iptables(8), "TABLES";
the netfilter packet flow, https://en.wikipedia.org/wiki/Netfilter#/media/File:Netfilter-packet-flow.svg):
raw PREROUTING, (conntrack), mangle PREROUTING, nat PREROUTING, routing, mangle INPUT, filter INPUT, security
INPUT. A DROP or REJECT in any of them closes the port; an ACCEPT outside filter only ends that table's chain,
and the packet goes on to the next. A DNAT or REDIRECT in nat PREROUTING sends the connection somewhere else
than the port it was addressed to: the walk does not follow it (UNDECIDABLE, naming the rule).

The connection is the first packet of a new TCP connection (a SYN, conntrack state NEW), arriving on one
interface that is not loopback, from one source address, to one of the host's addresses. What the client
chooses (its source port, an IPv6 routing header the kernel ignores) is tried every way the rules tell apart:
the port is open if one choice opens it. A condition that depends on state the walk cannot see (an ipset's
members, a rate, a mark, a `recent` list ...) is walked both ways, at most MAX_BRANCHES ways in all: if every
way gives the same answer, that answer is certain and the evidence says what was not judged; if they differ,
the verdict is UNDECIDABLE, naming the rule, and a check reports "not checked", never "passed".
"""
from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field, replace
from functools import lru_cache

from stackaudit.errors import UnparsableOutput
from stackaudit.parsers.iptables import Ports, Rule, Ruleset, parse_ports
from stackaudit.parsers.numbers import read_c_unsigned

# Targets that do not end the walk (iptables-extensions(8), "TARGET EXTENSIONS"); any other extension
# target is undecidable.
CONTINUING_TARGETS = {"LOG", "NFLOG", "ULOG", "TRACE", "AUDIT", "MARK", "CONNMARK", "CLASSIFY", "TCPMSS",
                      "CHECKSUM", "DSCP", "TOS", "TTL", "HL", "NOTRACK", "CT", "SET", "IDLETIMER", "LED",
                      "SECMARK", "CONNSECMARK"}
# Modules whose conditions condition_holds judges; any other -m module is judged neither way (set, limit,
# mark, connlimit, ...): the walk then tries both ways.
JUDGED_MODULES = {"tcp", "udp", "multiport", "conntrack", "state", "comment", "icmp", "icmp6", "addrtype", "rt",
                  "recent", "physdev"}
# The built-in chains a new incoming connection meets, in order (module docstring).
INCOMING_PATH = (("raw", "PREROUTING"), ("mangle", "PREROUTING"), ("nat", "PREROUTING"), ("mangle", "INPUT"),
                 ("filter", "INPUT"), ("security", "INPUT"))
# Targets that send the connection to another address or port than the one it was addressed to.
REDIRECTING_TARGETS = {"DNAT", "REDIRECT", "NETMAP", "TPROXY"}
SOURCE_PORT_OPTIONS = {"--sport", "--sports", "--ports", "--ctorigsrcport", "--ctrepldstport"}
ROUTING_HEADER_OPTIONS = {"--rt-type", "--rt-segsleft", "--rt-len", "--rt-0-res", "--rt-0-addrs", "--rt-0-not-strict"}
# `-m physdev` of a packet delivered to the host: no bridge port sends it out, so these never hold (Linux
# net/netfilter/xt_physdev.c); --physdev-in and --physdev-is-in depend on the host's bridges: not judged.
BRIDGED_OUT_OPTIONS = {"--physdev-is-bridged", "--physdev-out", "--physdev-is-out"}
# `-m recent`: --set adds the source and always matches (iptables-extensions(8), "recent"); these only tune it
RECENT_PARAMETERS = {"--name", "--mask", "--rsource", "--rdest", "--seconds", "--hitcount", "--rttl", "--reap"}
# The IPv6 routing headers a client can send to this host, beside none: with segments left 0 the kernel
# ignores a type 0 (RFC 5095) or an unknown type such as 253 (RFC 8200 section 4.4; Linux
# net/ipv6/exthdrs.c ipv6_rthdr_rcv) and delivers the packet; it drops a type 2 it did not process.
ROUTING_HEADERS = [None, 0, 253]
USUAL_SOURCE_PORT = 32768
MAX_DEPTH = 64          # netfilter refuses loops; this bounds a walk over a hand-made ruleset
MAX_STEPS = 100_000
MAX_BRANCHES = 64       # ways through conditions the walk cannot judge, for one connection
MAX_SOURCE_PORTS = 64   # source port ranges the rules tell apart
OTHER_INTERFACE = "eth-other"
NOT_JUDGED = " not judged; "


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


@dataclass(frozen=True)
class Step:
    """A rule the connection matched (or one the walk could not judge): where it is and what its target did."""
    chain: str
    index: int          # 1-based, as `iptables -L --line-numbers` counts
    text: str
    effect: str
    table: str = "filter"
    assumed: str = ""   # what the walk took for granted at this rule

    def place(self) -> str:
        return self.chain if self.table == "filter" else f"{self.table} {self.chain}"

    def line(self) -> str:
        note = f" (assumed: {self.assumed})" if self.assumed else ""
        if self.index == 0:
            return f"{self.place()}'s {self.text} -> {self.effect}{note}"
        return f"{self.place()}:{self.index} `{self.text}` -> {self.effect}{note}"


@dataclass(frozen=True)
class ConnectionVerdict:
    connection: Connection
    outcome: str        # ACCEPT, REJECT, DROP or UNDECIDABLE
    path: tuple[Step, ...]
    reason: str         # the rule (or policy) that decided, or what could not be judged
    chains: frozenset[str]  # user chains the connection entered
    assumed: tuple[str, ...] = ()   # what the verdict rests on beyond the rules (shown in the path's steps too)

    @property
    def open(self) -> bool:
        return self.outcome == "ACCEPT"


class NeedsSourcePort(Exception):
    """A rule on the path looks at the source port, which the connection has not chosen yet."""


@dataclass
class Forks:
    """The answers taken at the conditions the walk cannot judge, in order: the prefix replayed, then "no"."""
    prefix: tuple[bool, ...]
    taken: list[tuple[bool, str, str, int]] = field(default_factory=list)  # (answer, rule, condition, step index)
    routing_header_seen: bool = False

    def decide(self, rule: str, condition: str, at: int) -> bool:
        answer = self.prefix[len(self.taken)] if len(self.taken) < len(self.prefix) else False
        self.taken.append((answer, rule, condition, at))
        return answer


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


def incoming_rules(ruleset: Ruleset, connection: Connection):
    """The rules a new connection to the port may meet (the chains of reachable_chains), less those
    the connection's port and state alone rule out."""
    for table, name in reachable_chains(ruleset, connection.port):
        yield from (rule for rule in ruleset.tables[table][name].rules if not excluded_by_port(rule, connection))


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


def walk(ruleset: Ruleset, connection: Connection, cache: dict, forks: Forks) -> ConnectionVerdict:
    """One way through the tables (INCOMING_PATH), with the answers `forks` gives at conditions the walk
    cannot judge."""
    path: list[Step] = []
    entered: set[str] = set()
    accepted_by = "no filter table: INPUT accepts everything"
    addressed = connection
    for table, builtin in INCOMING_PATH:
        if ruleset.chain(table, builtin) is None or (table == "nat" and connection.state == "UNTRACKED"):
            continue                    # nat sees only tracked connections
        outcome, reason, connection = walk_chain(ruleset, table, builtin, connection, cache, forks, path, entered)
        if outcome != "ACCEPT":
            return finished(addressed, outcome, path, reason, entered)
        if table == "filter":
            accepted_by = reason
    return finished(addressed, "ACCEPT", path, accepted_by, entered)


def finished(connection: Connection, outcome: str, path: list[Step], reason: str, entered: set[str]) -> ConnectionVerdict:
    """The verdict of one way; what a step assumed goes on it too, but for the branches (combined says)."""
    assumed = tuple(dict.fromkeys(step.assumed for step in path if step.assumed and NOT_JUDGED not in step.assumed))
    return ConnectionVerdict(connection, outcome, tuple(path), reason, frozenset(entered), assumed)


def place(table: str, chain: str, index: int) -> str:
    return (chain if table == "filter" else f"{table} {chain}") + f":{index}"


def walk_chain(ruleset: Ruleset, table: str, builtin: str, connection: Connection, cache: dict, forks: Forks,
               path: list[Step], entered: set[str]) -> tuple[str, str, Connection]:
    """The answer of one built-in chain and the chains it jumps to: ACCEPT (on to the next table), DROP,
    REJECT or UNDECIDABLE; why; and the connection as the next table sees it."""
    stack: list[tuple[str, int]] = []          # where to come back after a -j
    chain_name, index, steps = builtin, 0, 0
    while True:
        chain = ruleset.chain(table, chain_name)
        rules = chain.rules if chain else []
        if index >= len(rules):               # end of chain
            if chain_name == builtin or not stack:
                return end_of_chain(ruleset, table, builtin, connection, path)
            chain_name, index = stack.pop()
            continue
        steps += 1
        if steps > MAX_STEPS:
            return "UNDECIDABLE", f"more than {MAX_STEPS} rules on the path", connection
        rule = rules[index]
        index += 1
        key = (id(rule), connection.state)
        if key not in cache:
            cache[key] = excluded_by_port(rule, connection)
        if cache[key]:
            continue
        if "rt" in rule.modules and connection.routing_header is None:
            forks.routing_header_seen = True
        judged = rule_matches(rule, connection)
        quote = rule.written or rule.text
        here = Step(chain_name, index, quote, "", table, judgement_assumed(rule, connection))
        if judged is False:
            if here.assumed:
                path.append(replace(here, effect="no match"))
            continue
        if judged is not True:
            if waits_for_source_port(rule, connection):
                raise NeedsSourcePort
            if not can_change_anything(rule, table):
                continue
            if not forks.decide(f"{place(table, chain_name, index)} `{quote}`", judged, len(path)):
                path.append(replace(here, effect="no match", assumed=f"{judged}{NOT_JUDGED}the same if it matches"))
                continue
            here = replace(here, assumed=f"{judged}{NOT_JUDGED}taken as matching")
        where = f"{place(table, chain_name, index)} `{quote}`"
        target = rule.target
        if target is None:
            continue
        if target in ("ACCEPT", "DROP", "REJECT"):
            effect = {"DROP": "DROP (closed: dropped, not refused)",
                      "ACCEPT": "ACCEPT" if table == "filter" else f"ACCEPT (ends {table} {builtin}; goes on)"}
            path.append(replace(here, effect=effect.get(target, target)))
            return target, where, connection
        if target == "RETURN":
            path.append(replace(here, effect="RETURN"))
            if chain_name == builtin or not stack:
                return end_of_chain(ruleset, table, builtin, connection, path)
            chain_name, index = stack.pop()
            continue
        if ruleset.chain(table, target) is not None:
            path.append(replace(here, effect=("goto " if rule.goto else "jump to ") + target))
            entered.add(target)
            if not rule.goto:
                stack.append((chain_name, index))
            if len(stack) > MAX_DEPTH:
                return "UNDECIDABLE", f"jumps nest deeper than {MAX_DEPTH}", connection
            chain_name, index = target, 0
            continue
        if target in REDIRECTING_TARGETS:
            path.append(replace(here, effect=f"{target}: not followed"))
            return "UNDECIDABLE", (f"{where}: {target} sends the connection elsewhere than tcp {connection.port} "
                                   "as addressed; the walk does not follow it"), connection
        if untracks(rule, table):
            connection = replace(connection, state="UNTRACKED")
            path.append(replace(here, effect=f"{target}, continues untracked (conntrack state UNTRACKED)"))
            continue
        if target in CONTINUING_TARGETS:
            path.append(replace(here, effect=target + ", continues"))
            continue
        path.append(replace(here, effect=f"target {target} cannot be judged"))
        return "UNDECIDABLE", f"{where}: target {target} cannot be judged", connection


def end_of_chain(ruleset: Ruleset, table: str, builtin: str, connection: Connection,
                 path: list[Step]) -> tuple[str, str, Connection]:
    """A built-in chain's policy. INPUT's is always shown; another table's only when it drops."""
    policy = ruleset.chain(table, builtin).policy
    outcome = "ACCEPT" if policy == "ACCEPT" else "DROP"
    if table == "filter" or outcome == "DROP":
        path.append(Step(builtin, 0, f"policy {policy}", outcome, table))
    owner = builtin if table == "filter" else f"{table} {builtin}"
    return outcome, f"{owner}'s policy {policy}", connection


def can_change_anything(rule: Rule, table: str) -> bool:
    """Whether the rule's target matters to the walk: a rule that only counts or logs does not."""
    if rule.target is None:
        return False
    return rule.target not in CONTINUING_TARGETS or untracks(rule, table)


def untracks(rule: Rule, table: str) -> bool:
    return table == "raw" and (rule.target == "NOTRACK" or (rule.target == "CT" and "--notrack" in rule.target_args))


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


def reachable_chains(ruleset: Ruleset, port: int) -> list[tuple[str, str]]:
    """(table, chain) of the built-in chains on INCOMING_PATH and the user chains they jump or go to,
    transitively, through rules the port does not rule out: the only chains a new TCP connection to
    `port` can meet."""
    probe = port_probe(port)
    found, seen = [], set()
    for table_name, builtin in INCOMING_PATH:
        table = ruleset.tables.get(table_name, {})
        waiting = [builtin]
        while waiting:
            name = waiting.pop()
            if (table_name, name) in seen or name not in table:
                continue
            seen.add((table_name, name))
            found.append((table_name, name))
            waiting += [rule.target for rule in table[name].rules
                        if rule.target in table and not excluded_by_port(rule, probe)]
    return found


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
