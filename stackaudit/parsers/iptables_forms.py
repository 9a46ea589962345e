"""How iptables-save prints what iptables-restore loaded: one spelling per meaning (pure functions).

A hand-written rules file may spell a rule in many ways iptables-restore accepts; iptables-save prints
the one canonical form of what was loaded (iptables 1.8.9, nf_tables and legacy, checked by loading
each spelling with the real iptables-restore and saving it back; tests/lab/test_iptables_restore.py):

    written:  -A INPUT -j REJECT -p TCP -s 10.0.0.0/255.0.0.0 --destination-port ssh --syn
    saved:    -A INPUT -s 10.0.0.0/8 -p tcp -m tcp --dport 22 --tcp-flags FIN,SYN,RST,ACK SYN
              -j REJECT --reject-with icmp-port-unreachable

iptables-save prints -s, -d, -i, -o, -p, -f first (each with its `!`), then each match module in the
order it was loaded with its options in the module's own order, then -j and the target's options in
the target's order, defaults written out or left out as the target's save function does
(iptables-extensions(8); netfilter.org iptables, extensions/libxt_tcp.c, libipt_REJECT.c,
libip6t_REJECT.c, libxt_LOG.c, libxt_icmp.c, libip6t_icmp6.c). Protocol numbers are printed by their
/etc/protocols name (Debian netbase 6.4).
"""
from __future__ import annotations

from stackaudit.errors import UnparsableOutput
from stackaudit.parsers.numbers import read_c_unsigned, read_or_none

BASE_ORDER = ("-s", "-d", "-i", "-o", "-p", "-f")
# Options of each module in the order its save function prints them; a module not listed keeps the
# order in which the options were written.
SAVE_ORDER = {
    "tcp": ("--sport", "--dport", "--tcp-flags", "--tcp-option"),
    "udp": ("--sport", "--dport"),
    "conntrack": ("--ctstate", "--ctproto", "--ctorigsrc", "--ctorigdst", "--ctreplsrc", "--ctrepldst",
                  "--ctorigsrcport", "--ctorigdstport", "--ctreplsrcport", "--ctrepldstport", "--ctstatus",
                  "--ctexpire", "--ctdir"),
}
# Matches whose order changes what they do (they count or remember packets): kept where written.
STATEFUL_MODULES = {"recent", "limit", "hashlimit", "connlimit", "quota", "statistic", "set", "connbytes"}

# Debian netbase's /etc/protocols, the names getprotobynumber() gives iptables-save.
PROTOCOL_NAMES = {
    0: "ip", 1: "icmp", 2: "igmp", 3: "ggp", 4: "ipencap", 5: "st", 6: "tcp", 8: "egp", 9: "igp", 12: "pup",
    17: "udp", 20: "hmp", 22: "xns-idp", 27: "rdp", 29: "iso-tp4", 33: "dccp", 36: "xtp", 37: "ddp",
    38: "idpr-cmtp", 41: "ipv6", 43: "ipv6-route", 44: "ipv6-frag", 45: "idrp", 46: "rsvp", 47: "gre", 50: "esp",
    51: "ah", 57: "skip", 58: "ipv6-icmp", 59: "ipv6-nonxt", 60: "ipv6-opts", 73: "rspf", 81: "vmtp", 88: "eigrp",
    89: "ospf", 93: "ax.25", 94: "ipip", 97: "etherip", 98: "encap", 103: "pim", 108: "ipcomp", 112: "vrrp",
    115: "l2tp", 124: "isis", 132: "sctp", 133: "fc", 135: "mobility-header", 136: "udplite", 137: "mpls-in-ip",
    138: "manet", 139: "hip", 140: "shim6", 141: "wesp", 142: "rohc", 143: "ethernet"}
# iptables' own names, for a name /etc/protocols does not have (xtables_chain_protos).
XTABLES_PROTOCOLS = {"all": 0, "icmpv6": 58, "mh": 135, "hopopt": 0}
PROTOCOL_NUMBERS = {name: number for number, name in PROTOCOL_NAMES.items()} | XTABLES_PROTOCOLS

TCP_FLAGS = ("FIN", "SYN", "RST", "PSH", "ACK", "URG")
SYN_FLAGS = ("FIN,SYN,RST,ACK", "SYN")          # --syn
STATES = ("INVALID", "NEW", "RELATED", "ESTABLISHED", "UNTRACKED", "SNAT", "DNAT")

