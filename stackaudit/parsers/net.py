"""Listening TCP sockets, from iproute2's ss."""
from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

from stackaudit.errors import UnparsableOutput

# -H no header, -l listening, -t TCP, -n numeric addresses and ports
LISTEN_COMMAND = "ss -Hltn"

ANY_ADDRESS = "*"


@dataclass(frozen=True)
class Listener:
    address: str                  # "0.0.0.0", "::", "127.0.0.1", or "*" (IPv6 any, also taking IPv4)
    port: int
    interface: str | None = None  # set when the socket is bound to a device (SO_BINDTODEVICE)


def parse_ss_listening(text: str) -> list[Listener]:
    """`ss -Hltn` lines: state, queues, local address:port, peer address:port.

        LISTEN 0      80        127.0.0.1:3306  0.0.0.0:*
        LISTEN 0      128    127.0.0.1%lo:53    0.0.0.0:*
        LISTEN 0      128            [::]:16509    [::]:*
        LISTEN 0      128               *:8250        *:*

    ss prints `[::]` for an IPv6-only wildcard socket and `*` for one that takes IPv4 too.
    """
    listeners = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        fields = line.split()
        where = f"ss line {number}"
        if len(fields) < 5 or fields[0] != "LISTEN":
            raise UnparsableOutput(f"{where}: expected 'LISTEN RECV-Q SEND-Q ADDRESS:PORT PEER', "
                                   f"got {line[:80]!r}")
        listeners.append(parse_local_address(fields[3], where))
    return listeners


def parse_local_address(text: str, where: str) -> Listener:
    match = re.fullmatch(r"(?:\[(?P<v6>[^]]+)\]|(?P<other>[^%\[\]]+))(?:%(?P<interface>[^:]+))?:(?P<port>\d+)", text)
    if not match:
        raise UnparsableOutput(f"{where}: {text!r} is not ADDRESS:PORT")
    address = match["v6"] or match["other"]
    if address != ANY_ADDRESS:
        try:
            address = str(ipaddress.ip_address(address))
        except ValueError:
            raise UnparsableOutput(f"{where}: {address!r} in {text!r} is not an IP address") from None
        if match["other"] and ":" in address:
            raise UnparsableOutput(f"{where}: IPv6 address without brackets in {text!r}")
    return Listener(address, int(match["port"]), match["interface"])
