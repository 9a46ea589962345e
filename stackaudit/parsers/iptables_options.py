"""A rule's words as iptables reads them with getopt (iptables(8), iptables-extensions(8)): which options
take values, the options of each match module, long options by alias or by an unambiguous beginning, and
where each option belongs (iptables' own, a match module, the target). RuleReading holds what has been
read of one rule so far (iptables_rules.py parse_rules)."""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

from stackaudit.errors import UnparsableOutput
from stackaudit.parsers.iptables_forms import TARGET_OPTIONS

# Options that take one value / two values / none (iptables(8), iptables-extensions(8)).
TWO_VALUES = {"--tcp-flags", "-c", "--set-counters", "--match-set"}
FREE_TEXT = {"--comment", "--log-prefix", "--nflog-prefix"}    # a quoted text that may start with "-"
NO_VALUE = {"--syn", "-f", "--fragment", "--rcheck", "--update", "--set", "--remove", "--log-uid",
            "--log-tcp-sequence", "--log-tcp-options", "--log-ip-options", "--physdev-is-in",
            "--physdev-is-out", "--physdev-is-bridged", "--rsource", "--rdest", "--reap", "--nodst",
            "--log-macdecode", "--random", "--random-fully", "--persistent", "--ipv4", "--ipv6", "-4", "-6"}
ALIASES = {"--protocol": "-p", "--source": "-s", "--src": "-s", "--destination": "-d", "--dst": "-d",
           "--in-interface": "-i", "--out-interface": "-o", "--jump": "-j", "--goto": "-g", "--match": "-m",
           "--destination-port": "--dport", "--source-port": "--sport", "--destination-ports": "--dports",
           "--source-ports": "--sports", "--fragment": "-f"}
# Options of the modules this reader knows; an option no loaded module knows is refused by iptables.
MODULE_OPTIONS = {
    "tcp": {"--dport", "--sport", "--tcp-flags", "--syn", "--tcp-option"},
    "udp": {"--dport", "--sport"},
    "multiport": {"--dports", "--sports", "--ports"},
    "conntrack": {"--ctstate", "--ctproto", "--ctorigsrc", "--ctorigdst", "--ctreplsrc", "--ctrepldst",
                  "--ctorigsrcport", "--ctorigdstport", "--ctreplsrcport", "--ctrepldstport", "--ctstatus",
                  "--ctexpire", "--ctdir"},
    "state": {"--state"},
    "comment": {"--comment"},
    "icmp": {"--icmp-type"},
    "icmp6": {"--icmpv6-type"},
}
PROTOCOL_MODULES = {"tcp": "tcp", "6": "tcp", "udp": "udp", "17": "udp", "icmp": "icmp", "1": "icmp",
                    "ipv6-icmp": "icmp6", "icmpv6": "icmp6", "58": "icmp6"}
BASE_OPTIONS = {"-p", "-s", "-d", "-i", "-o", "-f", "-j", "-g", "-m", "-c", "-4", "-6"}


@dataclass
class MatchBlock:
    """One match module as loaded, with its options in the order written: (option, values, negated)."""
    module: str
    options: list[tuple[str, tuple[str, ...], bool]] = field(default_factory=list)


@dataclass
class RuleReading:
    """What has been read of one rule so far (see parse_rules)."""
    base: dict[str, tuple[tuple[str, ...], bool]] = field(default_factory=dict)
    blocks: list[MatchBlock] = field(default_factory=list)
    target: str | None = None
    goto: bool = False
    target_is_chain: bool = False
    target_given: dict[str, tuple[str, ...]] = field(default_factory=dict)
    target_order: list[str] = field(default_factory=list)

    @property
    def modules(self) -> list[str]:
        return [b.module for b in self.blocks]

    def protocol(self) -> str | None:
        values, negated = self.base.get("-p", ((), False))
        return None if negated or not values else values[0].lower()


def split_inline_value(word: str) -> tuple[str, str | None]:
    """getopt_long's `--option=value` (`--dport=22`); iptables' own -p/-s/... are not read that way."""
    if word.startswith("--") and "=" in word:
        option, value = word.split("=", 1)
        if ALIASES.get(option, option) not in BASE_OPTIONS:
            return option, value
    return word, None


