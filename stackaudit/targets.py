"""Targets: what a check is run against, with ids that stay the same from run to run.

An id names the kind and the target's place in the cloud (`kvm-host://zone1/hv03`), never an
address or an index: Allure's history id hashes the parameters, so an unstable id breaks trends.
The controller discovers targets once and freezes them to a snapshot that every worker reads.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from stackaudit.config.redact import redact, redact_url
from stackaudit.config.safe_files import private_dir, write_file
from stackaudit.errors import ConfigError

KINDS = {
    "xs-pool": "XenServer pool (facts from its master, over XAPI)",
    "xs-host": "XenServer host",
    "kvm-host": "KVM host",
    "ssvm": "secondary storage VM",
    "cpvm": "console proxy VM",
    "router": "virtual router",
    "db": "database server",
    "mgmt": "management server",
    "tls-frontend": "TLS front end of the UI/API (from the inventory)",
    "zone": "zone (facts from the API)",
    "cluster": "cluster (facts from the API)",
    "network": "guest network (facts from the API; known by its uuid, as tenants name networks freely)",
    "vpc": "VPC (facts from the API; known by its uuid, as tenants name VPCs freely)",
    "vm": "stopped user VM (facts from the API; known by its uuid, as tenants name VMs freely)",
    "cloud": "the whole cloud (facts from the API and from every member target)",
}
SYSTEM_VM_KINDS = ("ssvm", "cpvm", "router")
# The machines whose OpenSSL the Heartbleed checks read (SVM-LIBSSL-*, MS-TLS-LIBSSL-PATCHED).
TLS_KINDS = (*SYSTEM_VM_KINDS, "tls-frontend")
# The machines whose firewall guards the CloudStack service ports (HOST-IPTABLES-V4/-V6 run on them).
FIREWALLED_KINDS = ("kvm-host", "xs-host", "mgmt")


# --- what discovery knows of each kind of target (from the API rows or the inventory) --------------
@dataclass(frozen=True)
class HostAttrs:
    """A hypervisor host's listHosts row."""
    id: str | None = None
    cluster: str | None = None
    clusterid: str | None = None
    hypervisor: str | None = None
    state: str | None = None
    resourcestate: str | None = None
    version: str | None = None


@dataclass(frozen=True)
class SystemVmAttrs:
    """A system VM's or router's row, and the host it runs on (how it is reached)."""
    id: str | None = None
    host: str | None = None
    host_address: str | None = None
    hypervisor: str | None = None
    privateip: str | None = None
    version: str | None = None
    requiresupgrade: Any = None


@dataclass(frozen=True)
class PoolAttrs:
    id: str | None = None
    members: tuple[str, ...] = ()
    member_addresses: tuple[str, ...] = ()
    reason: str | None = None            # why it has no master to reach
    # each member's host.software_version as discovery read it from the master (discovery/pool_software.py):
    # {"host", "address", "product_brand", "product_version"}; empty with the reason when not read
    software: tuple[dict, ...] = ()
    software_reason: str | None = None


@dataclass(frozen=True)
class ManagementAttrs:
    id: str | None = None
    ipaddress: str | None = None
    state: str | None = None
    version: str | None = None


@dataclass(frozen=True)
class DatabaseAttrs:
    """From the inventory's databases.servers."""
    port: int = 3306
    ssh_address: str | None = None
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class TlsFrontendAttrs:
    """From the inventory's tls_frontends: the port it terminates TLS on."""
    port: int = 443


@dataclass(frozen=True)
class ZoneAttrs:
    id: str | None = None
    allocationstate: str | None = None


@dataclass(frozen=True)
class ClusterAttrs:
    id: str | None = None
    hypervisor: str | None = None
    allocationstate: str | None = None
    hosts: int = 0                       # its Routing hosts, as listHosts type=Routing lists them
    cpuovercommitratio: Any = None
    memoryovercommitratio: Any = None


@dataclass(frozen=True)
class NetworkAttrs:
    """A listNetworks or listVPCs row, reduced to what decides whether its virtual router is judged
    (rules/routers.py router_judged); the target's name is the uuid, `name` the tenant's name."""
    id: str | None = None
    name: str | None = None
    type: str | None = None                 # Isolated, Shared, L2; None for a VPC
    state: str | None = None
    redundant: bool = False
    providers: tuple[str, ...] | None = None   # every service's providers; None: no service names one
    vpcid: str | None = None                # a VPC tier's VPC
    running_vms: int | None = None          # a Shared network's or redundant VPC's Running VMs; None: not listed
    running_vms_error: str | None = None    # why they could not be listed


@dataclass(frozen=True)
class VmAttrs:
    """A listVirtualMachines state=Stopped row (CLOUD-VMS-RESTARTED); the target's name is the uuid."""
    id: str | None = None
    name: str | None = None
    instancename: str | None = None
    haenable: bool = False
    account: str | None = None
    domain: str | None = None


@dataclass(frozen=True)
class CloudAttrs:
    endpoint: str | None = None     # as it may be shown: no userinfo, no secret query parameters
    versions: tuple[str, ...] = ()  # the versions listManagementServers reports, sorted, each once
    kubernetes_service: str | None = None        # cloud.kubernetes.service.enabled; None: not listed
    kubernetes_service_error: str | None = None  # why that setting could not be read

    def __post_init__(self):
        object.__setattr__(self, "endpoint", redact_url(self.endpoint))


