"""KVM-PACKAGES: the packages a Debian/Ubuntu KVM host needs, read from `dpkg-query` (parsers/dpkg.py).

The list is the policy's (`kvm`, config/policy.py); the two RBD packages are needed only where the host's zone has a primary
storage pool of type RBD (listStoragePools `type`, CloudStack's Storage.StoragePoolType). qemu-system-x86
is compared with the policy's floor by dpkg's rules: `qemu-kvm` is a virtual package on Debian, so the
floor sits on the package that provides it.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from stackaudit.parsers.api_rows import StoragePoolRow
from stackaudit.parsers.dpkg import Package, version_at_least

QEMU_PACKAGE = "qemu-system-x86"
RBD_POOL_TYPE = "RBD"


@dataclass
class PackagesVerdict:
    findings: list[str]
    evidence: dict = field(default_factory=dict)


def rbd_pools(pools: list[StoragePoolRow], zone_id: str) -> list[str]:
    """The names (ids when unnamed) of the zone's primary pools of type RBD."""
    return [pool.name or pool.id for pool in pools if pool.zoneid == zone_id and pool.type == RBD_POOL_TYPE]


def required_packages(packages: tuple[str, ...], rbd_packages: tuple[str, ...], zone_has_rbd: bool) -> list[str]:
    wanted = list(packages) + (list(rbd_packages) if zone_has_rbd else [])
    return list(dict.fromkeys(wanted))


def fully_installed(package: Package) -> bool:
    """`${Status}` is `<want> ok installed`: unpacked and configured, without an error flag. A held
    package (`hold ok installed`) is installed."""
    words = package.status.split()
    return words[1:] == ["ok", "installed"]


def package_findings(installed: dict[str, Package], packages: tuple[str, ...], rbd_packages: tuple[str, ...],
                     pools_rbd: list[str], qemu_floor: str) -> PackagesVerdict:
    """The host's dpkg-query answer for the required packages against the policy."""
    required = required_packages(packages, rbd_packages, bool(pools_rbd))
    findings = []
    for name in required:
        package = installed.get(name)
        if package is None:
            findings.append(f"{name} is not installed (dpkg-query lists no such package)")
        elif not fully_installed(package):
            findings.append(f"{name} is not installed: dpkg status {package.status!r}, not '... ok installed'")
        elif name == QEMU_PACKAGE and not version_at_least(package.version, qemu_floor):
            findings.append(f"{name} {package.version} is below the policy floor {qemu_floor} (dpkg --compare-versions)")
    why_rbd = (f"the zone has RBD primary storage ({', '.join(pools_rbd)})" if pools_rbd
               else "the zone has no RBD primary storage: the RBD packages are not required")
    return PackagesVerdict(findings, {
        "required packages": required,
        "RBD packages": why_rbd,
        "qemu-system-x86 floor": qemu_floor,
        "dpkg status": {name: (f"{installed[name].status} {installed[name].version}".strip()
                               if name in installed else "unknown") for name in required},
    })
