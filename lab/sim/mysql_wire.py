"""The server's side of the MySQL client/server protocol's connection phase, as bytes: enough to
greet a client and ask it for an authentication plugin (lab/sim/fake_mysql.py, and the unit tests
of stackaudit/collect/transports/mysql_auth.py).

Packets as MySQL's internals documentation describes them ("Connection Phase", Protocol::Handshake
v10, Protocol::AuthSwitchRequest, OK_Packet; MySQL Source Code Documentation, 2024,
https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_connection_phase.html):
a 3-byte little-endian length, a sequence id, then the payload.
"""
from __future__ import annotations

import struct

from pymysql.constants import CLIENT

# What MariaDB 10.11 advertises that PyMySQL reads: 4.1 protocol, plugin names, length-encoded auth data.
CAPABILITIES = (CLIENT.LONG_PASSWORD | CLIENT.FOUND_ROWS | CLIENT.LONG_FLAG | CLIENT.CONNECT_WITH_DB
                | CLIENT.PROTOCOL_41 | CLIENT.TRANSACTIONS | CLIENT.SECURE_CONNECTION | CLIENT.MULTI_STATEMENTS
                | CLIENT.MULTI_RESULTS | CLIENT.PLUGIN_AUTH | CLIENT.PLUGIN_AUTH_LENENC_CLIENT_DATA)
SALT = b"0123456789abcdefghij"      # 20 bytes, as a server sends (random on a real one)
OK = b"\x00\x00\x00\x02\x00\x00\x00"


def packet(sequence: int, payload: bytes) -> bytes:
    return struct.pack("<I", len(payload))[:3] + bytes([sequence % 256]) + payload


def greeting(plugin: str, tls: bool = False, version: str = "10.11.19-MariaDB-0+deb12u1") -> bytes:
    """Protocol::HandshakeV10's payload, naming `plugin`; advertising TLS (CLIENT_SSL) if `tls`."""
    capabilities = CAPABILITIES | (CLIENT.SSL if tls else 0)
    return (b"\x0a" + version.encode() + b"\0" + struct.pack("<I", 7) + SALT[:8] + b"\0"
            + struct.pack("<H", capabilities & 0xFFFF) + bytes([45]) + struct.pack("<H", 2)
            + struct.pack("<H", capabilities >> 16) + bytes([len(SALT) + 1]) + bytes(10)
            + SALT[8:] + b"\0" + plugin.encode() + b"\0")


def auth_switch(plugin: str, data: bytes = SALT + b"\0") -> bytes:
    """Protocol::AuthSwitchRequest: use `plugin`, with its first data (a salt; a prompt for dialog)."""
    return b"\xfe" + plugin.encode() + b"\0" + data


def extra_auth_data(step: int) -> bytes:
    """caching_sha2_password's answer after the scramble: 3 fast auth success, 4 full auth needed."""
    return b"\x01" + bytes([step])


def read_packet(read) -> tuple[int, bytes] | None:
    """(sequence id, payload) read with `read(n)` (returning up to n bytes, b"" at the end); None at the end."""
    header = read_exactly(read, 4)
    if header is None:
        return None
    length = int.from_bytes(header[:3], "little")
    payload = read_exactly(read, length) if length else b""
    return (header[3], payload) if payload is not None else None


def read_exactly(read, count: int) -> bytes | None:
    data = b""
    while len(data) < count:
        chunk = read(count - len(data))
        if not chunk:
            return None
        data += chunk
    return data


def is_tls_request(payload: bytes) -> bool:
    """The client's SSLRequest: a 32-byte HandshakeResponse cut short, with CLIENT_SSL set."""
    return len(payload) == 32 and bool(struct.unpack("<I", payload[:4])[0] & CLIENT.SSL)