ICMP_TYPES = {
    "any": "any", "echo-reply": "0", "destination-unreachable": "3", "network-unreachable": "3/0",
    "host-unreachable": "3/1", "protocol-unreachable": "3/2", "port-unreachable": "3/3",
    "fragmentation-needed": "3/4", "source-route-failed": "3/5", "network-unknown": "3/6", "host-unknown": "3/7",
    "network-prohibited": "3/9", "host-prohibited": "3/10", "TOS-network-unreachable": "3/11",
    "TOS-host-unreachable": "3/12", "communication-prohibited": "3/13", "host-precedence-violation": "3/14",
    "precedence-cutoff": "3/15", "source-quench": "4", "redirect": "5", "network-redirect": "5/0",
    "host-redirect": "5/1", "TOS-network-redirect": "5/2", "TOS-host-redirect": "5/3", "echo-request": "8",
    "router-advertisement": "9", "router-solicitation": "10", "time-exceeded": "11",
    "ttl-zero-during-transit": "11/0", "ttl-zero-during-reassembly": "11/1", "parameter-problem": "12",
    "ip-header-bad": "12/0", "required-option-missing": "12/1", "timestamp-request": "13",
    "timestamp-reply": "14", "address-mask-request": "17", "address-mask-reply": "18"}
ICMP6_TYPES = {
    "destination-unreachable": "1", "no-route": "1/0", "communication-prohibited": "1/1", "beyond-scope": "1/2",
    "address-unreachable": "1/3", "port-unreachable": "1/4", "failed-policy": "1/5", "reject-route": "1/6",
    "packet-too-big": "2", "time-exceeded": "3", "ttl-exceeded": "3", "ttl-zero-during-transit": "3/0",
    "ttl-zero-during-reassembly": "3/1", "parameter-problem": "4", "bad-header": "4/0",
    "unknown-header-type": "4/1", "unknown-option": "4/2", "echo-request": "128", "ping": "128",
    "echo-reply": "129", "pong": "129", "router-solicitation": "133", "router-advertisement": "134",
    "neighbour-solicitation": "135", "neighbor-solicitation": "135", "neighbour-advertisement": "136",
    "neighbor-advertisement": "136", "redirect": "137"}

# REJECT's answers in the order iptables tries them: the value written may be any prefix of a name or
# of its alias, in any case (libipt_REJECT.c, libip6t_REJECT.c).
REJECT_WITH = {
    4: (("icmp-net-unreachable", "net-unreach"), ("icmp-host-unreachable", "host-unreach"),
        ("icmp-proto-unreachable", "proto-unreach"), ("icmp-port-unreachable", "port-unreach"),
        ("icmp-net-prohibited", "net-prohib"), ("icmp-host-prohibited", "host-prohib"),
        ("tcp-reset", "tcp-rst"), ("icmp-admin-prohibited", "admin-prohib")),
    6: (("icmp6-no-route", "no-route"), ("icmp6-adm-prohibited", "adm-prohibited"),
        ("icmp6-addr-unreachable", "addr-unreach"), ("icmp6-port-unreachable", "port-unreach"),
        ("tcp-reset", "tcp-rst"), ("icmp6-policy-fail", "policy-fail"), ("icmp6-reject-route", "reject-route")),
}
REJECT_DEFAULT = {4: "icmp-port-unreachable", 6: "icmp6-port-unreachable"}
LOG_LEVELS = {"emerg": 0, "panic": 0, "alert": 1, "crit": 2, "error": 3, "warning": 4, "notice": 5, "info": 6,
              "debug": 7}
LOG_PREFIX_MAX = 29           # iptables cuts a longer --log-prefix (with a warning)
LOG_FLAGS = ("--log-tcp-sequence", "--log-tcp-options", "--log-ip-options", "--log-uid", "--log-macdecode")

