"""One way through the tables a new connection meets (INCOMING_PATH), rule by rule, and the steps and
verdict it leaves (pure functions): the chains the port can reach, the rules it matches, jumps, gotos,
RETURN and policies, and the conditions the walk cannot judge answered as `Forks` says."""
from __future__ import annotations

from dataclasses import dataclass, field, replace

from stackaudit.parsers.iptables_model import Rule, Ruleset
from stackaudit.rules.netfilter.matches import (OTHER_INTERFACE, Connection, excluded_by_port, judgement_assumed,
                                                rule_matches, waits_for_source_port)

# Targets that do not end the walk (iptables-extensions(8), "TARGET EXTENSIONS"); any other extension
# target is undecidable.
CONTINUING_TARGETS = {"LOG", "NFLOG", "ULOG", "TRACE", "AUDIT", "MARK", "CONNMARK", "CLASSIFY", "TCPMSS",
                      "CHECKSUM", "DSCP", "TOS", "TTL", "HL", "NOTRACK", "CT", "SET", "IDLETIMER", "LED",
                      "SECMARK", "CONNSECMARK"}
# The built-in chains a new incoming connection meets, in order (module docstring).
INCOMING_PATH = (("raw", "PREROUTING"), ("mangle", "PREROUTING"), ("nat", "PREROUTING"), ("mangle", "INPUT"),
                 ("filter", "INPUT"), ("security", "INPUT"))
# Targets that send the connection to another address or port than the one it was addressed to.
REDIRECTING_TARGETS = {"DNAT", "REDIRECT", "NETMAP", "TPROXY"}
MAX_DEPTH = 64          # netfilter refuses loops; this bounds a walk over a hand-made ruleset
MAX_STEPS = 100_000
NOT_JUDGED = " not judged; "


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


def incoming_rules(ruleset: Ruleset, connection: Connection):
    """The rules a new connection to the port may meet (the chains of reachable_chains), less those
    the connection's port and state alone rule out."""
    for table, name in reachable_chains(ruleset, connection.port):
        yield from (rule for rule in ruleset.tables[table][name].rules if not excluded_by_port(rule, connection))


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
