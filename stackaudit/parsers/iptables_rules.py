"""One rule line (the words after `-A CHAIN`) read as iptables reads it and kept as iptables-save prints
it (Rule.text, iptables_forms.py): parse_rules, read once per line (loaded_rules), or when its chain's
rules are first asked for (Deferred)."""
from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

from stackaudit.errors import UnparsableOutput
from stackaudit.parsers.iptables_forms import (BASE_ORDER, PROTOCOL_NUMBERS, SAVE_ORDER, STATEFUL_MODULES, SYN_FLAGS,
                                              icmp_type, protocol_name, reject_with, saved_string,
                                              saved_target_args, saved_words, states, tcp_flags)
from stackaudit.parsers.iptables_model import Match, Rule, parse_ports
from stackaudit.parsers.iptables_options import (ALIASES, FREE_TEXT, PROTOCOL_MODULES, MatchBlock,
                                                 RuleReading, full_option, option_place, record_option,
                                                 split_inline_value, value_count)

# Targets iptables ships as extensions (iptables-extensions(8)); any other upper-case name is an
# extension this reader does not know (the evaluator cannot judge it).
BUILTIN_TARGETS = {"ACCEPT", "DROP", "RETURN", "QUEUE"}
# `-6` in iptables-restore's input, `-4` in ip6tables-restore's: the line is skipped, not refused
OTHER_FAMILY = {4: ("-6", "--ipv6"), 6: ("-4", "--ipv4")}
NEEDS_QUOTES = re.compile(r'[\s"\'\\]')


@dataclass(frozen=True)
class Deferred:
    """A rule line whose reading waits until its chain's rules are asked for (parse_iptables_save's
    `defer`): the words after the chain, and the chains of the table among them when it was read."""
    chain: str
    words: tuple[str, ...]
    declared: frozenset[str]
    where: str
    family: int

    def rules(self) -> list[Rule]:
        return loaded_rules(self.chain, list(self.words), self.declared, self.where, self.family)


# A check reads a host's running rules and its persisted file, nearly always the same lines: each line's
# rules are read once (a security-group host has tens of thousands). Rules are never changed after
# reading, so both rulesets share them. Bounded: the oldest entries go first.
_LOADED: dict[tuple, tuple[Rule, ...]] = {}
LOADED_KEPT = 65_536


def loaded_rules(chain: str, words: list[str], table: dict, where: str, family: int = 4) -> list[Rule]:
    """parse_rules, once per line: its rules depend on the words, the chain, the family and which of
    the words name a chain of the table (the target), never on where the line is."""
    key = (chain, tuple(words), family, frozenset(word for word in words if word in table))
    rules = _LOADED.get(key)
    if rules is None:
        rules = tuple(parse_rules(chain, words, table, where, family))
        if len(_LOADED) >= LOADED_KEPT:
            del _LOADED[next(iter(_LOADED))]
        _LOADED[key] = rules
    return list(rules)


def parse_rules(chain: str, words: list[str], table: dict, where: str, family: int = 4) -> list[Rule]:
    """One rule's matches and target, checked as iptables checks them before loading. iptables reads
    the whole line with getopt: an option after `-j TARGET` that the target does not know is a match
    (`-j ACCEPT -p tcp --dport 22` accepts tcp/22 only). A rule with several -s or -d addresses is
    loaded as one rule per address pair, as iptables loads it."""
    reading, i, negate = RuleReading(), 0, False
    while i < len(words):
        word, inline = split_inline_value(words[i])
        if word == "!":
            if negate:
                raise UnparsableOutput(f"{where}: '! !' in a rule")
            negate, i = True, i + 1
            continue
        if not word.startswith("-") or word == "-":
            raise UnparsableOutput(f"{where}: unexpected word {word[:30]!r} (bad argument)")
        word = ALIASES.get(word) or full_option(word, reading, where)
        if word in OTHER_FAMILY[family]:
            return []                  # iptables-restore ignores a line meant for the other family (xshared.c)
        if word in ("-j", "-g"):
            if reading.target is not None:
                raise UnparsableOutput(f"{where}: multiple -j flags not allowed")
            if i + 1 >= len(words) or words[i + 1].startswith("-"):
                raise UnparsableOutput(f"{where}: {word} with no target")
            reading.target, reading.goto = words[i + 1], word == "-g"
            reading.target_is_chain = reading.target in table
            check_target(reading.target, reading.goto, table, where)
            i += 2
            continue
        owner = option_place(word, reading, where)
        count = value_count(word, owner, reading.target, words, i, inline)
        values = (inline,) if inline is not None else tuple(words[i + 1:i + 1 + count])
        if len(values) < count or any(v.startswith("-") and not re.fullmatch(r"-[0-9]+", v) and word not in FREE_TEXT
                                      for v in values):
            raise UnparsableOutput(f"{where}: option {word[:30]} needs {count} value(s)")
        i += 1 + (count if inline is None else 0)
        record_option(reading, word, values, negate, owner, where)
        negate = False
    if negate:
        raise UnparsableOutput(f"{where}: '!' at the end of the rule")
    return saved_rules(chain, reading, words, family, where)


