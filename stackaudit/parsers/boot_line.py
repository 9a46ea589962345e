"""A secondary storage VM's storage network: the `mtu=` and `storageip=` words of its boot line
(/var/cache/cloud/cmdline), the MTU its storage NIC has, and the MTUs of its host's devices.

The boot line also holds secrets (`vmpassword=`, `keystore_password=`), so the target prints only the
words this module reads (collect/declared/storage_network.py); nothing else of the line is collected.
"""
from __future__ import annotations

from dataclasses import dataclass

from stackaudit.errors import UnparsableOutput
from stackaudit.parsers.bridges import valid_interface_name
from stackaudit.parsers.numbers import INT32, read_decimal

BOOT_LINE = "/var/cache/cloud/cmdline"
STORAGE_NIC = "eth3"
# The only keys collected; the target's own filter (STORAGE_WORDS_COMMAND) prints no other word.
STORAGE_KEYS = ("mtu", "storageip")


@dataclass(frozen=True)
class StorageBoot:
    """What the SSVM booted with: `mtu=` (None: no such word) and `storageip=` (None or empty: the
    zone gave it no storage network)."""
    mtu: int | None
    mtu_text: str | None
    storage_ip: str | None

    @property
    def has_storage_network(self) -> bool:
        return bool(self.storage_ip)


def boot_word_value(word: str) -> tuple[str, str]:
    """(key, value) of one word as the system VM's parse_cmd_line reads it (apache/cloudstack,
    systemvm/debian/opt/cloud/bin/setup/common.sh): KEY=$(cut -d= -f1), VALUE=$(cut -d= -f2), so the
    value ends at a second `=`, and a word without `=` is its own key and value."""
    if "=" not in word:
        return word, word
    parts = word.split("=")
    return parts[0], parts[1]


def parse_storage_boot(text: str) -> StorageBoot:
    """The words of the boot line whose key is `mtu` or `storageip`, one a line, in the line's order:

        mtu=9000
        storageip=198.18.2.5

    A later word overrides an earlier one, as parse_cmd_line's loop does. SecondaryStorageManagerImpl
    writes `mtu=` from `secstorage.vm.mtu.size` (an int, Integer.toString) and `storageip=` only for a
    storage NIC. A line with any other key is refused without quoting it: the filter on the target
    prints none, and the rest of the boot line holds secrets."""
    values: dict[str, str] = {}
    for number, word in enumerate(text.splitlines(), 1):
        key, value = boot_word_value(word)
        if key not in STORAGE_KEYS:
            raise UnparsableOutput(f"{BOOT_LINE} line {number}: not an mtu= or storageip= word "
                                   "(the collector prints no other word of the boot line)")
        values[key] = value
    mtu_text = values.get("mtu")
    mtu = None if mtu_text is None else read_decimal(
        mtu_text, f"{BOOT_LINE} mtu=", low=INT32[0], high=INT32[1], signs="-", what="an int as Java writes one")
    return StorageBoot(mtu, mtu_text, values.get("storageip"))


def parse_interface_mtu(text: str, interface: str = STORAGE_NIC) -> int:
    """/sys/class/net/<interface>/mtu: one unsigned decimal and a newline (the kernel's `%u`)."""
    return read_decimal(text.strip("\n"), f"/sys/class/net/{interface}/mtu", high=2 ** 32 - 1, what="an MTU")