# The options of the targets iptables-extensions(8) describes, with how many values each takes;
# an option neither the target nor a loaded match knows is refused, as iptables refuses it.
TARGET_OPTIONS: dict[str, dict[str, int]] = {
    "ACCEPT": {}, "DROP": {}, "RETURN": {}, "QUEUE": {}, "TRACE": {}, "NOTRACK": {},
    "REJECT": {"--reject-with": 1},
    "LOG": {"--log-level": 1, "--log-prefix": 1} | {flag: 0 for flag in LOG_FLAGS},
    "NFLOG": {"--nflog-group": 1, "--nflog-prefix": 1, "--nflog-range": 1, "--nflog-size": 1,
              "--nflog-threshold": 1},
    "MARK": {"--set-xmark": 1, "--set-mark": 1, "--and-mark": 1, "--or-mark": 1, "--xor-mark": 1},
    "CONNMARK": {"--set-xmark": 1, "--set-mark": 1, "--save-mark": 0, "--restore-mark": 0, "--and-mark": 1,
                 "--or-mark": 1, "--xor-mark": 1, "--nfmask": 1, "--ctmask": 1, "--mask": 1},
    "CT": {"--notrack": 0, "--helper": 1, "--ctevents": 1, "--expevents": 1, "--zone": 1, "--zone-orig": 1,
           "--zone-reply": 1, "--timeout": 1},
    "TCPMSS": {"--set-mss": 1, "--clamp-mss-to-pmtu": 0},
    "DSCP": {"--set-dscp": 1, "--set-dscp-class": 1},
    "TOS": {"--set-tos": 1, "--and-tos": 1, "--or-tos": 1, "--xor-tos": 1},
    "TTL": {"--ttl-set": 1, "--ttl-dec": 1, "--ttl-inc": 1},
    "HL": {"--hl-set": 1, "--hl-dec": 1, "--hl-inc": 1},
    "CLASSIFY": {"--set-class": 1},
    "SET": {"--add-set": 2, "--del-set": 2, "--map-set": 2, "--timeout": 1, "--exist": 0, "--map-mark": 0,
            "--map-prio": 0, "--map-queue": 0},
    "NFQUEUE": {"--queue-num": 1, "--queue-balance": 1, "--queue-bypass": 0, "--queue-cpu-fanout": 0},
    "AUDIT": {"--type": 1},
    "CHECKSUM": {"--checksum-fill": 0},
    "SNAT": {"--to-source": 1, "--random": 0, "--random-fully": 0, "--persistent": 0},
    "DNAT": {"--to-destination": 1, "--random": 0, "--persistent": 0},
    "MASQUERADE": {"--to-ports": 1, "--random": 0, "--random-fully": 0},
    "REDIRECT": {"--to-ports": 1, "--random": 0},
    "IDLETIMER": {"--timeout": 1, "--label": 1, "--alarm": 0},
    "SECMARK": {"--selctx": 1},
    "CONNSECMARK": {"--save": 0, "--restore": 0},
}


def saved_string(value: str) -> str:
    """A free text (comment, log prefix) as iptables-save prints it (xtables_save_string): bare when
    only letters, digits, `_` and `-`, else in double quotes with `"`, `\\` and `'` escaped."""
    if value and all(c.isascii() and (c.isalnum() or c in "_-") for c in value):
        return value
    return '"' + "".join("\\" + c if c in "\"\\'" else c for c in value) + '"'


def protocol_name(value: str, where: str) -> str | None:
    """`-p` as saved: the /etc/protocols name of its number; None for every protocol (all, 0, ip)."""
    written = value.lower()
    if written.isascii() and written.isdigit() and len(written) <= 3 and int(written) <= 255:
        number = int(written)
    elif written in PROTOCOL_NUMBERS:
        number = PROTOCOL_NUMBERS[written]
    else:
        raise UnparsableOutput(f'{where}: unknown protocol "{value[:30]}" specified')
    return None if number == 0 else PROTOCOL_NAMES.get(number, str(number))


def tcp_flags(mask: str, wanted: str, where: str) -> tuple[str, str]:
    def flags(text: str) -> set[str]:
        found = set()
        for flag in text.upper().split(","):
            if flag == "ALL":
                found |= set(TCP_FLAGS)
            elif flag in TCP_FLAGS:
                found.add(flag)
            elif flag != "NONE":
                raise UnparsableOutput(f"{where}: Unknown TCP flag `{flag[:10]}'")
        return found
    return tuple(",".join(f for f in TCP_FLAGS if f in flags(t)) or "NONE" for t in (mask, wanted))


def states(value: str, option: str, where: str) -> str:
    names = {s.upper() for s in value.split(",")}
    allowed = STATES if option == "--ctstate" else STATES[:5]
    if not names <= set(allowed):
        raise UnparsableOutput(f"{where}: {option} {value[:40]!r}: bad state {sorted(names - set(allowed))[0][:15]!r}")
    return ",".join(s for s in allowed if s in names)


def icmp_type(value: str, option: str, where: str) -> str:
    table = ICMP_TYPES if option == "--icmp-type" else ICMP6_TYPES
    if value in table:
        return table[value]
    parts = value.split("/")
    numbers = [read_or_none(read_c_unsigned, p, high=255) for p in parts]   # xtables_strtoui, base 0
    if len(parts) <= 2 and None not in numbers:
        return "/".join(str(n) for n in numbers)
    raise UnparsableOutput(f"{where}: {option} {value[:30]!r}: invalid ICMP type")


