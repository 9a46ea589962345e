"""systemd socket units on disk: which exist and which are masked (a link to /dev/null)."""
from __future__ import annotations

from dataclasses import dataclass

from stackaudit.errors import UnparsableOutput

LIBVIRTD_SOCKETS = ("libvirtd.socket", "libvirtd-ro.socket", "libvirtd-admin.socket", "libvirtd-tls.socket",
                    "libvirtd-tcp.socket")
# For each unit: its name, where its mask link points (empty: no link), and the first unit file
# systemd would load (empty: none). systemd's unit search path, highest priority first: /etc, then
# /run (`systemctl mask --runtime`), then the vendor directories (systemd.unit(5), "Unit File Load
# Path"); a link to /dev/null in the first two masks the unit. Reading files only: no systemd is asked.
UNIT_DIRS = ("/etc/systemd/system", "/run/systemd/system", "/lib/systemd/system", "/usr/lib/systemd/system")


@dataclass(frozen=True)
class SocketUnit:
    name: str
    installed: bool
    masked: bool


def parse_socket_units(text: str) -> dict[str, SocketUnit]:
    """Lines `UNIT<TAB>MASK LINK TARGET<TAB>UNIT FILE`:

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
