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
from stackaudit.schema import Enum, Int, ListOf, MapOf, Optional, Record, SchemaError, Str, child, f, read_yaml

SEED_004_REJECT_PORTS = [16509, 16514, 45335, 41047, 8250]

POLICY = Record({
    "xenserver": f(Record({
        "ha_timeout": f(Int(1), 180),                       # seed 001
    }), dict),
    "firewall": f(Record({
        "reject_ports": f(ListOf(Int(1)), SEED_004_REJECT_PORTS),  # seed 004
        "v4_exceptions": f(ListOf(Str()), list),            # seed 004: the IPv4 chain has none
        "v6_management_prefix": f(Optional(Str())),         # seed 004 uses the site's management /64
    }), dict),
    "system_vms": f(Record({
        "libssl_floors": f(MapOf(Str()), lambda: {"7": "1.0.1e-2+deb7u6"}),  # seed 003: Debian 7 only
    }), dict),
    "database": f(Record({
        "binlog_format": f(Enum("ROW"), "ROW"),             # seeds 003, 004
    }), dict),
})


@dataclass(frozen=True)
class XenServerPolicy:
    ha_timeout: int


@dataclass(frozen=True)
class FirewallPolicy:
    reject_ports: tuple[int, ...]
    v4_exceptions: tuple[str, ...]      # normalised networks
    v6_management_prefix: str | None    # normalised network


@dataclass(frozen=True)
class SystemVmPolicy:
    libssl_floors: dict[str, str]       # Debian major release -> fixed version


@dataclass(frozen=True)
class DatabasePolicy:
    binlog_format: str


@dataclass(frozen=True)
class Policy:
    source: str
    xenserver: XenServerPolicy
    firewall: FirewallPolicy
    system_vms: SystemVmPolicy
    database: DatabasePolicy


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
        xenserver=XenServerPolicy(**data["xenserver"]),
        firewall=FirewallPolicy(
            tuple(fw["reject_ports"]),
            tuple(network(v, f"{child(fw_at, 'v4_exceptions')}[{i}]", 4) for i, v in enumerate(fw["v4_exceptions"])),
            None if fw["v6_management_prefix"] is None
            else network(fw["v6_management_prefix"], child(fw_at, "v6_management_prefix"), 6)),
        system_vms=SystemVmPolicy(libssl_floors(data["system_vms"]["libssl_floors"],
                                                child(child(where, "system_vms"), "libssl_floors"))),
        database=DatabasePolicy(**data["database"]))


def libssl_floors(floors: dict[str, str], where: str) -> dict[str, str]:
    for release, floor in floors.items():
        if not release.isdigit():
            raise ConfigError(f"{child(where, release)}: {release!r} is not a Debian major release; use e.g. \"12\"")
        try:
            Version(floor)
        except ValueError:
            raise ConfigError(f"{child(where, release)}: {floor!r} is not a Debian version; "
                              "write it as dpkg shows it, e.g. 3.0.15-1~deb12u1") from None
    return dict(floors)


def network(value: str, where: str, family: int) -> str:
    try:
        net = ipaddress.ip_network(value, strict=False)
    except ValueError:
        net = None
    if net is None or net.version != family:
        raise ConfigError(f"{where}: {value!r} is not an IPv{family} network; write it as "
                          f"{'198.51.100.0/24' if family == 4 else '2001:db8:1::/64'}")
    return str(net)
