"""Where every part of a resolved scenario lives: addresses, namespace names and stable ids.

Ids are derived from names (uuid5), so the same scenario always yields the same ids: target ids
and Allure history stay stable across lab runs.
"""
from __future__ import annotations

import hashlib
import ipaddress
import uuid
from dataclasses import dataclass, field

BRIDGE = "salab0"
NETNS_PREFIX = "salab-"
BRIDGE_V4 = ipaddress.IPv4Interface("198.18.0.1/15")
MGMT_V6_PREFIX = ipaddress.IPv6Network("fd00:5341:4c41::/64")
BRIDGE_V6 = ipaddress.IPv6Interface("fd00:5341:4c41::1/64")
LINK_LOCAL_HOST = ipaddress.IPv4Interface("169.254.0.1/16")   # the host's cloud0 bridge
_MS_BASE = ipaddress.IPv4Address("198.18.0.10")
_DB_BASE = ipaddress.IPv4Address("198.18.0.100")
_TLS_BASE = ipaddress.IPv4Address("198.18.0.200")
# The database pair's VIP, which keepalived moves between the two servers ([CSC-WIKI]); the
# management servers' db.properties name it (DB-VIP-SINGLE-HOLDER).
DB_VIP = "198.18.0.250"
_HOST_BASE = ipaddress.IPv4Address("198.18.1.1")
_LINK_LOCAL_BASE = ipaddress.IPv4Address("169.254.1.1")
_ID_NAMESPACE = uuid.UUID("6d1e2c1a-5a3b-4c0e-9f57-0d2b8a8c4e11")


def stable_id(kind: str, name: str) -> str:
    return str(uuid.uuid5(_ID_NAMESPACE, f"{kind}/{name}"))


def kvm_guid(address: str) -> str:
    """CloudStack's KVM discoverer: Java UUID.nameUUIDFromBytes(agentIp.getBytes()), an MD5 type-3 UUID."""
    return str(uuid.UUID(bytes=hashlib.md5(address.encode()).digest(), version=3))


def v6_for(v4: ipaddress.IPv4Address) -> str:
    return str(ipaddress.IPv6Address(int(MGMT_V6_PREFIX.network_address) | int(v4)))


@dataclass
class Node:
    """One machine of the lab and where it is."""
    kind: str            # kvm-host, xs-host, systemvm (ssvm, cpvm, router), db, mgmt, tls-frontend
    name: str
    facts: dict          # the resolved scenario entry
    id: str
    netns: str
    address: str         # lab bridge address; for a system VM its link-local address
    address6: str | None
    index: int           # position among all machines; names its veth
    zone: dict | None = None
    pod: dict | None = None
    cluster: dict | None = None
    host: "Node | None" = None                 # a system VM's host
    system_vms: list["Node"] = field(default_factory=list)  # a host's system VMs


@dataclass
class Topology:
    scenario: dict
    management: list[Node]
    databases: list[Node]
    hosts: list[Node]
    system_vms: list[Node]
    tls_frontends: list[Node] = field(default_factory=list)

    @property
    def machines(self) -> list[Node]:
        return self.management + self.databases + self.tls_frontends + self.hosts + self.system_vms

    def host(self, name: str) -> Node:
        return next(h for h in self.hosts if h.name == name)

    def version(self, node_version: str | None) -> str:
        return node_version or self.scenario["cloudstack_version"]


def build_topology(scenario: dict) -> Topology:
    counter = iter(range(1, 1_000_000))

    def node(kind, facts, address, **where) -> Node:
        addr = ipaddress.IPv4Address(address)
        six = v6_for(addr) if kind != "systemvm" else None
        return Node(kind, facts["name"], facts, stable_id(kind, facts["name"]),
                    NETNS_PREFIX + facts["name"], str(addr), six, next(counter), **where)

    management = [node("mgmt", ms, _MS_BASE + i) for i, ms in enumerate(scenario["management_servers"])]
    databases = [node("db", db, _DB_BASE + i) for i, db in enumerate(scenario["databases"])]
    frontends = [node("tls-frontend", t, _TLS_BASE + i) for i, t in enumerate(scenario["tls_frontends"])]
    hosts, system_vms = [], []
    for zone in scenario["zones"]:
        zone_hosts = {}
        for pod in zone["pods"]:
            for cluster in pod["clusters"]:
                kind = "kvm-host" if cluster["hypervisor"] == "KVM" else "xs-host"
                for host in cluster["hosts"]:
                    n = node(kind, host, _HOST_BASE + len(hosts), zone=zone, pod=pod, cluster=cluster)
                    hosts.append(n)
                    zone_hosts[host["name"]] = n
        for svm in zone["system_vms"]:
            parent = zone_hosts[svm["host"]]
            # Each host's cloud0 bridge is its own L2 domain: its system VMs start again at the
            # same base, so addresses repeat across hosts as they do across pods in a real cloud.
            n = node("systemvm", svm, _LINK_LOCAL_BASE + len(parent.system_vms), zone=zone, pod=parent.pod,
                     cluster=parent.cluster, host=parent)
            parent.system_vms.append(n)
            system_vms.append(n)
    return Topology(scenario, management, databases, hosts, system_vms, frontends)