ATTRS = {"kvm-host": HostAttrs, "xs-host": HostAttrs, "ssvm": SystemVmAttrs, "cpvm": SystemVmAttrs,
         "router": SystemVmAttrs, "xs-pool": PoolAttrs, "mgmt": ManagementAttrs, "db": DatabaseAttrs,
         "tls-frontend": TlsFrontendAttrs,
         "zone": ZoneAttrs, "cluster": ClusterAttrs, "network": NetworkAttrs, "vpc": NetworkAttrs, "vm": VmAttrs,
         "cloud": CloudAttrs}


def typed_attrs(kind: str, attrs):
    """The kind's attrs dataclass from a dict (discovery, or targets.json as a worker reads it)."""
    cls = ATTRS[kind]
    if isinstance(attrs, cls):
        return attrs
    names = {f.name for f in fields(cls)}
    unknown = sorted(set(attrs) - names)
    if unknown:
        raise TypeError(f"{kind} target: unknown attribute(s) {', '.join(unknown)}")
    return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in attrs.items()})


@dataclass(frozen=True)
class Target:
    kind: str
    name: str
    zone: str | None = None
    address: str | None = None          # where it is reached (SSH, XAPI, MariaDB); None: not reachable
    attrs: Any = field(default=None, compare=False, hash=False)   # the kind's dataclass (ATTRS)

    def __post_init__(self):
        object.__setattr__(self, "attrs", typed_attrs(self.kind, self.attrs or {}))

    @property
    def id(self) -> str:
        return f"{self.kind}://{self.zone}/{self.name}" if self.zone else f"{self.kind}://{self.name}"


@dataclass
class Snapshot:
    cloud: str
    targets: list[Target]
    discovered_at: str = ""
    notes: list[str] = field(default_factory=list)   # what discovery noticed (e.g. a pool master it could not reach)
    api: dict[str, list[dict]] = field(default_factory=dict)  # every row of each list command, as discovered
    insecure_channels: list[str] = field(default_factory=list)  # the inventory's unverified TLS channels ("cloud.api")
    _index: dict[str, Target] = field(default_factory=dict, init=False, repr=False, compare=False)

    def of_kinds(self, kinds) -> list[Target]:
        return sorted((t for t in self.targets if t.kind in kinds), key=lambda t: t.id)

    def cloud_versions(self) -> tuple[str, ...]:
        """The management servers' versions as discovered (several during an upgrade; none: not reported)."""
        clouds = self.of_kinds(("cloud",))
        return clouds[0].attrs.versions if clouds else ()

    def by_id(self, target_id: str) -> Target:
        if len(self._index) != len(self.targets):      # built once (a run asks for every item)
            self._index.clear()
            self._index.update((t.id, t) for t in self.targets)
        return self._index[target_id]

    def shard_key(self, target_id: str | None) -> str | None:
        """What a target is sharded by (config/shard.py): a system VM goes with the host it is
        reached through, so one shard holds both and the host's one SSH connection serves both
        (collect/collectors.py, Unit); every other target by its own id."""
        if target_id is None or not target_id.startswith(tuple(f"{kind}://" for kind in SYSTEM_VM_KINDS)):
            return target_id
        vm = self.by_id(target_id)
        for kind in ("kvm-host", "xs-host"):
            host = Target(kind, vm.attrs.host or "", vm.zone).id
            if host in self._index:
                return host
        return target_id

    def save(self, path: Path, raw: bool = False) -> None:
        """targets.json, an output like any report: the API rows, attributes and notes masked, the
        targets' own kind, name, zone and address as they are (never masked: config/redact.py).
        `raw`: as discovered, for the run's own processes only (collect/factstore.py raw_dir)."""
        private_dir(path.parent)
        targets = [asdict(t) for t in sorted(self.targets, key=lambda t: t.id)]
        frozen = {"cloud": self.cloud, "discovered_at": self.discovered_at, "notes": self.notes, "api": self.api}
        if not raw:
            frozen = redact(frozen)
            targets = [{**t, "attrs": redact(t["attrs"])} for t in targets]
        write_file(path, json.dumps({**frozen, "targets": targets, "insecure_channels": self.insecure_channels},
                                    indent=1, sort_keys=True))

    def identities(self) -> set[str]:
        """Every target's id, name, zone and address: never masked by value (config/redact.py)."""
        return {value for t in self.targets for value in (t.id, t.name, t.zone, t.address) if value}

    @classmethod
    def load(cls, path: Path) -> "Snapshot":
        try:
            raw = json.loads(path.read_text())
            return cls(raw["cloud"], [Target(**t) for t in raw["targets"]], raw.get("discovered_at", ""),
                       raw.get("notes", []), raw.get("api", {}), raw.get("insecure_channels", []))
        except (OSError, ValueError, KeyError, TypeError) as err:
            raise ConfigError(f"{path}: not a target snapshot ({type(err).__name__}); rerun discovery") from None