def full_option(word: str, reading: RuleReading, where: str) -> str:
    """getopt_long takes any unambiguous beginning of a long option (`--dp` for `--dport`) among the
    options loaded so far: iptables' own, the loaded modules', the target's."""
    if not word.startswith("--"):
        return word
    modules = tuple(reading.modules)
    if any(m not in MODULE_OPTIONS for m in modules):
        return word
    known = long_options(modules, reading.target, PROTOCOL_MODULES.get(reading.protocol() or ""))
    if word in known:
        return word
    found = {ALIASES.get(o, o) for o in known if o.startswith(word)}
    if len(found) > 1:
        raise UnparsableOutput(f"{where}: option '{word[:30]}' is ambiguous")
    return found.pop() if found else word


@lru_cache(maxsize=1024)
def long_options(modules: tuple[str, ...], target: str | None, protocol_module: str | None) -> frozenset[str]:
    """The long options getopt knows once these modules, this target and the protocol's match are loaded."""
    known = set(ALIASES) | {o for m in modules for o in MODULE_OPTIONS[m]} | set(TARGET_OPTIONS.get(target or "", {}))
    return frozenset(known | (MODULE_OPTIONS.get(protocol_module, set()) if protocol_module else set()))


def option_place(option: str, reading: RuleReading, where: str) -> str | None:
    """Where an option belongs: None for iptables' own, "target:" for the target's, else its module."""
    if option in BASE_OPTIONS:
        return None
    if reading.target in TARGET_OPTIONS and option in TARGET_OPTIONS[reading.target]:
        return "target:"
    protocol_module = PROTOCOL_MODULES.get(reading.protocol() or "")
    modules = reading.modules + ([protocol_module] if protocol_module else [])
    try:
        return option_owner(option, modules, where)
    except UnparsableOutput:
        if reading.target is not None and reading.target not in TARGET_OPTIONS and not reading.target_is_chain:
            return "target?"           # an extension target this reader does not know
        raise


def value_count(option: str, owner: str | None, target: str | None, words: list[str], i: int,
                inline: str | None) -> int:
    if owner == "target:":
        return 1 if inline is not None else TARGET_OPTIONS[target][option]
    if owner == "target?" or (owner is not None and owner not in MODULE_OPTIONS):
        # an option of a module or target this reader does not know: its values run to the next option
        count = 0
        while i + 1 + count < len(words) and not words[i + 1 + count].startswith(("-", "!")):
            count += 1
        return count
    if inline is not None:
        return 1
    return 0 if option in NO_VALUE else 2 if option in TWO_VALUES else 1


def record_option(reading: RuleReading, option: str, values: tuple[str, ...], negated: bool, owner: str | None,
                  where: str) -> None:
    if option == "-c":
        return                                        # counters of this rule: not part of it
    if owner in ("target:", "target?"):
        if option in reading.target_given and owner == "target:":
            raise UnparsableOutput(f"{where}: {option} given twice for -j {reading.target}")
        reading.target_given[option] = values
        reading.target_order.append(option)
        return
    if option == "-m":
        if negated:
            raise UnparsableOutput(f"{where}: '!' before -m")
        reading.blocks.append(MatchBlock(values[0]))
        return
    if owner is None:
        if option in reading.base:
            raise UnparsableOutput(f"{where}: multiple {option} flags not allowed")
        reading.base[option] = (values, negated)
        return
    if owner == "multiport" and reading.protocol() not in ("tcp", "6", "udp", "17", "udplite", "sctp", "dccp"):
        raise UnparsableOutput(f"{where}: multiport needs `-p tcp', `-p udp', `-p udplite', `-p sctp' or `-p dccp'")
    block = next((b for b in reversed(reading.blocks) if b.module == owner), None)
    if block is None:                                 # the protocol's match, loaded by its first option
        block = MatchBlock(owner)
        reading.blocks.append(block)
    if option in (o for o, _, _ in block.options) and owner in MODULE_OPTIONS:
        raise UnparsableOutput(f"{where}: only one {option} allowed in one -m {owner}")
    block.options.append((option, values, negated))


def option_owner(option: str, modules: list[str], where: str) -> str | None:
    """The module an option belongs to (None for iptables' own options); unknown options refused
    when every loaded module is one this reader knows."""
    if option in BASE_OPTIONS:
        return None
    for module in reversed(modules):
        if option in MODULE_OPTIONS.get(module, ()):
            return module
    unknown = [m for m in modules if m not in MODULE_OPTIONS]
    if unknown:
        return unknown[-1]
    raise UnparsableOutput(f"{where}: unknown option {option[:30]!r}"
                           + (f" for -m {', '.join(modules)}" if modules else " (no -m module loaded)"))
