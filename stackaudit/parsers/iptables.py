"""iptables-save / ip6tables-save output (also the persisted rules files, which are the same format)."""
from __future__ import annotations

import ipaddress
import shlex
from dataclasses import dataclass, field

from stackaudit.errors import UnparsableOutput

# Options whose value we keep; any other match option makes a rule conditional in a way we do
# not model (an interface, a state, a comment is harmless and is skipped).
HARMLESS_OPTIONS = {"-m", "--match", "--comment", "--reject-with"}


@dataclass(frozen=True)
class Rule:
    chain: str
    text: str                       # the rule as saved, without "-A CHAIN "
    target: str | None              # -j
    protocol: str | None = None
    source: str | None = None       # normalised network, e.g. "fd00:5341:4c41::/64"
    dports: tuple = ()              # ints and (low, high) ranges
    conditions: tuple[str, ...] = ()  # other restrictions (interfaces, negations, unknown matches)

    @property
    def unconditional(self) -> bool:
        """Applies to every packet: no source, no protocol/port, nothing else."""
        return not (self.source or self.protocol or self.dports or self.conditions)


@dataclass
class Chain:
    name: str
    policy: str                     # ACCEPT/DROP for built-in chains, "-" for user chains
    rules: list[Rule] = field(default_factory=list)


@dataclass
class Ruleset:
    tables: dict[str, dict[str, Chain]] = field(default_factory=dict)

    def chain(self, table: str, name: str) -> Chain | None:
        return self.tables.get(table, {}).get(name)

    def jumps(self, table: str, chain: str, target: str) -> bool:
        """`chain` sends every packet to `target`: an unconditional jump, not after an unconditional
        ACCEPT/DROP/REJECT that would end the chain before it."""
        for rule in (self.chain(table, chain) or Chain(chain, "-")).rules:
            if rule.unconditional and rule.target == target:
                return True
            if rule.unconditional and rule.target in ("ACCEPT", "DROP", "REJECT", "RETURN"):
                return False
        return False


def parse_iptables_save(text: str) -> Ruleset:
    """Tables, chains and rules from iptables-save output.

        *filter
        :INPUT ACCEPT [0:0]
        :CLOUDSTACK-SERVICES - [0:0]
        -A INPUT -j CLOUDSTACK-SERVICES
        -A CLOUDSTACK-SERVICES -p tcp -m multiport --dports 16509,16514 -j REJECT --reject-with icmp-port-unreachable
        COMMIT
    """
    ruleset = Ruleset()
    table: dict[str, Chain] | None = None
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        where = f"iptables-save line {number}"
        if not line or line.startswith("#"):
            continue
        if line.startswith("*"):
            table = ruleset.tables.setdefault(line[1:], {})
        elif line == "COMMIT":
            table = None
        elif table is None:
            raise UnparsableOutput(f"{where}: {line[:60]!r} outside a *table ... COMMIT block")
        elif line.startswith(":"):
            parts = line[1:].split()
            if len(parts) < 2:
                raise UnparsableOutput(f"{where}: chain line {line[:60]!r} has no policy")
            table[parts[0]] = Chain(parts[0], parts[1])
        elif line.startswith("-A "):
            rule = parse_rule(line, where)
            if rule.chain not in table:
                raise UnparsableOutput(f"{where}: rule for undeclared chain {rule.chain!r}")
            table[rule.chain].rules.append(rule)
        else:
            raise UnparsableOutput(f"{where}: unexpected line {line[:60]!r}")
    return ruleset


def parse_rule(line: str, where: str) -> Rule:
    try:
        words = shlex.split(line)
    except ValueError:
        raise UnparsableOutput(f"{where}: unbalanced quotes in {line[:60]!r}") from None
    if len(words) < 2:
        raise UnparsableOutput(f"{where}: rule without a chain: {line[:60]!r}")
    chain, text = words[1], line.split(None, 2)[2] if len(words) > 2 else ""
    values: dict = {"target": None, "protocol": None, "source": None, "dports": ()}
    conditions: list[str] = []
    i, negate = 2, False
    while i < len(words):
        word = words[i]
        value = words[i + 1] if i + 1 < len(words) else None
        if word == "!":
            negate = True
            i += 1
            continue
        if word in ("-j", "--jump", "-g", "--goto"):
            values["target"] = value
            i += 2
            # target options (--reject-with ...) follow; they do not restrict the match
            while i < len(words) and words[i].startswith("--") and words[i] in HARMLESS_OPTIONS:
                i += 2
            continue
        takes_value = value is not None and not value.startswith("-")
        if negate:
            conditions.append(f"! {word} {value}" if takes_value else f"! {word}")
        elif word in ("-p", "--protocol"):
            values["protocol"] = value
        elif word in ("-s", "--source"):
            values["source"] = normalise_network(value, where)
        elif word in ("--dport", "--dports", "--destination-port", "--destination-ports"):
            values["dports"] = parse_ports(value, where)
        elif word in HARMLESS_OPTIONS:
            pass
        else:
            conditions.append(f"{word} {value}" if takes_value else word)
        negate = False
        i += 2 if takes_value else 1
    return Rule(chain, text, values["target"], values["protocol"], values["source"], values["dports"],
                tuple(conditions))


def normalise_network(value: str | None, where: str) -> str:
    try:
        return str(ipaddress.ip_network(value or "", strict=False))
    except ValueError:
        raise UnparsableOutput(f"{where}: source {value!r} is not an address or network") from None


def parse_ports(value: str | None, where: str) -> tuple:
    ports = []
    for part in (value or "").split(","):
        try:
            if ":" in part:
                low, high = part.split(":")
                ports.append((int(low), int(high)))
            else:
                ports.append(int(part))
        except ValueError:
            raise UnparsableOutput(f"{where}: port list {value!r} is not numbers and ranges") from None
    return tuple(ports)