def saved_rules(chain: str, reading: RuleReading, words: list[str], family: int, where: str) -> list[Rule]:
    """The rule(s) as iptables-save prints them (iptables_forms.py), with their matches for the evaluator."""
    protocol = reading.protocol()
    for module, name in (("tcp", "TCP"), ("udp", "UDP")):
        if module in reading.modules and PROTOCOL_MODULES.get(protocol or "") != module:
            raise UnparsableOutput(f"{where}: {name} match requires '-p {module}'")
    if reading.target == "REJECT" and reject_with(reading.target_given.get("--reject-with", ("port",))[0], family,
                                                  where) == "tcp-reset" and PROTOCOL_MODULES.get(protocol or "") != "tcp":
        raise UnparsableOutput(f"{where}: REJECT --reject-with tcp-reset needs -p tcp")
    base: list[tuple[str, tuple[str, ...], bool]] = []
    for option in BASE_ORDER:
        if option in reading.base:
            values, negated = reading.base[option]
            base += base_option(option, values, negated, where)
    blocks = saved_blocks(reading.blocks, where)
    target_words: list[str] = []
    if reading.target is not None:
        target_words = ["-g" if reading.goto else "-j", reading.target]
        target_args = saved_target_args(reading.target, reading.target_given, reading.target_order, family, where)
        target_words += saved_words(target_args, FREE_TEXT)
    else:
        target_args = ()
    matches = [Match(option, values, negated, module) for module, options in blocks
               for option, values, negated in options]
    modules = tuple(module for module, _ in blocks)
    block_texts = [" ".join(["-m", module] + option_words(options)) for module, options in blocks]
    # The key leaves out what matches every packet the rule can see: a comment, a protocol's match
    # without options (`-p tcp -m tcp`); and the order of matches that only test the packet.
    meaningful = [text for (module, options), text in zip(blocks, block_texts)
                  if module != "comment" and (options or module not in PROTOCOL_MODULES.values())]
    ordered = meaningful if STATEFUL_MODULES & set(modules) else sorted(meaningful)
    written = " ".join(quoted(w) for w in words)
    sources = [(v, n) for o, v, n in base if o == "-s"] or [None]
    destinations = [(v, n) for o, v, n in base if o == "-d"] or [None]
    rules = []
    for source in sources:
        for destination in destinations:
            own = [(o, v, n) for o, v, n in base if o not in ("-s", "-d")]
            chosen = [("-s", *source)] if source else []
            chosen += [("-d", *destination)] if destination else []
            head = option_words(chosen + own)
            text = " ".join(head + block_texts + target_words)
            key = " ".join(head + ordered + target_words)
            rule_matches = tuple(Match(o, v, n, None) for o, v, n in chosen + own) + tuple(matches)
            rules.append(Rule(chain, text, reading.target, reading.goto, rule_matches, modules, target_args,
                              written, key))
    return rules


def base_option(option: str, values: tuple[str, ...], negated: bool, where: str) -> list:
    """iptables' own option as saved: -s/-d one entry per address (the rule is loaded once per pair),
    a network that is every address and `-p all` left out."""
    if option in ("-s", "-d"):
        networks = [network(v, where) for v in values[0].split(",")]
        if negated and len(networks) > 1:
            raise UnparsableOutput(f"{where}: ! not allowed with multiple source or destination IP addresses")
        if any(n.prefixlen == 0 for n in networks):
            if negated:
                raise UnparsableOutput(f"{where}: ! {option} {values[0][:40]} would never match")
            return []
        return [(option, (str(n),), negated) for n in networks]
    if option == "-p":
        name = protocol_name(values[0], where)
        if name is None:
            if negated:
                raise UnparsableOutput(f"{where}: rule would never match protocol")
            return []
        return [(option, (name,), negated)]
    return [(option, values, negated)]


