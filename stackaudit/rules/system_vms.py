"""System VMs: libssl versions and stale mappings ([CS-HEARTBLEED], docs/sources.md),
versions after an upgrade."""
from __future__ import annotations

from stackaudit.errors import NotCheckable
from stackaudit.parsers.api_rows import SystemVmRow
from stackaudit.parsers.cloudstack import parse_cloudstack_version, versions_equal
from stackaudit.parsers.dpkg import version_at_least
from stackaudit.parsers.numbers import read_java_int, reads

# The runtime libssl packages of each Debian release, from Debian's own package data
# (tests/data/recorded/SOURCES.md, "libssl package names"):
#  7 wheezy, 8 jessie: libssl1.0.0 (source openssl 1.0.1e / 1.0.1t; [CS-HEARTBLEED] names it for 7).
#  9 stretch: libssl1.1 (source openssl 1.1.0) and libssl1.0.2 (source openssl1.0, kept for
#    compatibility; both are installed side by side, e.g. multicast/docker-stretch's dpkg -l).
#  10 buster, 11 bullseye: libssl1.1 (packages.debian.org/buster|bullseye/libssl1.1).
#  12 bookworm: libssl3 (packages.debian.org/source/bookworm/openssl; apt-cache show libssl3).
#  13 trixie: libssl3t64, renamed by the 64-bit time_t transition (Debian 13's installed list).
LIBSSL_PACKAGES = {"7": ("libssl1.0.0",), "8": ("libssl1.0.0",), "9": ("libssl1.0.2", "libssl1.1"),
                   "10": ("libssl1.1",), "11": ("libssl1.1",), "12": ("libssl3",), "13": ("libssl3t64",)}


def libssl_findings(release, packages: dict, system_vm_policy, policy_key: str = "system_vms.libssl_floors") -> list[str]:
    """SVM-LIBSSL-PATCHED: openssl and the release's libssl packages, as dpkg lists them.

    Only installed packages are judged (dpkg has no version for the others, and nothing loads
    them); at least one of the release's libssl packages must be installed, or the VM's TLS
    library is not the one the suite knows and it is not checked. A release the suite has no
    package names for, or the policy no floor for, is not checked either: never passed.
    `policy_key`: where the floors are in the policy (MS-TLS-LIBSSL-PATCHED reads its own).
    """
    libraries = LIBSSL_PACKAGES.get(release.major or "")
    if libraries is None:
        known = ", ".join(sorted(LIBSSL_PACKAGES, key=int))
        raise NotCheckable(f"{release.name}: the suite knows the libssl package names of Debian {known} only; "
                           "this release cannot be checked")
    floors = system_vm_policy.libssl_floors.get(release.major)
    if floors is None:
        raise NotCheckable(f"the policy has no libssl floor for Debian {release.major} "
                           f"({policy_key}); add the fixed version for that release")
    installed = {name: p for name, p in packages.items() if p.installed}
    if not set(libraries) & set(installed):
        listed = ", ".join(f"{n} {p.version}" for n, p in sorted(installed.items())) or "none"
        raise NotCheckable(f"{' or '.join(libraries)}, the libssl package of {release.name}, is not installed "
                           f"(installed ssl packages: {listed})")
    findings = []
    for name in ("openssl", *libraries):
        package = installed.get(name)
        if package is None:
            continue
        floor = floor_for(floors, name, release, policy_key)
        if not version_at_least(package.version, floor):
            findings.append(f"{name} {package.version} is below the fixed version {floor} for {release.name}")
    return findings


def floor_for(floors, package: str, release, policy_key: str) -> str:
    """One floor for the release, or one per package (Debian 9's two libraries have two)."""
    if isinstance(floors, str):
        return floors
    if package not in floors:
        raise NotCheckable(f"the policy's libssl floors for Debian {release.major} name no fixed version for "
                           f"{package} ({policy_key}.\"{release.major}\".{package})")
    return floors[package]


def stale_mapping_findings(mappings) -> list[str]:
    return [f"process {m.process} (pid {m.pid}) still maps {m.path} (deleted): restart it" for m in mappings]


def reads_release_file(kind: str, cloud_version: str) -> bool:
    """listSystemVms has `version` since 4.13.1; before, the VM's /etc/cloudstack-release says it."""
    return kind != "router" and parse_cloudstack_version(cloud_version) < parse_cloudstack_version("4.13.1")


