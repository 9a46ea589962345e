"""One TCP connection per SSH endpoint, and endpoints that do not answer cost one connect timeout
in all, not one each (issues 12 and 13).

Loopback only: a port nobody listens on refuses; a listener whose accept queue is full drops SYNs
(Linux, tcp_abort_on_overflow=0), which a client sees as a connect that never completes.
"""
from __future__ import annotations

import socket
import threading
import time
from types import SimpleNamespace

import pytest

from stackaudit.collect import collectors
from stackaudit.collect.collectors import Unit, relabelled
from stackaudit.collect.factstore import FactStore
from stackaudit.targets import Target
from stackaudit.errors import Unreachable, error_record, raise_if_error
from tests.unit.loopback import LoopbackServer


@pytest.fixture
def listener():
    server = LoopbackServer("close")
    server.address = ("127.0.0.1", server.port)
    yield server
    server.stop()


@pytest.fixture
def closed_port():
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return port


@pytest.fixture
def full_backlog():
    """A listener that never accepts, its queue filled: further SYNs are dropped, connects hang."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(0)
    address = server.getsockname()
    fillers = []
    for _ in range(4):
        client = socket.socket()
        client.setblocking(False)
        client.connect_ex(address)
        fillers.append(client)
    time.sleep(0.2)
    yield address
    for client in fillers:
        client.close()
    server.close()


class RecordingCollector:
    """Stands in for collectors.Collector: records how each unit reached its session."""

    def __init__(self, units):
        self._units = {t.id: unit for unit in units for t in unit.targets}
        self.sessions = []

    def units(self, targets):
        return sorted({self._units[t.id] for t in targets}, key=lambda u: u.key)

    def unit_of(self, target):
        return self._units[target.id]

    def collect_unit(self, unit, connected, refused):
        """As the real one: with no connection handed over, it connects itself (paramiko would)."""
        peer = connected.getpeername() if connected is not None else None
        if connected is None and refused is None and unit.endpoint[0] != "db.example":
            try:
                socket.create_connection(unit.endpoint, timeout=2).close()
            except OSError as err:
                refused = err.strerror
        if connected is not None:
            connected.close()
        self.sessions.append((unit.key, peer, refused))
        if refused:
            return {t.id: {"ssh": error_record(Unreachable(f"{t.id}: cannot connect: {refused}"))}
                    for t in unit.targets}
        return {t.id: {"ssh": {"sections": {}}} for t in unit.targets}


def kvm(name: str) -> Target:
    return Target("kvm-host", name, "zone1", "127.0.0.1")


def unit(name: str, endpoint) -> Unit:
    return Unit(f"ssh {name}", tuple(endpoint), (kvm(name),))


def collected(tmp_path, units, timeout=2.0, sessions=4):
    collector = RecordingCollector(units)
    store = FactStore(tmp_path, collector, sessions, timeout)
    started = time.monotonic()
    targets = [t for u in units for t in u.targets]
    store.prefetch(targets)
    deadline = time.monotonic() + 10
    while not all(store.path(t).exists() for t in targets) and time.monotonic() < deadline:
        time.sleep(0.01)
    store.close()
    return collector, store, time.monotonic() - started


@pytest.mark.integration
def test_an_answering_endpoint_gets_one_connection_which_its_session_uses(tmp_path, listener):
    units = [unit(f"hv{i:02d}", listener.address) for i in range(12)]
    collector, store, _ = collected(tmp_path, units)
    assert sorted(collector.sessions) == sorted((u.key, listener.address, None) for u in units)
    time.sleep(0.1)
    assert listener.accepted == len(units)        # one each, the one the session was handed
    for u in units:
        assert store.raw(u.targets[0]) == {"ssh": {"sections": {}}}


@pytest.mark.integration
def test_endpoints_that_do_not_answer_are_refused_together_in_one_timeout(tmp_path, listener, closed_port,
                                                                         full_backlog):
    silent = [unit(f"gone{i:02d}", full_backlog) for i in range(40)]
    units = [unit("up", listener.address), unit("refusing", ("127.0.0.1", closed_port)), *silent]
    collector, store, seconds = collected(tmp_path, units, timeout=1.0, sessions=2)
    outcome = {key: refused for key, _, refused in collector.sessions}
    assert outcome["ssh up"] is None
    assert outcome["ssh refusing"] == "Connection refused"
    assert {outcome[u.key] for u in silent} == {"timed out after 1s"}
    # 40 silent endpoints over 2 session slots, each waited for in turn, would be 20 timeouts
    assert seconds < 3, seconds


def test_a_name_is_left_to_the_session_to_connect(tmp_path):
    named = Unit("ssh db.example", ("db.example", 22), (kvm("db"),))
    collector, _, _ = collected(tmp_path, [named])
    assert collector.sessions == [("ssh db.example", None, None)]


@pytest.mark.integration
def test_a_unit_is_collected_once_for_every_reader_in_every_process(tmp_path, closed_port):
    """However many checks and group checks read it, from however many threads and processes."""
    member = unit("hv02", ("127.0.0.1", closed_port))
    collectors_ = [RecordingCollector([member]) for _ in range(2)]
    stores = [FactStore(tmp_path, c, 4, 2.0) for c in collectors_]
    stores[0].prefetch(list(member.targets))
    raised = []

    def read(store):
        try:
            raise_if_error(store.raw(member.targets[0])["ssh"])
        except Unreachable as err:
            raised.append(str(err))
    readers = [threading.Thread(target=read, args=(store,)) for store in stores * 4]
    for reader in readers:
        reader.start()
    for reader in readers:
        reader.join()
    for store in stores:
        store.close()
    assert [len(c.sessions) for c in collectors_] in ([1, 0], [0, 1])
    assert raised == ["kvm-host://zone1/hv02: cannot connect: Connection refused"] * 8


def settings(**ssh):
    return SimpleNamespace(ssh=SimpleNamespace(port=22, connect_timeout=2, **ssh),
                           system_vms=SimpleNamespace(host_keys="pinned", port=3922, key_on_host="/root/.ssh/id_rsa.cloud"))


def test_a_host_and_the_system_vms_reached_through_it_are_one_unit():
    host = Target("kvm-host", "kvm01", "zone1", "198.18.1.1")
    other = Target("kvm-host", "kvm02", "zone1", "198.18.1.2")
    router = Target("router", "r-4-VM", "zone1", "169.254.3.4",
                    attrs={"host": "kvm01", "host_address": "198.18.1.1", "hypervisor": "KVM"})
    pool = Target("xs-pool", "pool1", "zone1", "198.18.2.1")
    collector = collectors.Collector(settings(), policy=None, snapshot=None)
    collector.commands = lambda target: {} if target.kind == "xs-pool" else {"hostname": "hostname"}
    units = collector.units([host, other, router, pool])
    assert [(u.endpoint, [t.id for t in u.targets]) for u in units] == [
        (("198.18.1.1", 22), [host.id, router.id]), (("198.18.1.2", 22), [other.id]), (None, [pool.id])]


def test_a_target_behind_a_hop_reports_the_hops_failure_under_the_hops_name():
    err = Unreachable("kvm-host://zone1/kvm01: cannot connect: Connection refused")
    moved = relabelled(err, "kvm-host://zone1/kvm01", "host kvm01")
    assert type(moved) is Unreachable and str(moved) == "host kvm01: cannot connect: Connection refused"
    assert str(relabelled(err, "something else", "host kvm01")) == str(err)