def saved_blocks(blocks: list[MatchBlock], where: str) -> list[tuple[str, list]]:
    """Each module with its options as saved; the tcp and udp matches are one each (iptables-nft reads
    them back from the packet's header fields as one match)."""
    saved: list[tuple[str, list]] = []
    for block in blocks:
        options = [saved_option(block.module, o, v, n, where) for o, v, n in block.options]
        merged = next((s for s in saved if s[0] == block.module), None) if block.module in ("tcp", "udp") else None
        if merged is not None:
            merged[1].extend(options)
        else:
            saved.append((block.module, options))
    for module, options in saved:
        order = SAVE_ORDER.get(module)
        if order:
            options.sort(key=lambda o: order.index(o[0]) if o[0] in order else len(order))
    return saved


def saved_option(module: str, option: str, values: tuple[str, ...], negated: bool, where: str):
    if option == "--syn":
        return "--tcp-flags", SYN_FLAGS, negated
    if option == "--tcp-flags":
        return option, tcp_flags(values[0], values[1], where), negated
    if option in ("--state", "--ctstate"):
        return option, (states(values[0], option, where),), negated
    if option in ("--icmp-type", "--icmpv6-type"):
        return option, (icmp_type(values[0], option, where),), negated
    if option == "--ctproto":
        name = protocol_name(values[0], where)
        return option, (str(PROTOCOL_NUMBERS.get(name, name)) if name else "0",), negated
    return option, canonical_values(option, values, where), negated


def option_words(options) -> list[str]:
    words: list[str] = []
    for option, values, negated in options:
        words += (["!"] if negated else []) + [option, *values]
    return [saved_string(w) if previous in FREE_TEXT else w for previous, w in zip([""] + words, words)]


def quoted(value: str) -> str:
    """A word of the rule as written, in double quotes when it has blanks or quotes."""
    if value and not NEEDS_QUOTES.search(value):
        return value
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def check_plain_target(words: list[str], table, where: str) -> None:
    """For a deferred line: the target after `-j`/`-g`, as iptables-save writes them, checked at once
    (a jump to a chain the text has not declared is refused where the line is)."""
    for option, target in zip(words, words[1:]):
        if option in ("-j", "-g"):
            check_target(target, option == "-g", table, where)


def check_target(target: str, goto: bool, table: dict, where: str) -> None:
    if target in table or target in BUILTIN_TARGETS:
        if goto and target not in table:
            raise UnparsableOutput(f"{where}: -g {target} is not a chain")
        return
    if goto or not re.fullmatch(r"[A-Z][A-Z0-9_]*", target):
        raise UnparsableOutput(f"{where}: jump to undeclared chain {target[:30]!r} (iptables: Couldn't load target)")


def canonical_values(option: str, values: tuple[str, ...], where: str) -> tuple[str, ...]:
    if option in ("-s", "-d"):
        return (",".join(str(network(v, where)) for v in values[0].split(",")),)
    if option in ("--dport", "--sport", "--dports", "--sports", "--ports"):
        ports = parse_ports(values[0], option, where)
        return (",".join(f"{a}" if a == b else f"{a}:{b}" for a, b in ports.ranges) +
                ("," if ports.ranges and ports.names else "") + ",".join(ports.names),)
    return values


def network(value: str, where: str):
    """An address or network; a mask (`/255.0.0.0`, `/ffff:ffff::`) as the prefix length iptables-save
    prints for it. A mask that is no prefix (`/255.0.255.0`) is not read here."""
    address, _, mask = value.partition("/")
    try:
        if ":" in mask:
            bits = int(ipaddress.IPv6Address(mask))
            length = bin(bits).count("1")
            if bits != (2 ** 128 - 1) ^ (2 ** (128 - length) - 1):
                raise ValueError(mask)
            value = f"{address}/{length}"
        return ipaddress.ip_network(value, strict=False)
    except ValueError:
        raise UnparsableOutput(f"{where}: {value[:50]!r} is not an address or network") from None