def version_findings(kind: str, agent_version: str | None, requires_upgrade, release_version: str | None,
                     cloud_version: str, management_versions: set[str]) -> list[str]:
    """SVM-VERSION-CURRENT: routers by `requiresupgrade`; SSVM and CPVM by their agent version."""
    if kind == "router":
        return ["CloudStack says the router requires an upgrade (requiresupgrade true)"] if requires_upgrade else []
    if len(management_versions) != 1:
        raise NotCheckable(f"the management servers run different versions ({', '.join(sorted(management_versions))}); "
                           "see MS-VERSION-CONSISTENT")
    (wanted,) = management_versions
    from_file = reads_release_file(kind, cloud_version)
    have, where = (release_version, "/etc/cloudstack-release") if from_file else (agent_version, "agent version")
    if not have:
        raise NotCheckable(f"no {where} for this system VM")
    if versions_equal(have, wanted):
        return []
    return [f"its {where} is {have}; the management servers run {wanted}"]


def per_zone_findings(vms: list[SystemVmRow]) -> list[str]:
    """SVM-PER-ZONE: at least one Running VM of each kind in the zone."""
    findings = []
    for kind, label in (("secondarystoragevm", "secondary storage VM"), ("consoleproxy", "console proxy VM")):
        states = sorted(f"{v.name} {v.state}" for v in vms if v.systemvmtype == kind)
        if not any(v.state == "Running" for v in vms if v.systemvmtype == kind):
            findings.append(f"no Running {label} (" + (", ".join(states) or "none") + ")")
    return findings


SSVM_OFFERING_SETTING = "secstorage.service.offering"


def ssvm_offering_findings(setting: str | None, offerings, vm: SystemVmRow, ssvm_policy) -> list[str]:
    """SVM-SSVM-OFFERING. CloudStack (SecondaryStorageManagerImpl.configure) looks the setting up by
    uuid, then as a numeric database id, and silently uses the built-in offering when neither is a
    system offering; the SSVM's offering must meet the policy's floors in any case."""
    by_id = {o.id: o for o in offerings}
    floors = ssvm_policy.min_cpu_mhz is not None or ssvm_policy.min_memory_mb is not None
    if (setting or floors) and vm.serviceofferingid is None:
        raise NotCheckable("listSystemVms gives no serviceofferingid for it (the field came with apache/cloudstack "
                           "pull request 7938, 2023); its offering cannot be read from the API")
    findings = []
    if setting:
        if setting not in by_id and reads(read_java_int, setting, bits=64):   # CloudStack's Long.parseLong
            raise NotCheckable(f"{SSVM_OFFERING_SETTING} is {setting!r}, a database id; the API names offerings "
                               "by uuid only, so which offering it means cannot be read here (set the uuid)")
        if setting not in by_id:
            findings.append(f"{SSVM_OFFERING_SETTING} {setting} is no system offering for secondary storage VMs "
                            "(listServiceOfferings issystem=true): CloudStack ignores it and uses its default")
        elif vm.serviceofferingid != setting:
            findings.append(f"runs on offering {vm.serviceofferingname or vm.serviceofferingid}, not "
                            f"{by_id[setting].name or setting} that {SSVM_OFFERING_SETTING} names: recreate it "
                            "after the management servers have restarted")
    if not floors:
        return findings
    offering = by_id.get(vm.serviceofferingid)
    if offering is None and findings:
        return findings + [f"its offering {vm.serviceofferingid} is not listed, so its size was not judged"]
    if offering is None:
        raise NotCheckable(f"its offering {vm.serviceofferingid} is not among the system offerings for "
                           "secondary storage VMs (listServiceOfferings issystem=true); its size is unknown")
    return findings + offering_floor_findings(offering, ssvm_policy)


def offering_floor_findings(offering, ssvm_policy) -> list[str]:
    findings = []
    label = f"offering {offering.name or offering.id}"
    if ssvm_policy.min_cpu_mhz is not None:
        if offering.cpunumber is None or offering.cpuspeed is None:
            raise NotCheckable(f"{label} has no cpunumber or cpuspeed (a custom offering)")
        total = offering.cpunumber * offering.cpuspeed
        if total < ssvm_policy.min_cpu_mhz:
            findings.append(f"{label} gives {offering.cpunumber} x {offering.cpuspeed} MHz = {total} MHz, below "
                            f"the policy's ssvm.min_cpu_mhz {ssvm_policy.min_cpu_mhz}")
    if ssvm_policy.min_memory_mb is not None:
        if offering.memory is None:
            raise NotCheckable(f"{label} has no memory (a custom offering)")
        if offering.memory < ssvm_policy.min_memory_mb:
            findings.append(f"{label} gives {offering.memory} MiB of memory, below the policy's "
                            f"ssvm.min_memory_mb {ssvm_policy.min_memory_mb}")
    return findings