def reject_with(value: str, family: int, where: str) -> str:
    written = value.lower()
    for name, alias in REJECT_WITH[family]:
        if name.startswith(written) or alias.startswith(written):
            return name
    raise UnparsableOutput(f'{where}: unknown reject type "{value[:30]}"')


def log_level(value: str, where: str) -> int:
    if value in LOG_LEVELS:
        return LOG_LEVELS[value]
    if value.isascii() and value.isdigit() and len(value) == 1 and int(value) <= 7:
        return int(value)
    raise UnparsableOutput(f'{where}: log level "{value[:20]}" unknown')


def saved_target_args(target: str, given: dict[str, tuple[str, ...]], order: list[str], family: int,
                      where: str) -> tuple[str, ...]:
    """The target's options as iptables-save prints them (defaults written out or left out as it does)."""
    if target == "REJECT":
        answer = reject_with(given["--reject-with"][0], family, where) if "--reject-with" in given \
            else REJECT_DEFAULT[family]
        return ("--reject-with", answer)
    if target == "LOG":
        words: list[str] = []
        if "--log-prefix" in given and given["--log-prefix"][0]:
            words += ["--log-prefix", given["--log-prefix"][0][:LOG_PREFIX_MAX]]
        level = log_level(given["--log-level"][0], where) if "--log-level" in given else 4
        words += ["--log-level", str(level)] if level != 4 else []
        return tuple(words + [flag for flag in LOG_FLAGS if flag in given])
    if target == "NFLOG":
        return nflog_args(given, where)
    if target in ("MARK", "CONNMARK"):
        return mark_args(target, given, order, where)
    return tuple(word for option in order for word in (option, *given[option]))


def nflog_args(given: dict, where: str) -> tuple[str, ...]:
    """NFLOG as iptables-save prints it: prefix, group unless 0, size, threshold; --nflog-range is ignored
    by iptables 1.8.9 (it never reached the kernel)."""
    words: list[str] = []
    if given.get("--nflog-prefix", ("",))[0]:
        words += ["--nflog-prefix", given["--nflog-prefix"][0]]
    group = mark_number(given["--nflog-group"][0], where) if "--nflog-group" in given else 0
    words += ["--nflog-group", str(group)] if group else []
    for option in ("--nflog-size", "--nflog-threshold"):
        words += [option, str(mark_number(given[option][0], where))] if option in given else []
    return tuple(words)


FULL_MASK = 0xFFFFFFFF


def mark_args(target: str, given: dict, order: list[str], where: str) -> tuple[str, ...]:
    """MARK's and CONNMARK's ways of changing a mark, all printed as `--set-xmark value/mask` (zero the
    mask's bits, then xor the value: libxt_MARK.c, libxt_CONNMARK.c); CONNMARK's save and restore with
    their masks written out."""
    if "--save-mark" in given or "--restore-mark" in given:
        mask = given.get("--mask", ("0xffffffff",))[0]
        nfmask, ctmask = (given.get(option, (mask,))[0] for option in ("--nfmask", "--ctmask"))
        return ("--save-mark" if "--save-mark" in given else "--restore-mark", "--nfmask",
                hex(mark_number(nfmask, where)), "--ctmask", hex(mark_number(ctmask, where)))
    option = next((o for o in order if o.endswith("-mark") or o == "--set-xmark"), None)
    if option is None:
        return ()
    value, _, mask_text = given[option][0].partition("/")
    bits = mark_number(value, where)
    mask = mark_number(mask_text, where) if mask_text else FULL_MASK
    value, mask = {"--set-xmark": (bits, mask), "--set-mark": (bits, mask), "--and-mark": (0, FULL_MASK & ~bits),
                   "--or-mark": (bits, bits), "--xor-mark": (bits, 0)}[option]
    return ("--set-xmark", f"{hex(value)}/{hex(mask)}")


def mark_number(text: str, where: str) -> int:
    """A number as strtoul reads it with base 0: 0x.. hexadecimal, 0.. octal, else decimal (32 bits)."""
    return read_c_unsigned(text, where, high=FULL_MASK, what="a mark")


def saved_words(words: tuple[str, ...], free_text: set[str]) -> list[str]:
    """Words of a rule's text, the free texts among them quoted as iptables-save quotes them."""
    shown, quote_next = [], False
    for word in words:
        shown.append(saved_string(word) if quote_next else word)
        quote_next = word in free_text
    return shown
