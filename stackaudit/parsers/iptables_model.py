"""The rules iptables-restore would load, as parse_iptables_save (iptables.py) gives them (data): a
Ruleset's tables of Chains, each Rule with its Matches and target, and port lists as Ports ranges
(parse_ports). A Chain reads its deferred lines (iptables_rules.py) the first time its rules are asked for."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from stackaudit.errors import UnparsableOutput
from stackaudit.parsers.numbers import read_c_unsigned, reads
from stackaudit.parsers.services import NETBASE_TCP_SERVICES

if TYPE_CHECKING:     # a Deferred line reads its rules with iptables_rules.py, which stands on this module
    from stackaudit.parsers.iptables_rules import Deferred


@dataclass(frozen=True)
class Ports:
    """A port list as ranges; `names` holds service names this reader cannot resolve."""
    ranges: tuple[tuple[int, int], ...] = ()
    names: tuple[str, ...] = ()

    def contains(self, port: int) -> bool | None:
        if any(low <= port <= high for low, high in self.ranges):
            return True
        return None if self.names else False


@dataclass(frozen=True)
class Match:
    """One condition of a rule: `option` (canonical), its values, `!` before it, the module that owns it."""
    option: str
    values: tuple[str, ...]
    negated: bool
    module: str | None


@dataclass(frozen=True)
class Rule:
    chain: str
    text: str                       # as iptables-save prints the rule, without "-A CHAIN " and counters
    target: str | None              # -j or -g target; None: a rule that only counts
    goto: bool = False
    matches: tuple[Match, ...] = ()
    modules: tuple[str, ...] = ()   # -m modules, in order
    target_args: tuple[str, ...] = ()
    written: str = ""               # the rule as the file has it (without counters), for quoting
    key: str = ""                   # text with the matches in one order (they all must hold): same meaning, same key

    def match(self, option: str) -> Match | None:
        return next((m for m in self.matches if m.option == option), None)


class Chain:
    """A chain's policy (ACCEPT/DROP for built-in chains, "-" for user chains) and rules. Rules of lines
    read with `defer` are read the first time `rules` is asked for: a host in a security-group zone has
    tens of thousands in chains no connection to the host meets."""

    def __init__(self, name: str, policy: str, rules: list[Rule] | None = None):
        self.name, self.policy = name, policy
        self._items: list[Rule | Deferred] = list(rules or [])
        self._waiting = False

    @property
    def rules(self) -> list[Rule]:
        if self._waiting:
            read: list[Rule] = []
            for item in self._items:
                read += [item] if isinstance(item, Rule) else item.rules()     # else a Deferred line
            self._items, self._waiting = read, False
        return self._items            # type: ignore[return-value]

    def append(self, rules: list[Rule]) -> None:
        self._items += rules

    def defer(self, line: Deferred) -> None:
        self._items.append(line)
        self._waiting = True

    def __eq__(self, other) -> bool:
        return isinstance(other, Chain) and (self.name, self.policy, self.rules) == (other.name, other.policy, other.rules)

    def __repr__(self) -> str:
        return f"Chain({self.name!r}, {self.policy!r}, {len(self._items)} rules)"


@dataclass
class Ruleset:
    tables: dict[str, dict[str, Chain]] = field(default_factory=dict)
    # (table, chain, words) of the lines read with `defer`: what another text may repeat unread
    deferred: set[tuple] = field(default_factory=set, compare=False, repr=False)

    def chain(self, table: str, name: str) -> Chain | None:
        return self.tables.get(table, {}).get(name)

    def calls(self, table: str, chain: str, target: str, depth: int = 0) -> bool:
        """Whether `chain`, or a chain it jumps or goes to, has a rule sending packets to `target`."""
        if depth > 32:
            return False
        for rule in (self.chain(table, chain) or Chain(chain, "-")).rules:
            if rule.target == target:
                return True
            if rule.target in self.tables.get(table, {}) and rule.target != chain:
                if self.calls(table, rule.target, target, depth + 1):
                    return True
        return False


def parse_ports(value: str, option: str, where: str) -> Ports:
    """`22`, `ssh`, `5900:6100`, `:1024`, `1024:` and comma lists of them (multiport: at most 15)."""
    parts = value.split(",")
    if len(value) >= 1024:   # iptables-restore: "Parameter too long!" (its 1,024-byte parameter buffer)
        raise UnparsableOutput(f"{where}: {option} {value[:40]!r}: longer than iptables-restore reads")
    if len(parts) > 15 or (len(parts) > 1 and option in ("--dport", "--sport")):
        raise UnparsableOutput(f"{where}: {option} {value[:40]!r}: too many ports")
    ranges, names = [], []
    for part in parts:
        ends = part.split(":")
        if len(ends) > 2:
            raise UnparsableOutput(f"{where}: {option} {value[:40]!r}: bad range {part[:20]!r}")
        numbers = []
        for index, end in enumerate(ends):
            if end == "" and len(ends) == 2:
                numbers.append(0 if index == 0 else 65535)
            elif reads(read_c_unsigned, end, high=65535):   # xtables_parse_port: a number first
                numbers.append(read_c_unsigned(end, where, high=65535))
            elif end in NETBASE_TCP_SERVICES:
                numbers.append(NETBASE_TCP_SERVICES[end])
            elif re.fullmatch(r"[A-Za-z][A-Za-z0-9_.+-]*", end) and len(ends) == 1:
                names.append(end)
            else:
                raise UnparsableOutput(f"{where}: {option} {value[:40]!r}: {end[:20]!r} is not a port")
        if len(numbers) == 1:
            ranges.append((numbers[0], numbers[0]))
        elif len(numbers) == 2:
            if numbers[0] > numbers[1]:
                raise UnparsableOutput(f"{where}: {option} {value[:40]!r}: invalid port range (min > max)")
            ranges.append((numbers[0], numbers[1]))
    return Ports(tuple(ranges), tuple(names))
