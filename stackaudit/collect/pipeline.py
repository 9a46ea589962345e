"""A process's collection: every unit's TCP connect started at once, SSH sessions a pool at a time.

An endpoint that does not answer costs a connect timeout. Taken a pool slot at a time, 500 hosts
that are gone, 16 at a time, 15 s each, are eight minutes. Here each claimed unit's connect() is
started without waiting (non-blocking; one selector waits for all of them), so the endpoints that
never answer are refused together, after one timeout, without holding a session slot. An endpoint
that answers goes on to its SSH session over the very TCP connection made here: each sshd sees one
connection from the run, and nothing else (no separate probe).

New connects are started only while fewer connected sockets wait than there are sessions (sshd's
LoginGraceTime runs from the moment it accepts), and at most YOUNG_AT_ONCE of them in YOUNG seconds:
a connect still pending after that is most likely one that times out (on a LAN an answer takes a
millisecond), and it must not hold back the ones behind it.
"""
from __future__ import annotations

import errno
import ipaddress
import os
import resource
import selectors
import socket
import threading
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor

YOUNG = 0.2
YOUNG_AT_ONCE = 64
# File descriptors kept free for the rest of the process while connects are open.
SPARE_DESCRIPTORS = 128
TICK = 0.01


class Pipeline:
    def __init__(self, store, units, sessions: int, connect_timeout: float):
        self._store = store
        self._units = deque(units)
        self._sessions = sessions
        self._timeout = connect_timeout
        self._pool = ThreadPoolExecutor(sessions, thread_name_prefix="stackaudit-session")
        self._lock = threading.Lock()
        self._queued = 0                 # units handed to the pool whose session has not started
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._connect_all, name="stackaudit-connect", daemon=True)
        self._in_flight = max(64, resource.getrlimit(resource.RLIMIT_NOFILE)[0] - SPARE_DESCRIPTORS)

    def start(self) -> None:
        self._thread.start()

    def close(self) -> None:
        """Claim nothing more; finish every unit already claimed (other processes wait for them)."""
        self._stopping.set()
        self._thread.join()
        self._pool.shutdown(wait=True)

    def _connect_all(self) -> None:
        selector = selectors.DefaultSelector()
        connecting: dict[socket.socket, tuple[object, float]] = {}
        try:
            while connecting or (self._units and not self._stopping.is_set()):
                self._start_connects(selector, connecting)
                if not connecting:
                    time.sleep(TICK)      # every session slot has a socket waiting: let them start
                    continue
                for key, _ in selector.select(TICK):
                    unit, started = connecting.pop(key.fileobj)
                    selector.unregister(key.fileobj)
                    code = key.fileobj.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                    self._connected(key.fileobj, unit, started, code)
                now = time.monotonic()
                for sock, (unit, started) in list(connecting.items()):
                    if now - started >= self._timeout:
                        del connecting[sock]
                        selector.unregister(sock)
                        sock.close()
                        self._submit(unit, None, f"timed out after {self._timeout:g}s", started)
        finally:
            selector.close()

    def _start_connects(self, selector, connecting: dict) -> None:
        now = time.monotonic()
        young = sum(1 for _, started in connecting.values() if now - started < YOUNG)
        while self._units and not self._stopping.is_set() and len(connecting) < self._in_flight \
                and self._waiting() < self._sessions and young < YOUNG_AT_ONCE:
            unit = self._units.popleft()
            if not self._store.claim(unit):
                continue
            if unit.endpoint is None or not is_ip_literal(unit.endpoint[0]):
                self._submit(unit, None, None, now)     # no address, or a name: the session connects itself
                continue
            sock, code = start_connect(unit.endpoint)
            if sock is None:
                self._submit(unit, None, reason_of(code), now)
                continue
            selector.register(sock, selectors.EVENT_WRITE, unit)
            connecting[sock] = (unit, now)
            young += 1

    def _connected(self, sock: socket.socket, unit, started: float, code: int) -> None:
        if code:
            sock.close()
            self._submit(unit, None, reason_of(code), started)
        else:
            sock.setblocking(True)
            self._submit(unit, sock, None, started)

    def _waiting(self) -> int:
        with self._lock:
            return self._queued

    def _submit(self, unit, sock, refused: str | None, started: float) -> None:
        with self._lock:
            self._queued += 1
        self._pool.submit(self._session, unit, sock, refused, started)

    def _session(self, unit, sock, refused: str | None, started: float) -> None:
        with self._lock:
            self._queued -= 1
        self._store.collect_claimed(unit, sock, refused, started)


def start_connect(endpoint: tuple[str, int]) -> tuple[socket.socket | None, int]:
    """A non-blocking connect to endpoint: (the socket, 0) while it is under way, or (None, errno)."""
    sock = socket.socket(socket.AF_INET6 if ":" in endpoint[0] else socket.AF_INET, socket.SOCK_STREAM)
    sock.setblocking(False)
    try:
        code = sock.connect_ex(endpoint)
    except OSError as err:      # an address connect() cannot take at all (e.g. a bad scope)
        code = err.errno or errno.EINVAL
    if code in (0, errno.EINPROGRESS, errno.EWOULDBLOCK):
        return sock, 0
    sock.close()
    return None, code


def reason_of(code: int) -> str:
    return os.strerror(code)


def is_ip_literal(address: str | None) -> bool:
    """Only IP literals are connected here: a name is left to the session (resolving it could block)."""
    try:
        ipaddress.ip_address(address or "")
        return True
    except ValueError:
        return False
