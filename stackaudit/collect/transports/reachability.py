"""Which endpoints accept a TCP connection, all probed at once: the run waits one connect timeout at most.

A cloud whose API lists hosts that are gone (powered off, renumbered) has endpoints that never answer.
Connected one by one, or a pool's worth at a time, each costs a whole connect timeout in turn: 500 such
hosts, 16 at a time, 15 s each, are eight minutes. Here every endpoint gets a non-blocking connect()
at the same time and one selector waits for all of them, so the answer for all is in after at most one
timeout. A socket is closed as soon as its connect() is decided; nothing is sent on it.

Only IP literals are probed: a name is left to the real connection (resolving it here could block).
"""
from __future__ import annotations

import errno
import ipaddress
import os
import resource
import selectors
import socket
import time

Endpoint = tuple[str, int]
# File descriptors kept free for the rest of the process while a wave of probes is open.
SPARE_DESCRIPTORS = 128


def probe(endpoints, timeout: float) -> dict[Endpoint, str | None]:
    """(address, port) -> None if it accepted a TCP connection, else why not (refused, no route, timed out).
    Endpoints that are not IP literals are left out."""
    literal = sorted({(a, int(p)) for a, p in endpoints if is_ip_literal(a)})
    wave = max(64, resource.getrlimit(resource.RLIMIT_NOFILE)[0] - SPARE_DESCRIPTORS)
    outcome: dict[Endpoint, str | None] = {}
    for start in range(0, len(literal), wave):
        outcome |= probe_wave(literal[start:start + wave], timeout)
    return outcome


def probe_wave(endpoints: list[Endpoint], timeout: float) -> dict[Endpoint, str | None]:
    outcome: dict[Endpoint, str | None] = {}
    selector = selectors.DefaultSelector()
    try:
        for endpoint in endpoints:
            sock = socket.socket(socket.AF_INET6 if ":" in endpoint[0] else socket.AF_INET, socket.SOCK_STREAM)
            sock.setblocking(False)
            try:
                code = sock.connect_ex(endpoint)
            except OSError as err:      # an address connect() cannot take at all (e.g. a bad scope)
                code = err.errno or errno.EINVAL
            if code in (errno.EINPROGRESS, errno.EWOULDBLOCK):
                selector.register(sock, selectors.EVENT_WRITE, endpoint)
            else:
                outcome[endpoint] = reason_of(code)
                sock.close()
        deadline = time.monotonic() + timeout
        while selector.get_map():
            left = deadline - time.monotonic()
            if left <= 0:
                break
            for key, _ in selector.select(left):
                outcome[key.data] = reason_of(key.fileobj.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR))
                selector.unregister(key.fileobj)
                key.fileobj.close()
        for key in selector.get_map().values():
            outcome[key.data] = f"timed out after {timeout:g}s"
    finally:
        for key in list(selector.get_map().values()):
            selector.unregister(key.fileobj)
            key.fileobj.close()
        selector.close()
    return outcome


def reason_of(code: int) -> str | None:
    return None if code == 0 else os.strerror(code)


def is_ip_literal(address: str | None) -> bool:
    try:
        ipaddress.ip_address(address or "")
        return True
    except ValueError:
        return False
