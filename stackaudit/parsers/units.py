"""systemd socket units on disk: which exist and which are masked (a link to /dev/null)."""
from __future__ import annotations

from dataclasses import dataclass

from stackaudit.errors import UnparsableOutput

LIBVIRTD_SOCKETS = ("libvirtd.socket", "libvirtd-ro.socket", "libvirtd-admin.socket", "libvirtd-tls.socket",
                    "libvirtd-tcp.socket")
# For each unit: its name, where /etc/systemd/system/UNIT points (empty: no such link), and the
# vendor unit file (empty: not installed). Reading files only: no systemd is asked.
SOCKET_UNITS_COMMAND = (
    "for u in " + " ".join(LIBVIRTD_SOCKETS) + "; do "
    "printf '%s\\t%s\\t%s\\n' \"$u\" \"$(readlink /etc/systemd/system/$u)\" "
    "\"$(ls -d /lib/systemd/system/$u /usr/lib/systemd/system/$u 2>/dev/null | head -n 1)\"; done")


@dataclass(frozen=True)
class SocketUnit:
    name: str
    installed: bool
    masked: bool


def parse_socket_units(text: str) -> dict[str, SocketUnit]:
    """Lines `UNIT<TAB>LINK TARGET<TAB>VENDOR FILE`:

        libvirtd.socket\t/dev/null\t/lib/systemd/system/libvirtd.socket
        libvirtd-tcp.socket\t\t
    """
    units = {}
    for number, line in enumerate(text.splitlines(), 1):
        fields = line.split("\t")
        if len(fields) != 3 or not fields[0].endswith(".socket"):
            raise UnparsableOutput(f"socket units line {number}: expected 'unit<TAB>link<TAB>file', got {line[:80]!r}")
        units[fields[0]] = SocketUnit(fields[0], bool(fields[2]), fields[1] == "/dev/null")
    return units
