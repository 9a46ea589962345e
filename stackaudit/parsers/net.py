"""Listening TCP sockets, from iproute2's ss."""
from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

from stackaudit.errors import UnparsableOutput
from stackaudit.parsers.procs import read_pid


ANY_ADDRESS = "*"
# iproute2 6.1 runs the last two together: "Peer Address:PortProcess"
HEADER = re.compile(r"State\s+Recv-Q\s+Send-Q\s+Local Address:Port\s+Peer Address:Port\s*(Process)?\s*")


@dataclass(frozen=True)
class Listener:
    address: str                  # "0.0.0.0", "::", "127.0.0.1", or "*" (any address, IPv4 included)
    port: int
    interface: str | None = None  # set when the socket is bound to a device (SO_BINDTODEVICE)


def parse_ss_listening(text: str) -> list[Listener]:
    """`ss -ltn`: a header, then lines of state, queues, local address:port, peer address:port.

        State  Recv-Q Send-Q Local Address:Port  Peer Address:Port Process
        LISTEN 0      80        127.0.0.1:3306       0.0.0.0:*
        LISTEN 0      128    127.0.0.1%lo:53         0.0.0.0:*
        LISTEN 0      128            [::]:16509         [::]:*
        LISTEN 0      128               *:8250             *:*

    iproute2 from 4.17 on prints IPv6 in brackets, `0.0.0.0` for the IPv4 wildcard and `*` for an
    IPv6 socket that takes IPv4 too; older releases (CentOS 7, Debian 9) print `:::22`, `::1:631`
    and `*:22` for the IPv4 wildcard (misc/ss.c, inet_addr_print). The port is what follows the
    last colon, as ss prints `address:port`. Both `*` read as "every address, IPv4 included".
    """
    listeners = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip() or (number == 1 and HEADER.fullmatch(line)):
            continue
        fields = line.split()
        where = f"ss line {number}"
        if len(fields) < 5 or fields[0] != "LISTEN":
            raise UnparsableOutput(f"{where}: expected 'LISTEN RECV-Q SEND-Q ADDRESS:PORT PEER', "
                                   f"got {line[:80]!r}")
        listeners.append(parse_local_address(fields[3], where))
    return listeners


def parse_local_address(text: str, where: str) -> Listener:
    match = re.fullmatch(r"(?:\[(?P<v6>[^]]+)\]|(?P<other>[^%\[\]]+))(?:%(?P<interface>[^:]+))?:(?P<port>[0-9]{1,5})",
                         text)
    if not match or int(match["port"]) > 65535:
        raise UnparsableOutput(f"{where}: {text!r} is not ADDRESS:PORT with a numeric port")
    address = match["v6"] or match["other"]
    if address != ANY_ADDRESS:
        try:
            address = str(ipaddress.ip_address(address))
        except ValueError:
            raise UnparsableOutput(f"{where}: {address!r} in {text!r} is not an IP address") from None
    return Listener(address, int(match["port"]), match["interface"])


@dataclass(frozen=True)
class SocketOwner:
    name: str     # the process name ss shows (its comm, up to 15 bytes, as the target chose it)
    pid: int


@dataclass(frozen=True)
class OwnedListener:
    listener: Listener
    owners: tuple[SocketOwner, ...]   # empty: ss showed no process (not root, or another PID namespace)


# One process of ss -p's column: ("name",pid=N,fd=N); the fd is left out by some releases. The name
# is the target's own text, unescaped, so a name can only add a (name, pid) pair, never hide one; a
# comm is at most 15 bytes (TASK_COMM_LEN), so the search for its end is bounded.
OWNER = re.compile(r'\("(?P<name>.{0,64}?)",pid=(?P<pid>[0-9]+)(?:,fd=[0-9]+)?\)')


def parse_ss_listening_processes(text: str) -> list[OwnedListener]:
    """`ss -ltnp`: `ss -ltn`'s lines (parse_ss_listening) with the processes holding each socket.

        State  Recv-Q Send-Q Local Address:Port  Peer Address:PortProcess
        LISTEN 0      511          0.0.0.0:443       0.0.0.0:*    users:(("nginx",pid=12881,fd=5),("nginx",pid=12880,fd=5))
        LISTEN 0      128          0.0.0.0:2024      0.0.0.0:*

    Every process holding the socket is listed (nginx's master and each worker). A socket whose
    process the reader may not see (ss run as another user) has no users:(...) column. A process
    name may hold spaces, so the column is what follows the fifth field.
    """
    owned = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip() or (number == 1 and HEADER.fullmatch(line)):
            continue
        fields = line.split(None, 5)
        where = f"ss line {number}"
        if len(fields) < 5 or fields[0] != "LISTEN":
            raise UnparsableOutput(f"{where}: expected 'LISTEN RECV-Q SEND-Q ADDRESS:PORT PEER [users:((...))]', "
                                   f"got {line[:80]!r}")
        column = fields[5].strip() if len(fields) == 6 else ""
        owners = tuple(SocketOwner(m["name"], read_pid(m["pid"], where)) for m in OWNER.finditer(column))
        if column and not (column.startswith("users:((") and column.endswith("))") and owners):
            raise UnparsableOutput(f"{where}: the process column {column[:80]!r} is not users:((\"NAME\",pid=N,fd=N),...)")
        owned.append(OwnedListener(parse_local_address(fields[3], where), owners))
    return owned
