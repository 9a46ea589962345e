"""The transports' answers to faults, against small loopback servers and a scripted API client:
each fault is one reason, of the error type that makes the result broken."""
from __future__ import annotations

import socket
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from stackaudit.collect.transports import cloudstack, ssh
from stackaudit.errors import ApiError, UnparsableOutput, Unreachable
from stackaudit.rules import gate
from tests.unit.loopback import LoopbackServer


@pytest.fixture
def server(request):
    srv = LoopbackServer(request.param)
    yield srv
    srv.stop()


def connect(port: int, timeout: float = 1.0):
    """No key is needed: every fault here comes before authentication."""
    return ssh.connect("127.0.0.1", port, "root", None, "/dev/null", timeout, label="kvm-host://z/h")


@pytest.mark.integration
@pytest.mark.parametrize("server", ["close", "reset"], indirect=True)
def test_sshd_dropping_connections_is_retried_with_backoff_then_broken(server, monkeypatch):
    monkeypatch.setattr(ssh, "DROPPED_BEFORE_BANNER_BACKOFF", (0.1, 0.1, 0.2))
    started = time.monotonic()
    with pytest.raises(Unreachable) as caught:
        connect(server.port)
    assert server.accepted == 4 and time.monotonic() - started >= 0.4
    assert str(caught.value) == ("kvm-host://z/h: sshd closed the connection before its banner, 4 times over 0.4s "
                                 "(too many unauthenticated connections: sshd's MaxStartups)")


@pytest.mark.integration
@pytest.mark.parametrize("server", ["silent"], indirect=True)
def test_a_listener_that_never_sends_a_banner_costs_one_timeout(server):
    with pytest.raises(Unreachable) as caught:
        connect(server.port, timeout=1)
    assert server.accepted == 1         # one timeout: not retried as a dropped connection is
    assert str(caught.value) == ("kvm-host://z/h: no SSH banner within 1s (the port accepts TCP but nothing "
                                 "answers as sshd)")


@pytest.mark.integration
def test_a_listener_that_closes_as_the_banner_wait_ends_costs_one_timeout():
    """The connection ends (EOF) just before the 1 s banner wait would: the wait ran out, not a MaxStartups
    drop, so it is not tried again (a stopped sshd's connection can end so, as paramiko closes it)."""
    server = LoopbackServer("late", late=0.9)
    try:
        started = time.monotonic()
        with pytest.raises(Unreachable, match="no SSH banner within 1s"):
            connect(server.port, timeout=1)
        assert server.accepted == 1 and time.monotonic() - started < 1.5
    finally:
        server.stop()


@pytest.mark.integration
def test_connections_from_threads_wait_out_their_banners_together():
    """Two listeners that never greet, connected to from two threads: one timeout in all, not one each
    (functools.cached_property's lock, before Python 3.12, made them wait in turn)."""
    servers = [LoopbackServer("silent"), LoopbackServer("silent")]
    try:
        started = time.monotonic()
        with ThreadPoolExecutor(2) as workers:
            errors = list(workers.map(lambda server: pytest.raises(Unreachable, connect, server.port, 1), servers))
        assert all("no SSH banner within 1s" in str(e.value) for e in errors)
        assert time.monotonic() - started < 1.7
    finally:
        for server in servers:
            server.stop()


@pytest.mark.integration
def test_a_closed_port_says_connection_refused():
    with socket.create_server(("127.0.0.1", 0)) as probe:
        port = probe.getsockname()[1]
    with pytest.raises(Unreachable) as caught:
        connect(port)
    assert str(caught.value) == "kvm-host://z/h: cannot connect: Connection refused"


def test_output_that_is_not_utf8_is_garbled_not_guessed():
    backend = ssh.VerifiedParamikoBackend("127.0.0.1", 22, "root", None, None, 1, label="db://db2")
    assert backend.decode("État\n".encode()) == "État\n"
    with pytest.raises(UnparsableOutput) as caught:
        backend.decode(b"State \xff\xfe LISTEN")
    assert str(caught.value) == "db://db2: garbled output: not UTF-8 text (byte 0xff at offset 6)"


class ScriptedApi:
    """A stand-in for cs.CloudStack: each page of a list command as the server would answer it."""

    timeout = 5

    def __init__(self, pages):
        self.pages, self.asked = pages, []

    def __getattr__(self, command):
        def call(page, pagesize, **params):
            self.asked.append((command, page, pagesize))
            return self.pages[page - 1] if page <= len(self.pages) else {}
        return call


def rows(n, start=0):
    return [{"id": str(i)} for i in range(start, start + n)]


@pytest.mark.parametrize("pages, expected", [
    ([{}], []),                                                         # count 0: no count, no array
    ([{"count": 2, "host": rows(2)}], rows(2)),
    ([{"count": 501, "host": rows(500)}, {"count": 501, "host": rows(1, 500)}], rows(501)),
])
def test_listing_pages_until_the_count(pages, expected):
    api = ScriptedApi(pages)
    assert cloudstack.list_all(api, "listHosts") == expected
    assert [a[1:] for a in api.asked] == [(p, 500) for p in range(1, len(pages) + 1)]


@pytest.mark.parametrize("pages, message", [
    ([{"count": 7, "host": rows(6)}, {"count": 7}],
     "CloudStack API: listHosts: count says 7 rows but the pages held 6; the listing is incomplete, so its "
     "targets cannot be trusted"),
    ([{"count": 1, "host": rows(2)}],
     "CloudStack API: listHosts: count says 1 rows but the pages held 2; the listing is incomplete, so its "
     "targets cannot be trusted"),
    ([{"count": 501, "host": rows(500)}, {"count": 502, "host": rows(2, 500)}],
     "CloudStack API: listHosts: count changed from 501 to 502 while paging; run again"),
    ([{"count": 1, "host": {"id": "1"}}], "CloudStack API: listHosts: page 1 is not a listing (keys ['count', 'host'])"),
])
def test_a_listing_that_does_not_add_up_is_an_api_error(pages, message):
    with pytest.raises(ApiError) as caught:
        cloudstack.list_all(ScriptedApi(pages), "listHosts")
    assert str(caught.value) == message


@pytest.mark.parametrize("target_clock, note", [
    (1_000_000, None),
    (1_000_000 + 300, None),
    (1_000_000 - 301, "the target's clock is 5 min behind the auditor's; backup ages are judged on the target's clock"),
    (1_000_000 - 30 * 3600, "the target's clock is 30.0 h behind the auditor's; backup ages are judged on the "
                            "target's clock"),
    (1_000_000 + 7200, "the target's clock is 2.0 h ahead of the auditor's; backup ages are judged on the "
                       "target's clock"),
])
def test_a_clock_off_by_more_than_five_minutes_is_reported(target_clock, note):
    assert gate.clock_skew_note(target_clock, 1_000_000.0) == note
