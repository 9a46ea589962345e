"""The audit user's password goes only into exchanges that do not reveal it (transports/mysql_auth.py).

PyMySQL's own connection code runs against a server scripted as bytes in memory: no socket, no
server. Each exchange is the connection phase as a real (or a hostile) server speaks it; what the
client wrote is kept and searched for the password.
"""
from __future__ import annotations

import io
from types import SimpleNamespace

import pymysql
import pytest
from pymysql import _auth

from lab.sim.mysql_wire import OK, SALT, auth_switch, extra_auth_data, greeting, packet, read_packet
from stackaudit.collect.facts import Facts
from stackaudit.collect.transports.mysql_auth import (PROOF_PLUGINS, AuditConnection, PasswordWithheld,
                                                      full_auth_refusal, refusal)
from stackaudit.targets import Target
from tests.unit.test_declarations import Store

PASSWORD = "planted-db-password-9c2d"


class Recorder:
    """The socket's place: whatever the client sends is kept."""

    def __init__(self):
        self.sent = b""

    def sendall(self, data: bytes) -> None:
        self.sent += data

    def settimeout(self, _):
        pass

    def packets(self) -> list[bytes]:
        stream = io.BytesIO(self.sent)
        return [payload for _, payload in iter(lambda: read_packet(stream.read), None)]


def authenticate(server: list) -> tuple[Recorder, Exception | None]:
    """The connection phase of AuditConnection against `server`'s turns, each a payload or a tuple of
    payloads sent back to back, with the sequence ids a real exchange gives them (the client answers
    each turn with one packet)."""
    conn = AuditConnection(host="198.51.100.7", user="stackaudit", password=PASSWORD, defer_connect=True)
    recorder = Recorder()
    conn._sock, conn._next_seq_id, conn._current_timeout = recorder, 0, None
    stream, sequence = b"", 0
    for turn in server:
        for payload in turn if isinstance(turn, tuple) else (turn,):
            stream, sequence = stream + packet(sequence, payload), sequence + 1
        sequence += 1
    conn._rfile = io.BytesIO(stream)
    try:
        conn._get_server_information()
        conn._request_authentication()
    except pymysql.err.MySQLError as err:
        return recorder, err
    return recorder, None


def assert_no_password(recorder: Recorder) -> None:
    assert recorder.sent, "the client sent nothing: the exchange did not run"
    assert PASSWORD.encode() not in recorder.sent


@pytest.mark.parametrize("plugin, data, reason", [
    ("mysql_clear_password", b"", "which sends the password in the clear"),
    ("dialog", b"\x04Password: ", "which sends the password in the clear (PAM)"),
    ("sha256_password", SALT + b"\0", "which sends the password itself"),
    ("mysql_old_password", SALT[:8] + b"\0", "uses the pre-4.1 scramble"),
    ("auth_gssapi_client", b"", "is a plugin StackAudit does not know"),
])
def test_a_switch_to_a_plugin_that_reveals_the_password_gets_none(plugin, data, reason):
    recorder, error = authenticate([greeting("mysql_native_password"), auth_switch(plugin, data)])
    assert isinstance(error, PasswordWithheld)
    assert error.args[1].startswith(f"the server asks for authentication plugin {plugin!r}, ")
    assert reason in error.args[1] and error.args[1].endswith(
        "; no password was sent (give the audit user mysql_native_password or ed25519)")
    # One packet: the handshake response, with the native scramble of the greeting's salt in it.
    response, = recorder.packets()
    assert _auth.scramble_native_password(PASSWORD.encode(), SALT) in response
    assert_no_password(recorder)


def test_a_switch_to_mysql_native_password_sends_its_scramble_and_logs_in():
    salt = b"ZYXWVUTSRQPONMLKJIHG"
    recorder, error = authenticate([greeting("caching_sha2_password"), auth_switch("mysql_native_password", salt + b"\0"),
                                    OK])
    assert error is None
    assert recorder.packets()[1] == _auth.scramble_native_password(PASSWORD.encode(), salt)
    assert_no_password(recorder)


def test_a_greeting_of_sha256_password_is_answered_with_a_scramble_not_the_password():
    # PyMySQL answers a sha256_password greeting with the password itself over TLS, or b"\1" asking
    # for the server's RSA key (_request_authentication); AuditConnection answers as mysql_native_password.
    recorder, error = authenticate([greeting("sha256_password"), OK])
    assert error is None
    response, = recorder.packets()
    assert response.endswith(b"mysql_native_password\0" + response[response.rindex(b"mysql_native_password\0") + 22:])
    assert b"mysql_native_password\0" in response and b"sha256_password" not in response
    assert_no_password(recorder)


@pytest.mark.parametrize("first", ["greeting", "switch"])
def test_caching_sha2_fast_path_logs_in_with_the_scramble(first):
    server = ([greeting("caching_sha2_password")] if first == "greeting" else
              [greeting("mysql_native_password"), auth_switch("caching_sha2_password")])
    recorder, error = authenticate(server + [(extra_auth_data(3), OK)])
    assert error is None
    assert _auth.scramble_caching_sha2(PASSWORD.encode(), SALT) in recorder.packets()[-1]
    assert_no_password(recorder)


@pytest.mark.parametrize("first", ["greeting", "switch"])
def test_caching_sha2_full_authentication_gets_no_password(first):
    server = ([greeting("caching_sha2_password")] if first == "greeting" else
              [greeting("mysql_native_password"), auth_switch("caching_sha2_password")])
    # PyMySQL would answer step 4 with the password (over TLS) or b"\2", asking for the server's RSA key.
    recorder, error = authenticate(server + [(extra_auth_data(4),), b"\x01-----BEGIN PUBLIC KEY-----\n"])
    assert isinstance(error, PasswordWithheld)
    assert "which then asks for full authentication, which sends the password itself" in error.args[1]
    assert len(recorder.packets()) == (1 if first == "greeting" else 2)
    assert_no_password(recorder)


def test_the_decision_table():
    assert [refusal(p) for p in PROOF_PLUGINS] == [None, None, None]
    assert refusal(b"mysql_clear_password") == "sends the password in the clear"
    assert refusal("") == "is a plugin StackAudit does not know, which could send the password"
    assert full_auth_refusal(b"\x01\x03") is None
    assert full_auth_refusal(b"\x01\x04").startswith("then asks for full authentication")
    assert full_auth_refusal(b"\x01\x02") == "then answers the scramble with step 2, which StackAudit does not know"
    assert full_auth_refusal(b"\x01") == "then answers the scramble with step None, which StackAudit does not know"


def test_every_result_read_from_unverified_sql_facts_says_tls_not_verified(monkeypatch):
    attached = []
    # outside a result held by EvidenceHold, each piece is attached at once (collect/evidence.py)
    monkeypatch.setattr("stackaudit.collect.evidence.allure", SimpleNamespace(
        attach=lambda text, name, kind: attached.append((name, text)), attachment_type=SimpleNamespace(TEXT=0, JSON=1)))
    rows = [{"Variable_name": "log_bin", "Value": "ON"}]
    note = "TLS not verified: these facts came from MariaDB/MySQL over a connection ..."
    Facts(Target("db", "db1"), Store({"sql": {"queries": {"variables": {"rows": rows}}, "tls": note}})).variables
    assert ("TLS not verified", note) in attached
    attached.clear()
    Facts(Target("db", "db1"), Store({"sql": {"queries": {"variables": {"rows": rows}}}})).variables
    assert [name for name, _ in attached] == ["SQL variables"]
