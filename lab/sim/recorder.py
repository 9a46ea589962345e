"""A server that records everything it is sent: the impostor of the hostile-machine tests (a host a
pool member names as its master, which StackAudit must never log in to), and a canned XAPI for the
transport's unit tests.

It accepts on one address and port, over TLS when given a context, and for each connection records
the peer and every byte received (the TLS handshake is recorded as a connection even when the
client then gives up). Each HTTP request read in full is answered with `answer` (a whole HTTP
response); then the connection is closed. stop() ends it (the test's own thread, its own socket).
"""
from __future__ import annotations

import socket
import ssl
import threading
from dataclasses import dataclass, field

READ_TIMEOUT = 5.0    # seconds a connection may stay silent
MAX_RECORDED = 1 << 20


@dataclass
class Recording:
    connections: list[tuple[str, int]] = field(default_factory=list)    # each peer, in the order accepted
    received: bytearray = field(default_factory=bytearray)               # every byte of every request

    def clear(self) -> None:
        self.connections.clear()
        self.received.clear()


def xmlrpc_answer(body: str) -> bytes:
    """An HTTP 200 response carrying an XML-RPC body."""
    payload = body.encode()
    return (b"HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nConnection: close\r\n"
            + f"Content-Length: {len(payload)}\r\n\r\n".encode() + payload)


class RecordingServer:
    def __init__(self, address: str, port: int, answer: bytes, tls: ssl.SSLContext | None = None):
        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        self.sock = socket.create_server((address, port), family=family)
        self.address, self.port = self.sock.getsockname()[:2]
        self.answer, self.tls = answer, tls
        self.recording = Recording()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._accept, name=f"recorder-{self.address}", daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while True:
            try:
                conn, peer = self.sock.accept()
            except OSError:     # stop() closed the socket
                return
            with self._lock:
                self.recording.connections.append(peer[:2])
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        conn.settimeout(READ_TIMEOUT)
        try:
            if self.tls is not None:
                conn = self.tls.wrap_socket(conn, server_side=True)
            request = b""
            while not complete(request):
                chunk = conn.recv(65536)
                if not chunk:
                    break
                request += chunk
                with self._lock:
                    if len(self.recording.received) < MAX_RECORDED:
                        self.recording.received += chunk
            if complete(request):
                conn.sendall(self.answer)
        except OSError:       # includes ssl.SSLError: a client that refused the certificate
            pass
        finally:
            conn.close()

    def stop(self) -> None:
        try:
            self.sock.shutdown(socket.SHUT_RDWR)     # wakes the accept (Linux); close alone would not
        except OSError:
            pass
        self.sock.close()
        self._thread.join(timeout=5)


def complete(request: bytes) -> bool:
    """Whether an HTTP request's head and its Content-Length of body have arrived."""
    head, separator, body = request.partition(b"\r\n\r\n")
    if not separator:
        return False
    length = next((int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                   if line.lower().startswith(b"content-length:") and line.split(b":", 1)[1].strip().isdigit()), 0)
    return len(body) >= length
