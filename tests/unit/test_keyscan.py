"""Reading a server's host key as ssh-keyscan does (collect/transports/keyscan.py): the key exchange
with an in-process paramiko server over a socket pair, so no network and no subprocess; the server
sees no authentication attempt."""
from __future__ import annotations

import logging
import socket
import threading

import paramiko
import pytest

from stackaudit.cli.known_hosts_command import quiet_paramiko_log
from stackaudit.collect.transports.keyscan import read_host_key
from stackaudit.errors import Unreachable


class KeyServer:
    """One paramiko server Transport holding `keys`, on one end of a socket pair."""

    def __init__(self, keys: list[paramiko.PKey]):
        self.client_end, server_end = socket.socketpair()
        self.transport = paramiko.Transport(server_end)
        for key in keys:
            self.transport.add_server_key(key)
        self.interface = NoLogin()
        self.transport.start_server(event=threading.Event(), server=self.interface)

    def close(self):
        self.transport.close()
        self.client_end.close()


class NoLogin(paramiko.ServerInterface):
    def __init__(self):
        self.asked = []

    def get_allowed_auths(self, username):
        self.asked.append(username)
        return "publickey"


@pytest.fixture(scope="module")
def keys():
    return {"ecdsa": paramiko.ECDSAKey.generate(), "rsa": paramiko.RSAKey.generate(2048)}


def read_from(server_keys, known_types):
    server = KeyServer(server_keys)
    try:
        return read_host_key("198.18.1.11", 22, 5, known_types, "kvm-host://zone1/kvm01", sock=server.client_end), \
            server.interface.asked
    finally:
        server.close()


def test_the_key_the_server_offers_first_is_read_with_no_login(keys):
    key, asked = read_from([keys["rsa"], keys["ecdsa"]], [])
    assert key == keys["ecdsa"]         # paramiko's order: ed25519, ecdsa, rsa
    assert asked == []


def test_the_type_known_hosts_holds_is_asked_for_first(keys):
    key, _ = read_from([keys["rsa"], keys["ecdsa"]], ["ssh-rsa"])
    assert key == keys["rsa"]


def test_a_server_without_the_known_type_gives_the_one_it_has(keys):
    key, _ = read_from([keys["ecdsa"]], ["ssh-rsa"])
    assert key == keys["ecdsa"]


@pytest.mark.parametrize(("peer", "reason"), [
    ("closed", "kvm-host://zone1/kvm01: closed the connection before its SSH banner"),
    ("silent", "kvm-host://zone1/kvm01: no SSH key exchange within 1s (the port accepts TCP but nothing answers "
               "as sshd)")])
def test_a_peer_that_does_not_answer_as_sshd_is_unreachable_with_one_reason(peer, reason):
    ours, theirs = socket.socketpair()
    if peer == "closed":
        theirs.close()
    try:
        with pytest.raises(Unreachable) as raised:
            read_host_key("198.18.1.11", 22, 1, [], "kvm-host://zone1/kvm01", sock=ours)
    finally:
        ours.close()
        theirs.close()
    assert str(raised.value) == reason


@pytest.mark.integration
def test_a_refused_connect_says_so():
    with socket.create_server(("127.0.0.1", 0)) as closed:
        port = closed.getsockname()[1]
    with pytest.raises(Unreachable, match=r"^mgmt://ms1: cannot connect: Connection refused$"):
        read_host_key("127.0.0.1", port, 1, [], "mgmt://ms1")


def test_a_reset_during_the_key_exchange_is_one_reason():
    ours, theirs = socket.socketpair()

    def server():
        theirs.sendall(b"SSH-2.0-OpenSSH_9.2\r\n")
        theirs.recv(1024)           # the client's banner, then its key exchange init
        theirs.close()
    threading.Thread(target=server, daemon=True).start()
    with pytest.raises(Unreachable) as raised:
        read_host_key("198.18.1.11", 22, 5, [], "kvm-host://zone1/kvm01", sock=ours)
    ours.close()
    assert str(raised.value) == "kvm-host://zone1/kvm01: closed the connection during the key exchange"


def test_paramikos_error_log_reaches_no_last_resort_printer(monkeypatch):
    """paramiko logs that reset at ERROR ("Socket exception: ..."); outside pytest no handler is set, so
    Python's last-resort handler would print it on stderr beside the command's own line."""
    printed = []
    monkeypatch.setattr(logging.getLogger(), "handlers", [])
    monkeypatch.setattr(logging, "lastResort", type("Printer", (logging.Handler,), {
        "emit": lambda self, record: printed.append(record.getMessage())})(logging.WARNING))
    logging.getLogger("stackaudit.test").error("printed")
    assert printed == ["printed"]          # the stand-in printer is the one Python would use
    quiet_paramiko_log()
    logging.getLogger("paramiko.transport").error("Socket exception: Connection reset by peer (104)")
    assert printed == ["printed"]
