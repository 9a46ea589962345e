"""Host names resolved on a target as its own programs resolve them: `getent ahosts NAME`.

getent ahosts asks getaddrinfo() (AF_UNSPEC) through glibc's NSS, in the order /etc/nsswitch.conf
gives (/etc/hosts, DNS, ...): the resolution a MariaDB or MySQL replica's IO thread makes of its
MASTER_HOST when it connects (the C client library calls getaddrinfo). Exit 2: the name is not
found. Recorded on Debian 12:

    127.0.0.1       STREAM localhost
    127.0.0.1       DGRAM
    127.0.0.1       RAW

Several names go in one section (`lookup_command`), each name's lines indented by one blank and
closed by a line `= <exit code>` of the script's own: no answer can forge another name's end.
"""
from __future__ import annotations

import ipaddress
import re
import shlex

from stackaudit.errors import UnparsableOutput

# What a replica's source may be looked up as: a host name (letters, digits, '-', '_', '.'), never
# anything a shell or getent could read as more than one name or an option.
HOST_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,252}")
END = re.compile(r"= ([0-9]{1,3})")
NOT_FOUND = 2


def is_host_name(text: str) -> bool:
    return HOST_NAME.fullmatch(text) is not None


def lookup_command(names: list[str]) -> str:
    """A small sh program: getent ahosts for each name, its lines indented, then `= <exit code>`."""
    for name in names:
        if not is_host_name(name):
            raise ValueError(f"not a host name: {name[:60]!r}")
    return "; ".join(lookup_of(shlex.quote(name)) for name in names)


def lookup_of(word: str) -> str:
    """getent ahosts of one shell word (a quoted name, or "$variable"), framed as lookup_command frames it."""
    return (f"out=$(getent ahosts {word}); rc=$?; "
            "[ -z \"$out\" ] || printf '%s\\n' \"$out\" | sed 's/^/ /'; printf '= %s\\n' \"$rc\"")


def parse_getent_ahosts(text: str, source: str = "getent ahosts") -> tuple[str, ...]:
    """The distinct addresses of one name's `getent ahosts` lines, in order."""
    addresses: dict[str, None] = {}
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        field = line.split()[0]
        try:
            address = ipaddress.ip_address(field)
        except ValueError:
            raise UnparsableOutput(f"{source} line {number}: expected '<address> STREAM|DGRAM|RAW [name]', "
                                   f"got {line[:80]!r}") from None
        addresses[str(address)] = None
    return tuple(addresses)


def parse_lookups(text: str, names: list[str]) -> dict[str, tuple[str, ...] | None]:
    """Name -> its addresses (None: not found, getent's exit 2), from `lookup_command(names)`'s output."""
    results: dict[str, tuple[str, ...] | None] = {}
    lines: list[str] = []
    for line in text.splitlines():
        if line.startswith(" "):
            lines.append(line[1:])
            continue
        end = END.fullmatch(line)
        if end is None or len(results) >= len(names):
            raise UnparsableOutput(f"getent ahosts: unexpected line {line[:80]!r}")
        name, code = names[len(results)], int(end[1])
        if code not in (0, NOT_FOUND):
            raise UnparsableOutput(f"getent ahosts {name} exited {code}")
        results[name] = parse_getent_ahosts("\n".join(lines), f"getent ahosts {name}") if code == 0 else None
        lines = []
    if lines or len(results) != len(names):
        raise UnparsableOutput(f"getent ahosts: answers for {len(results)} of {len(names)} names (cut short?)")
    return results
