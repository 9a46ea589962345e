"""A cloud for the `stackaudit known-hosts` unit tests: discovery's snapshot is given, each address
offers the key a table names (or cannot be reached), and a host login opens channels that record
where they lead. The key exchange itself is tested in test_keyscan.py, over a socket pair."""
from __future__ import annotations

import paramiko

from stackaudit.cli import known_hosts_command
from stackaudit.collect import host_key_scan, system_vm_keys
from stackaudit.collect.collectors import Collector
from stackaudit.errors import LoginRefused, Unreachable
from tests.unit.config_site import ssh_key_pair

NEW_KEY = paramiko.ECDSAKey.generate()
OTHER_KEY = paramiko.ECDSAKey.generate()
VM_KEY = paramiko.ECDSAKey.generate()


def site_key() -> paramiko.PKey:
    """The key config_site's known_hosts lists for 198.18.0.11 and 198.18.0.21."""
    return paramiko.hostkeys.HostKeyEntry.from_line("198.18.0.11 " + ssh_key_pair()[1]).key


class FakeCloud:
    def __init__(self, monkeypatch, snapshot, keys: dict[str, paramiko.PKey], refused_logins=()):
        self.keys, self.refused_logins = keys, set(refused_logins)
        self.asked: list[tuple[str, int, tuple[str, ...]]] = []    # (address, port, key types asked first)
        self.logins: list[str] = []                                 # the hops logged in to
        self.channels: list[tuple[str, tuple[str, int]]] = []       # (hop, where a channel led)
        monkeypatch.setattr(known_hosts_command, "discover", lambda inventory, limits: snapshot)
        monkeypatch.setattr(host_key_scan, "read_host_key", self.read_host_key)
        monkeypatch.setattr(system_vm_keys, "read_host_key", self.read_host_key)
        monkeypatch.setattr(Collector, "connect_ssh", lambda collector, address, label: self.login(address, label))

    def read_host_key(self, address, port, timeout, known_types, label, sock=None):
        """The key `keys` gives "HOP>ADDRESS" (a system VM behind HOP) or ADDRESS."""
        self.asked.append((address, port, tuple(known_types)))
        key = self.keys.get(f"{sock.hop}>{address}") if sock is not None else None
        if key is None and address not in self.keys:
            raise Unreachable(f"{label}: cannot connect: No route to host")
        return key or self.keys[address]

    def login(self, address, label):
        if address in self.refused_logins:
            raise LoginRefused(f"{label}: SSH login as root refused")
        self.logins.append(address)
        return FakeHost(self, address)


class FakeHost:
    def __init__(self, cloud: FakeCloud, address: str):
        self.cloud, self.address = cloud, address
        self.backend = self
        self.client = self

    def get_transport(self):
        return self

    def open_channel(self, kind, destination, source, timeout=None):
        assert kind == "direct-tcpip"
        self.cloud.channels.append((self.address, destination))
        return FakeChannel(self.address)

    def close(self):
        pass


class FakeChannel:
    def __init__(self, hop: str):
        self.hop = hop

    def close(self):
        pass
