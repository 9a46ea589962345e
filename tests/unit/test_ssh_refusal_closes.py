"""A connection the SSH transport refuses (unknown host key, refused login) is closed at once, not
left open until garbage collection: an sshd counts such a connection among its unauthenticated ones
(MaxStartups), so a leaked one makes the next connection to that host likelier to be dropped."""
from __future__ import annotations

import io
import socket
import threading
import time

import paramiko
import pytest

from stackaudit.collect.transports import ssh
from stackaudit.errors import HostKeyRejected, LoginRefused
from tests.unit.config_site import ssh_key_pair

pytestmark = pytest.mark.integration     # a loopback SSH server (see pytest.ini)


class RefusingSshd(paramiko.ServerInterface):
    def check_auth_publickey(self, username, key):
        return paramiko.AUTH_FAILED

    def get_allowed_auths(self, username):
        return "publickey"


@pytest.fixture
def sshd():
    """An SSH server on loopback that refuses every login; yields (port, its host key, its transports)."""
    host_key = paramiko.Ed25519Key.from_private_key(io.StringIO(ssh_key_pair()[0]))
    listener = socket.create_server(("127.0.0.1", 0))
    transports: list[paramiko.Transport] = []

    def serve():
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            transport = paramiko.Transport(conn)
            transport.add_server_key(host_key)
            transports.append(transport)
            try:
                transport.start_server(server=RefusingSshd())
            except (paramiko.SSHException, EOFError, OSError):     # the client went away mid-handshake: the point
                pass
    threading.Thread(target=serve, daemon=True).start()
    yield listener.getsockname()[1], host_key, transports
    listener.close()
    for transport in transports:
        transport.close()


def closed_by_the_client(transports: list[paramiko.Transport]) -> bool:
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline:
        if transports and not transports[0].is_active():
            return True
        time.sleep(0.02)
    return False


def client_key() -> paramiko.PKey:
    return paramiko.Ed25519Key.from_private_key(io.StringIO(ssh_key_pair()[0]))


def test_an_unknown_host_key_closes_the_connection(sshd, tmp_path):
    port, _, transports = sshd
    (tmp_path / "known_hosts").write_text("")
    with pytest.raises(HostKeyRejected, match="host key unknown"):
        ssh.connect("127.0.0.1", port, "root", client_key(), tmp_path / "known_hosts", 2, label="h")
    assert closed_by_the_client(transports)


def test_a_refused_login_closes_the_connection(sshd, tmp_path):
    port, host_key, transports = sshd
    (tmp_path / "known_hosts").write_text(f"[127.0.0.1]:{port} {host_key.get_name()} {host_key.get_base64()}\n")
    with pytest.raises(LoginRefused, match="SSH login as root refused"):
        ssh.connect("127.0.0.1", port, "root", client_key(), tmp_path / "known_hosts", 2, label="h")
    assert closed_by_the_client(transports)
