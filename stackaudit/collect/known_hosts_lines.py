"""Host keys as OpenSSH writes them, and how a key read from a server stands against known_hosts.

A known_hosts line is `host key-type base64` (OpenSSH's sshd(8), "SSH_KNOWN_HOSTS FILE FORMAT",
https://man.openbsd.org/sshd.8): the host is the bare address on port 22, `[address]:port` on any
other. A fingerprint is written as `ssh-keygen -lf` prints it for such a line:

    256 SHA256:uJ0bTbpVwFZ3iZ1Ma1i0J8Xq5SxZqcB2kq0N1mVbL2w 198.18.1.11 (ED25519)

Which entries hold for a host is paramiko's HostKeys.lookup (plain and hashed `|1|salt|hash`
names alike), and the judgement is the run's own client's (paramiko 5.1, SSHClient.connect): no
entry for the host, the key is unknown; an entry of the key's type with the same key, known; any
other entry, the key changed (paramiko raises BadHostKeyException, the run reports the host broken).
"""
from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

import paramiko

from stackaudit.collect.hostkeys import fingerprint

NEW, KNOWN, CHANGED = "new", "known", "changed"
# ssh-keygen's name for each key type, in the parentheses that end a fingerprint line.
KEY_TYPE_NAMES = {"ssh-ed25519": "ED25519", "ssh-rsa": "RSA", "ecdsa-sha2-nistp256": "ECDSA",
                  "ecdsa-sha2-nistp384": "ECDSA", "ecdsa-sha2-nistp521": "ECDSA"}
# A host name as a known_hosts pattern may hold it: none of its separators (space, comma) or
# wildcards (* ? !), brackets or the hashed-name mark.
HOST_NAME = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9.-]{0,252}[A-Za-z0-9])?")


def known_hosts_name(address: str, port: int) -> str:
    """The host as known_hosts names it: `address` on port 22, `[address]:port` otherwise."""
    return address if port == 22 else f"[{address}]:{port}"


def writable_address(address: str | None) -> bool:
    """Whether `address` (from the API or the inventory) can stand in a known_hosts line as itself:
    an IP address or a plain host name, nothing a pattern would read otherwise."""
    if not address:
        return False
    try:
        ipaddress.ip_address(address)
        return "%" not in address     # a scoped address (fe80::1%eth0) is no known_hosts name
    except ValueError:
        return HOST_NAME.fullmatch(address) is not None


def known_hosts_line(name: str, key: paramiko.PKey) -> str:
    return f"{name} {key.get_name()} {key.get_base64()}"


def fingerprint_line(name: str, key: paramiko.PKey) -> str:
    """As `ssh-keygen -lf` prints the known_hosts line of `name` and `key`."""
    kind = KEY_TYPE_NAMES.get(key.get_name(), key.get_name().upper())
    return f"{key.get_bits()} {fingerprint(key)} {name} ({kind})"


@dataclass(frozen=True)
class Standing:
    """How a key read from a server stands against known_hosts: NEW, KNOWN or CHANGED; `listed`:
    the keys known_hosts gives for the host (what a changed key is shown against)."""
    verdict: str
    listed: tuple[paramiko.PKey, ...] = ()


def listed_keys(known_hosts: paramiko.HostKeys, name: str) -> list[paramiko.PKey]:
    """The key known_hosts gives `name` for each type, in file order: the first entry of a type, the
    one paramiko compares with (HostKeys.lookup), and the first type the one the run asks for first."""
    entries = known_hosts.lookup(name) or {}
    return [entries[key_type] for key_type in dict.fromkeys(entries.keys())]


def standing(listed: list[paramiko.PKey], key: paramiko.PKey) -> Standing:
    if not listed:
        return Standing(NEW)
    if any(k.get_name() == key.get_name() and k == key for k in listed):
        return Standing(KNOWN, tuple(listed))
    return Standing(CHANGED, tuple(listed))
