"""Endpoints that do not answer cost the run one connect timeout, not one each (issue 12, item 4).

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
from stackaudit.collect.factstore import FactStore
from stackaudit.collect.transports import reachability
from stackaudit.discovery.targets import Target
from stackaudit.errors import Unreachable, error_record


@pytest.fixture
def listener():
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    yield sock.getsockname()
    sock.close()


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


def test_one_wave_answers_every_endpoint(listener, closed_port):
    found = reachability.probe([listener, ("127.0.0.1", closed_port), ("db.example", 22)], timeout=2)
    assert found == {listener: None, ("127.0.0.1", closed_port): "Connection refused"}


def test_silent_endpoints_cost_one_timeout_together(full_backlog, listener):
    started = time.monotonic()
    found = reachability.probe([full_backlog, listener], timeout=0.5)
    elapsed = time.monotonic() - started
    assert found[listener] is None
    assert found[full_backlog] == "timed out after 0.5s"
    assert 0.5 <= elapsed < 1.5


def test_waves_when_descriptors_are_few(monkeypatch, listener, closed_port):
    monkeypatch.setattr(reachability, "SPARE_DESCRIPTORS", 10 ** 9)   # waves of the minimum, 64
    endpoints = [listener] + [("127.0.0.1", closed_port)] * 3 + [("127.0.0.2", closed_port)]
    found = reachability.probe(endpoints * 40, timeout=2)
    assert found == {listener: None, ("127.0.0.1", closed_port): "Connection refused",
                     ("127.0.0.2", closed_port): "Connection refused"}


def kvm(name: str, address: str) -> Target:
    return Target("kvm-host", name, "zone1", address)


def collector_for(targets, connect_timeout=2) -> collectors.Collector:
    inventory = SimpleNamespace(ssh=SimpleNamespace(port=22, connect_timeout=connect_timeout))
    collector = collectors.Collector(inventory, policy=None, snapshot=None)
    collector.needs = {t.id: {"agent_properties"} for t in targets}
    return collector


def test_the_probe_is_shared_by_every_process_of_the_run(tmp_path, monkeypatch):
    """The first process probes; the others read its record and refuse the same endpoints at once."""
    targets = [kvm("hv01", "198.18.1.1"), kvm("hv02", "198.18.1.2"), Target("kvm-host", "hv03", "zone1", None)]
    calls = []

    def fake_probe(endpoints, timeout):
        calls.append(sorted(endpoints))
        return {("198.18.1.1", 22): None, ("198.18.1.2", 22): "No route to host"}
    monkeypatch.setattr(collectors.reachability, "probe", fake_probe)
    first, second = collector_for(targets), collector_for(targets)
    first.probe(targets, FactStore(tmp_path, None).shared)
    second.probe(targets, FactStore(tmp_path, None).shared)
    assert calls == [[("198.18.1.1", 22), ("198.18.1.2", 22)]]
    assert first.unreachable == second.unreachable == {("198.18.1.2", 22): "No route to host"}
    started = time.monotonic()
    with pytest.raises(Unreachable, match=r"^kvm-host://zone1/hv02: cannot connect: No route to host$"):
        second.connect_ssh("198.18.1.2", "kvm-host://zone1/hv02")
    assert time.monotonic() - started < 0.1


def test_a_failed_member_is_collected_once_for_every_reader(tmp_path):
    """However many checks and group checks read it, from however many threads and processes."""
    calls = []

    def collect(target):
        calls.append(target.id)
        time.sleep(0.2)
        raise Unreachable(f"{target.id}: cannot connect: No route to host")
    member = kvm("hv02", "198.18.1.2")
    stores = [FactStore(tmp_path, collect) for _ in range(2)]
    stores[0].prefetch([member])
    raised = []

    def read(store):
        try:
            store.raw(member)
        except Unreachable as err:
            raised.append(str(err))
    readers = [threading.Thread(target=read, args=(store,)) for store in stores * 4]
    for reader in readers:
        reader.start()
    for reader in readers:
        reader.join()
    for store in stores:
        store.close()
    assert calls == [member.id]
    assert raised == ["kvm-host://zone1/hv02: cannot connect: No route to host"] * 8
    stored = (tmp_path / "facts" / "kvm-host_zone1_hv02.json").read_text()
    assert error_record(Unreachable("x"))["error"]["type"] in stored
