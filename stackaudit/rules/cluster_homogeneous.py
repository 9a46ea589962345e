"""CLUSTER-HOMOGENEOUS: the hosts of a cluster report the same hypervisor version, the same OS and
the same CPU, so a VM can live-migrate between any two of them (and a host can be emptied for
maintenance). CloudStack itself compares only `Host.OS`, case-insensitively, when a KVM host joins
a cluster (apache/cloudstack LibvirtServerDiscoverer createHostVOForConnectedAgent: "Can't add host
... with hostOS ..."); it never looks again, nor at the CPU.

Names and values are free text from the API, XAPI or a host: quoted with repr (`shown`).
"""
from __future__ import annotations

from dataclasses import dataclass

from stackaudit.config.files import shown
from stackaudit.errors import UnparsableOutput
from stackaudit.parsers.api_rows import HostRow
from stackaudit.parsers.cpuinfo import CpuIdentity

CPU_MATCH = ("model", "vendor", "off")   # policy cluster.cpu_match


@dataclass(frozen=True)
class HostProfile:
    """What one host of the cluster reports; None where it does not say (or could not be read)."""
    name: str
    hypervisorversion: str | None = None
    os: str | None = None                # KVM: listHosts details Host.OS
    os_version: str | None = None        # KVM: its version detail
    cpu: CpuIdentity | None = None       # KVM: /proc/cpuinfo; XenServer: XAPI host.cpu_info


def homogeneity_findings(hosts: list[HostProfile], cpu_match: str = "model") -> list[str]:
    """One finding per property on which the hosts differ, naming each value and its hosts. A host
    whose value is unknown (None) is left out of that comparison; the caller says it was not read."""
    if cpu_match not in CPU_MATCH:
        raise ValueError(f"cluster.cpu_match {cpu_match!r}: expected one of {', '.join(CPU_MATCH)}")
    properties = [("hypervisorversion", lambda h: h.hypervisorversion, str),
                  ("OS (Host.OS)", lambda h: h.os, str.casefold),
                  ("OS version", lambda h: h.os_version, str)]
    if cpu_match != "off":
        properties.append(("CPU vendor", lambda h: h.cpu and h.cpu.vendor_name, str))
    if cpu_match == "model":
        properties.append(("CPU model", lambda h: h.cpu and h.cpu.model_name, str))
    findings = []
    for label, value_of, key in properties:
        by_value: dict[str, list[HostProfile]] = {}
        for host in hosts:
            value = value_of(host)
            if value is not None:
                by_value.setdefault(key(value), []).append(host)
        if len(by_value) > 1:
            parts = [f"{shown(value_of(same[0]))} on {', '.join(sorted(shown(h.name) for h in same))}"
                     for same in sorted(by_value.values(), key=lambda s: (-len(s), str(value_of(s[0]))))]
            findings.append(f"{label} differs: " + "; ".join(parts))
    return findings


def profiles_evidence(hosts: list[HostProfile]) -> list[dict]:
    """What each host reported, as the evidence shows it (None: not reported or not read)."""
    return [{"host": h.name, "hypervisorversion": h.hypervisorversion, "Host.OS": h.os, "Host.OS.Version": h.os_version,
             "cpu vendor": h.cpu and h.cpu.vendor_name, "cpu model": h.cpu and h.cpu.model_name} for h in hosts]


def kvm_os(row: HostRow) -> tuple[str | None, str | None]:
    """A KVM host's (Host.OS, Host.OS.Version) from its listHosts `details`, the values the agent
    reported when it connected; (None, None) where the row has no details (another hypervisor)."""
    if row.details is None:
        return None, None
    if not isinstance(row.details, dict) or not all(isinstance(v, str) for v in row.details.values()):
        raise UnparsableOutput(f"API listHosts: host {row.name!r}: details is not an object of texts")
    return row.details.get("Host.OS"), row.details.get("Host.OS.Version")
