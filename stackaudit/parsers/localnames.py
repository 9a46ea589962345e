"""A server's own names and addresses: `hostname`, /etc/hosts and `ip -o addr show`.

What a name in a configuration file resolves to on that server: its hostname, the names /etc/hosts
maps to loopback or to its own addresses (Debian's installer writes `127.0.1.1 <hostname>`), and
every address its interfaces hold.
"""
from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

from stackaudit.errors import UnparsableOutput

HOSTNAME = re.compile(r"[A-Za-z0-9_](?:[A-Za-z0-9_.-]{0,252})")
# (The interface ends at its first @, possessively: a lazy \S+? before (?:@\S+)? rescans the rest
# of the word at each @, quadratic in a word of @s.)
IP_ADDR_LINE = re.compile(r"[0-9]+:\s+(?P<interface>\S[^\s@]*+)(?:@\S++)?\s+(?P<family>inet6?)\s+"
                          r"(?P<address>[0-9A-Fa-f:.]+)(?:/[0-9]+)?(?:\s.*)?")


@dataclass(frozen=True)
class HostsEntry:
    address: str
    names: tuple[str, ...]


@dataclass(frozen=True)
class OwnNames:
    """What on a server itself a name or address can mean."""
    names: frozenset[str] = frozenset()          # its hostname and /etc/hostname
    addresses: frozenset[str] = frozenset()      # every address of its interfaces
    hosts_file: tuple[HostsEntry, ...] = ()      # /etc/hosts


def parse_hostname(text: str, source: str = "hostname") -> str:
    """`hostname` (the kernel's node name) or /etc/hostname: one name on one line.

        ms1
    """
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    if len(lines) != 1 or not HOSTNAME.fullmatch(lines[0]):
        raise UnparsableOutput(f"{source}: expected one host name, got {text.strip()[:80]!r}")
    return lines[0]


def parse_etc_hosts(text: str) -> list[HostsEntry]:
    """/etc/hosts as glibc's files backend reads it (hosts(5)): an address, then names; `#` starts a
    comment; a line whose first field is no address is skipped, as the resolver skips it.

        127.0.0.1       localhost
        127.0.1.1       ms1.example.org ms1
        ::1             localhost ip6-localhost ip6-loopback
    """
    entries = []
    for line in text.splitlines():
        fields = line.split("#", 1)[0].split()
        if len(fields) < 2:
            continue
        try:
            address = str(ipaddress.ip_address(fields[0].split("%", 1)[0]))
        except ValueError:
            continue
        entries.append(HostsEntry(address, tuple(fields[1:])))
    return entries


def parse_ip_addresses(text: str) -> list[tuple[str, str]]:
    """(interface, address) pairs of `ip -o addr show` (iproute2), one address a line:

        1: lo    inet 127.0.0.1/8 scope host lo\\       valid_lft forever preferred_lft forever
        4: eth0    inet6 fd00::2/64 scope global nodad \\       valid_lft forever preferred_lft forever
    """
    pairs = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        match = IP_ADDR_LINE.fullmatch(line.strip())
        if match is None:
            raise UnparsableOutput(f"ip -o addr show line {number}: expected '<index>: <interface> inet|inet6 "
                                   f"<address>/<prefix> ...', got {line.strip()[:80]!r}")
        try:
            address = str(ipaddress.ip_address(match["address"]))
        except ValueError:
            raise UnparsableOutput(f"ip -o addr show line {number}: {match['address'][:60]!r} is not an "
                                   "address") from None
        pairs.append((match["interface"], address))
    if not pairs:
        raise UnparsableOutput("ip -o addr show: no address at all (not even loopback's)")
    return pairs
