"""Which SSH targets `validate --connect` tries and in what order (collect/probe.py): each host once,
the system VMs behind it over its connection and only when it answered, a VMware jump host's VMs
through it, a VM without a route said so; with the transports replaced by a recorder."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace

import pytest

from stackaudit.collect import probe
from stackaudit.errors import LoginRefused, Unreachable
from stackaudit.targets import Snapshot, Target


class FakeHost:
    def __init__(self, label: str, log: list):
        self.backend = SimpleNamespace(label=label, close=lambda: log.append(f"close {label}"))


class FakeCollector:
    """connect_ssh as the Collector's: refused for the addresses in `refuse`."""

    def __init__(self, refuse: dict[str, Exception]):
        self.refuse, self.log = refuse, []
        self.inventory = SimpleNamespace(ssh=SimpleNamespace(known_hosts="kh", connect_timeout=5),
                                         system_vms=SimpleNamespace(port=3922))

    def connect_ssh(self, address, label):
        if not address:
            raise Unreachable(f"{label}: no SSH address (not in the API, not in the inventory)")
        if address in self.refuse:
            raise self.refuse[address]
        self.log.append(f"connect {address}")
        return FakeHost(address, self.log)

    def system_vm_route(self, vm):
        if vm.attrs.hypervisor == "VMware":
            return "management server ms1", "192.0.2.11", vm.attrs.privateip, "/var/lib/cloudstack/id_rsa"
        return f"host {vm.attrs.host}", vm.attrs.host_address, vm.address, "/root/.ssh/id_rsa.cloud"

    def system_vm_key_policy(self, vm):
        return None


@pytest.fixture
def through(monkeypatch):
    def connect_through(host, address, port, user, key_path, known_hosts, timeout, label, host_key_policy, pkey):
        if address == "169.254.0.9":
            raise LoginRefused(f"{label}: SSH login as root refused")
        return FakeHost(f"{address} via {host.backend.label}", [])
    monkeypatch.setattr(probe.ssh, "read_key", lambda host, path: f"key {path} of {host.backend.label}")
    monkeypatch.setattr(probe.ssh, "connect_through", connect_through)


def host(name, address):
    return Target("kvm-host", name, "z", address)


def vm(kind, name, host_name, host_address, address, hypervisor="KVM", privateip=None):
    return Target(kind, name, "z", address, attrs={"host": host_name, "host_address": host_address,
                                                   "hypervisor": hypervisor, "privateip": privateip})


def lines(refuse, targets):
    collector = FakeCollector(refuse)
    with ThreadPoolExecutor(2) as workers:
        results = probe.probe_ssh(collector, Snapshot("c", targets), workers)
    return [r.line for r in results], collector.log


def test_vms_go_through_their_host_and_are_not_tried_when_it_fails(through):
    targets = [host("h1", "192.0.2.1"), host("h2", "192.0.2.2"),
               vm("ssvm", "s-1-VM", "h1", "192.0.2.1", "169.254.0.1"),
               vm("router", "r-2-VM", "h2", "192.0.2.2", "169.254.0.2"),
               vm("cpvm", "v-3-VM", "h1", "192.0.2.1", "169.254.0.9"),
               Target("mgmt", "ms9", None, None),
               Target("db", "db1", None, "192.0.2.30", attrs={"ssh_address": None}),
               Target("db", "db2", None, "192.0.2.31", attrs={"ssh_address": "192.0.2.32"})]
    found, log = lines({"192.0.2.2": Unreachable("kvm-host://z/h2: cannot connect: No route to host")}, targets)
    assert found == [
        "SSH db://db2: ok",
        "SSH kvm-host://z/h1: ok",
        "SSH cpvm://z/v-3-VM: cpvm://z/v-3-VM via host h1: SSH login as root refused",
        "SSH ssvm://z/s-1-VM: ok",
        "SSH kvm-host://z/h2: cannot connect: No route to host",
        "SSH router://z/r-2-VM: not tried: its host kvm-host://z/h2 failed",
        "SSH mgmt://ms9: no SSH address (not in the API, not in the inventory)"]
    assert sorted(log) == ["close 192.0.2.1", "close 192.0.2.32", "connect 192.0.2.1", "connect 192.0.2.32"]


def test_a_vmware_vm_goes_through_the_jump_host_and_a_vm_without_a_route_says_so(through):
    targets = [vm("ssvm", "s-5-VM", None, None, "169.254.0.5", "VMware", "10.0.0.5"),
               vm("cpvm", "v-6-VM", "h7", None, "169.254.0.6")]
    found, log = lines({}, targets)
    assert found == ["SSH cpvm://z/v-6-VM: host h7: no SSH address (not in the API, not in the inventory)",
                     "SSH ssvm://z/s-5-VM: ok"]
    assert log == ["connect 192.0.2.11", "close 192.0.2.11"]
