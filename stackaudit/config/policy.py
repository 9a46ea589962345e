"""The policy: every expected value a check compares against, with the catalog's defaults.

inventories/policy.yml lists every key with its default and the document it comes from; a site
copies it and points its inventory's `policy:` at the copy. Keys left out keep their defaults.
"""
from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from pathlib import Path

from debian.debian_support import Version

from stackaudit.errors import ConfigError
from stackaudit.config.schema import Enum, Int, Kind, ListOf, MapOf, Optional, Record, SchemaError, Str, child, f, read_yaml


class VersionOrPerPackage(Kind):
    expected = "a Debian version, or a mapping of package names to Debian versions"

    def check(self, value, where):
        if isinstance(value, dict):
            return MapOf(Str()).check(value, where)
        return Str().check(value, where)


# [CSC-WIKI] (README, Sources): the ports its CLOUDSTACK-SERVICES chain rejects.
CSC_WIKI_REJECT_PORTS = [16509, 16514, 45335, 41047, 8250]
# [CSC-WIKI]'s global settings whose names and values survived in the page's text (two lines are
# garbled there: `allow.public.user.templates = false = 0` and `max.project.memory = 8192 = 40 = 20`;
# their first value is taken). ca.plugin.root.auth.strictness is MS-CA-STRICT's own rule.
CSC_WIKI_GLOBAL_SETTINGS = {
    "allow.user.expunge.recover.vm": "true", "allow.user.view.destroyed.vm": "true", "expunge.delay": "1",
    "expunge.interval": "1", "network.securitygroups.defaultadding": "false",
    "allow.public.user.templates": "false", "network.throttling.rate": "0", "cpu.overprovisioning.factor": "4.0",
    "allow.user.create.projects": "false", "max.project.cpus": "8", "max.project.memory": "8192",
    "max.account.cpus": "8", "max.account.memory": "8192",
}
GLOB_CHARACTERS = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_./*?-+@")

POLICY = Record({
    "xenserver": f(Record({
        "ha_timeout": f(Int(1), 180),                                   # [BERGSMA-XS-HA]
        "min_pool_hosts": f(Int(1), 3),                                 # [BERGSMA-XS-HA]
        "ha_sr_types": f(ListOf(Str()), lambda: ["nfs", "lvmoiscsi", "lvmohba"]),  # [BERGSMA-XS-HA]
        "ha_required_from": f(Str(), "4.5"),                            # [BERGSMA-XS-HA]: 4.5+ relies on pool HA
        "ha_required_patch_levels": f(ListOf(Str()), list),             # [BERGSMA-XS-HA] names 4.3.x/4.4.x, not levels
    }), dict),
    "firewall": f(Record({
        "reject_ports": f(ListOf(Int(1)), CSC_WIKI_REJECT_PORTS),       # [CSC-WIKI]
        "v4_exceptions": f(ListOf(Str()), list),                        # [CSC-WIKI]: the IPv4 chain has none
        "v6_management_prefix": f(Optional(Str())),                     # [CSC-WIKI] uses the site's management /64
    }), dict),
    "libvirt": f(Record({
        "transport": f(Enum("tcp", "tls"), "tcp"),                      # [CSC-WIKI] (tcp); [CS-DOCS-KVM]: tls
    }), dict),
    "system_vms": f(Record({
        # [CS-HEARTBLEED]: Debian 7 only. A release's value is one version, or one per package (Debian 9
        # ships libssl1.0.2 and libssl1.1, whose versions differ).
        "libssl_floors": f(MapOf(VersionOrPerPackage()), lambda: {"7": "1.0.1e-2+deb7u6"}),
    }), dict),
    "database": f(Record({
        "binlog_format": f(Enum("ROW"), "ROW"),                         # [SHAPEBLUE-HOWTO], [CSC-WIKI]
        "topology": f(Enum("master-master", "master-replica"), "master-master"),  # [CSC-WIKI]; [SHAPEBLUE-HOWTO] master-replica
        "max_replication_lag_seconds": f(Int(0), 60),
        "innodb_lock_wait_timeout": f(Int(1), 600),                     # [SHAPEBLUE-HOWTO]
        "min_max_connections": f(Int(1), 350),                          # [SHAPEBLUE-HOWTO]
        "time_zone": f(Str(), "+00:00"),                                # [SHAPEBLUE-HOWTO]
        "address": f(Optional(Str())),                                  # [CSC-WIKI]: the VIP db.properties names
    }), dict),
    "management": f(Record({
        "min_servers": f(Int(1), 2),                                    # [BERGSMA-OPS]
        "global_settings": f(MapOf(Str()), lambda: dict(CSC_WIKI_GLOBAL_SETTINGS)),  # [CSC-WIKI]
    }), dict),
    "backups": f(Record({
        "max_age_hours": f(Int(1), 24),                                 # [CSC-WIKI]: a backup before the upgrade
        "database_servers": f(ListOf(Str()), list),                     # globs of cloud and cloud_usage dumps
        "management_servers": f(ListOf(Str()), list),                   # globs of /etc/cloudstack, /var/lib/cloudstack copies
        "kvm_hosts": f(ListOf(Str()), list),
    }), dict),
    "waivers": f(Record({
        # How far ahead a waiver may expire: an accepted deviation is reviewed at least this often.
        "max_days_ahead": f(Int(1), 180),
    }), dict),
})
BACKUP_KINDS = {"database_servers": "db", "management_servers": "mgmt", "kvm_hosts": "kvm-host"}


@dataclass(frozen=True)
class XenServerPolicy:
    ha_timeout: int
    min_pool_hosts: int
    ha_sr_types: tuple[str, ...]
    ha_required_from: str
    ha_required_patch_levels: tuple[str, ...]


@dataclass(frozen=True)
class FirewallPolicy:
    reject_ports: tuple[int, ...]
    v4_exceptions: tuple[str, ...]      # normalised networks
    v6_management_prefix: str | None    # normalised network


@dataclass(frozen=True)
class LibvirtPolicy:
    transport: str


@dataclass(frozen=True)
class SystemVmPolicy:
    libssl_floors: dict[str, str | dict[str, str]]   # Debian major release -> fixed version(s)


@dataclass(frozen=True)
class DatabasePolicy:
    binlog_format: str
    topology: str
    max_replication_lag_seconds: int
    innodb_lock_wait_timeout: int
    min_max_connections: int
    time_zone: str
    address: str | None


@dataclass(frozen=True)
class ManagementPolicy:
    min_servers: int
    global_settings: dict[str, str]


@dataclass(frozen=True)
class BackupPolicy:
    max_age_hours: int
    locations: dict[str, tuple[str, ...]]   # target kind -> globs that must each match a fresh file


@dataclass(frozen=True)
class WaiverPolicy:
    max_days_ahead: int


@dataclass(frozen=True)
class Policy:
    source: str
    xenserver: XenServerPolicy
    firewall: FirewallPolicy
    libvirt: LibvirtPolicy
    system_vms: SystemVmPolicy
    database: DatabasePolicy
    management: ManagementPolicy
    backups: BackupPolicy
    waivers: WaiverPolicy


def load_policy(path: Path | None) -> Policy:
    """The policy at `path`, or the defaults when no policy file is given."""
    if path is None:
        return policy_from_data({}, "defaults")
    raw = read_yaml(path, "fix the inventory's policy path", ConfigError)
    return policy_from_data(raw, str(path))


def policy_from_data(raw: object, source: str) -> Policy:
    where = f"{source}:"
    try:
        data = POLICY.check(raw, where)
    except SchemaError as err:
        raise ConfigError(str(err)) from None
    fw = data["firewall"]
    fw_at = child(where, "firewall")
    return Policy(
        source=source,
        xenserver=XenServerPolicy(**{k: tuple(v) if isinstance(v, list) else v for k, v in data["xenserver"].items()}),
        firewall=FirewallPolicy(
            tuple(fw["reject_ports"]),
            tuple(network(v, f"{child(fw_at, 'v4_exceptions')}[{i}]", 4) for i, v in enumerate(fw["v4_exceptions"])),
            None if fw["v6_management_prefix"] is None
            else network(fw["v6_management_prefix"], child(fw_at, "v6_management_prefix"), 6)),
        system_vms=SystemVmPolicy(libssl_floors(data["system_vms"]["libssl_floors"],
                                                child(child(where, "system_vms"), "libssl_floors"))),
        libvirt=LibvirtPolicy(**data["libvirt"]),
        database=DatabasePolicy(**data["database"]),
        management=ManagementPolicy(**data["management"]),
        backups=BackupPolicy(data["backups"]["max_age_hours"], {
            BACKUP_KINDS[key]: tuple(backup_glob(g, f"{child(child(where, 'backups'), key)}[{i}]")
                                     for i, g in enumerate(data["backups"][key])) for key in BACKUP_KINDS}),
        waivers=WaiverPolicy(**data["waivers"]))


def libssl_floors(floors: dict, where: str) -> dict:
    for release, floor in floors.items():
        if not release.isdigit():
            raise ConfigError(f"{child(where, release)}: {release!r} is not a Debian major release; use e.g. \"12\"")
        per_package = floor.items() if isinstance(floor, dict) else [(None, floor)]
        for package, version in per_package:
            at = child(where, release) if package is None else child(child(where, release), package)
            try:
                Version(version)
            except ValueError:
                raise ConfigError(f"{at}: {version!r} is not a Debian version; "
                                  "write it as dpkg shows it, e.g. 3.0.15-1~deb12u1") from None
    return dict(floors)


def backup_glob(value: str, where: str) -> str:
    if not value.startswith("/") or not set(value) <= GLOB_CHARACTERS:
        raise ConfigError(f"{where}: {value!r} is not an absolute path pattern of letters, digits and . _ - + @ * ?; "
                          "write it like /var/backups/cloudstack/cloud-*.sql.gz")
    return value


def network(value: str, where: str, family: int) -> str:
    try:
        net = ipaddress.ip_network(value, strict=False)
    except ValueError:
        net = None
    if net is None or net.version != family:
        raise ConfigError(f"{where}: {value!r} is not an IPv{family} network; write it as "
                          f"{'198.51.100.0/24' if family == 4 else '2001:db8:1::/64'}")
    return str(net)
