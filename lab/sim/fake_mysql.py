"""An impostor MySQL server, for the fault tests: it greets like MariaDB 10.11, takes TLS if it has a
certificate, reads the client's handshake response, then asks for another authentication plugin
(an AuthSwitchRequest; mysql_clear_password by default) and records everything the client sends.

    python -m lab.sim.fake_mysql CONFIG.json

CONFIG: {"netns": "/run/netns/NAME" or null, "address", "port", "plugin", "switch_data" (hex),
"tls": {"cert", "key"} or null, "record": path, "ready_file": path}. Each connection appends one
JSON line to `record`: {"tls": bool, "packets": [hex payload of each packet received, TLS removed]}.
It serves until it is killed (SIGTERM, by its pid).
"""
from __future__ import annotations

import json
import socket
import ssl
import sys
import threading
from pathlib import Path

from lab.sim.mysql_wire import auth_switch, greeting, is_tls_request, packet, read_packet
from lab.sim.netns import network_namespace
from lab.sim.tls import server_context

WAIT_AFTER_SWITCH = 5.0     # seconds to wait for the client's answer to the AuthSwitchRequest
ACCESS_DENIED = b"\xff\x15\x04#28000Access denied"
_record_lock = threading.Lock()


def serve_one(conn: socket.socket, config: dict, context: ssl.SSLContext | None) -> None:
    received, secure = [], False
    try:
        conn.settimeout(WAIT_AFTER_SWITCH)
        conn.sendall(packet(0, greeting("mysql_native_password", tls=context is not None)))
        sequence, payload = read_packet(conn.recv) or (None, None)
        if payload is not None:
            received.append(payload)
            if context is not None and is_tls_request(payload):
                conn = context.wrap_socket(conn, server_side=True)
                secure = True
                sequence, payload = read_packet(conn.recv) or (None, None)
                if payload is not None:
                    received.append(payload)
        if payload is not None:
            conn.sendall(packet(sequence + 1, auth_switch(config["plugin"], bytes.fromhex(config["switch_data"]))))
            answer = read_packet(conn.recv)
            if answer is not None:
                received.append(answer[1])
                conn.sendall(packet(answer[0] + 1, ACCESS_DENIED))
    except (OSError, ssl.SSLError):
        pass    # the client hung up, or refused our TLS: what it sent is recorded all the same
    finally:
        conn.close()
        with _record_lock, open(config["record"], "a") as out:
            out.write(json.dumps({"tls": secure, "packets": [p.hex() for p in received]}) + "\n")


def main(config_path: str) -> None:
    config = json.loads(Path(config_path).read_text())
    context = server_context(config.get("tls"))
    with network_namespace(config.get("netns")):
        listener = socket.create_server((config["address"], config["port"]))
    Path(config["ready_file"]).write_text("ready\n")
    while True:
        conn, _ = listener.accept()
        threading.Thread(target=serve_one, args=(conn, config, context), daemon=True).start()


if __name__ == "__main__":
    main(sys.argv[1])
