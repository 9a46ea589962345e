"""System VMs: libssl versions and stale mappings (seed 003), versions after an upgrade."""
from __future__ import annotations

from stackaudit.errors import NotCheckable
from stackaudit.parsers.cloudstack import parse_cloudstack_version, versions_equal
from stackaudit.parsers.dpkg import version_at_least

# The runtime libssl package of each Debian release (interfaces.md section 5).
LIBSSL_PACKAGE = {"7": "libssl1.0.0", "8": "libssl1.0.2", "9": "libssl1.1", "10": "libssl1.1",
                  "11": "libssl1.1", "12": "libssl3", "13": "libssl3t64"}


def libssl_findings(release, packages: dict, system_vm_policy) -> list[str]:
    floor = system_vm_policy.libssl_floors.get(release.major)
    if floor is None:
        raise NotCheckable(f"the policy has no libssl floor for Debian {release.major} "
                           f"(system_vms.libssl_floors); add the fixed version for that release")
    library = LIBSSL_PACKAGE.get(release.major)
    installed = {name: p for name, p in packages.items() if p.installed}
    if library not in installed:
        listed = ", ".join(sorted(installed)) or "none"
        raise NotCheckable(f"{library}, the libssl package of Debian {release.major}, is not installed "
                           f"(installed ssl packages: {listed})")
    findings = []
    for name in ("openssl", library):
        package = installed.get(name)
        if package and not version_at_least(package.version, floor):
            findings.append(f"{name} {package.version} is below the fixed version {floor} "
                            f"for Debian {release.major}")
    return findings




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


def per_zone_findings(vms: list[dict]) -> list[str]:
    """SVM-PER-ZONE: at least one Running VM of each kind in the zone."""
    findings = []
    for kind, label in (("secondarystoragevm", "secondary storage VM"), ("consoleproxy", "console proxy VM")):
        states = sorted(f"{v['name']} {v.get('state')}" for v in vms if v.get("systemvmtype") == kind)
        if not any(v.get("state") == "Running" for v in vms if v.get("systemvmtype") == kind):
            findings.append(f"no Running {label} (" + (", ".join(states) or "none") + ")")
    return findings
