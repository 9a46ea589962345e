"""A loopback TCP server for transport tests."""
from __future__ import annotations

import socket
import struct
import threading


class LoopbackServer:
    """Accepts on 127.0.0.1 and does `mode` with each connection: close, reset, stay silent, or stay
    silent for `late` seconds and then close (late)."""

    def __init__(self, mode: str, late: float = 0.0):
        self.late = late
        self.mode, self.accepted, self.held = mode, 0, []
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.accepted += 1
            if self.mode == "reset":
                conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            if self.mode in ("close", "reset"):
                conn.close()
            elif self.mode == "late":
                self.held.append(conn)
                threading.Timer(self.late, conn.close).start()
            else:
                self.held.append(conn)

    def stop(self):
        self.sock.close()
        for conn in self.held:
            conn.close()
