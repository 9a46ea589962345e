"""KVM-CGROUP2-CPU-WEIGHT: on a cgroup v2 host, the CloudStack agent keeps a VM's CPU weight in range.

Before apache/cloudstack pull request 8252 ("kvm: Add support for cgroupv2", in 4.18.2.0 and
4.19.0.0), the agent gives libvirt cores × MHz as the domain's CPU shares; on the unified hierarchy
libvirt writes that to cpu.weight, whose range is 1-10000, so a VM above it fails to start or
migrate ("Value specified in CPUWeight is out of range", apache/cloudstack issue 6744). The
installed agent (dpkg-query, parsers/dpkg.py) is compared with the policy's floor by dpkg's rules,
or matched against the patched builds the policy lists; the version CloudStack reports for the
host (listHosts `version`) is the agent that runs, so it is compared too.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from stackaudit.errors import NotCheckable, UnparsableOutput
from stackaudit.parsers.dpkg import Package, compare_versions, parse_version, version_at_least

AGENT_PACKAGE = "cloudstack-agent"
# CloudStack's packaging/build-deb.sh builds `${VERSION}~${DISTCODE}` (4.19.0.0~bookworm); by dpkg's
# rules that sorts before 4.19.0.0, so the codename is dropped before the release is compared.
CODENAME_SUFFIX = re.compile(r"~[a-z]+$")


@dataclass
class WeightVerdict:
    findings: list[str]
    evidence: dict = field(default_factory=dict)


def agent_release(version: str) -> str:
    """The CloudStack release a cloudstack-agent package version carries (4.19.0.0~bookworm: 4.19.0.0)."""
    return CODENAME_SUFFIX.sub("", version)


def installed_agent(installed: dict[str, Package]) -> Package:
    """The cloudstack-agent package dpkg lists as installed; without it the agent's version is unknown."""
    package = installed.get(AGENT_PACKAGE)
    if package is None or not package.installed:
        status = "dpkg-query lists no such package" if package is None else f"dpkg status {package.status!r}"
        raise NotCheckable(f"{AGENT_PACKAGE} is not installed ({status}): the agent's version is unknown")
    return package


def patched_build(version: str, patched: tuple[str, ...]) -> str | None:
    """The policy's patched build this version is (equal by dpkg's rules, with or without its codename)."""
    for listed in patched:
        if compare_versions(version, listed) == 0 or compare_versions(agent_release(version), listed) == 0:
            return listed
    return None


def reported_release(reported: str | None) -> tuple[str | None, str]:
    """The release listHosts reports for the agent, and what the evidence says of it."""
    if not reported:
        return None, "not reported by listHosts"
    try:
        parse_version(agent_release(reported), "listHosts version")
    except UnparsableOutput:
        return None, f"{reported!r} (not a version: not compared)"
    return agent_release(reported), reported


def weight_findings(installed: dict[str, Package], reported: str | None, floor: str,
                    patched: tuple[str, ...]) -> WeightVerdict:
    """The agent on a cgroup v2 host against the policy's floor and patched builds."""
    agent = installed_agent(installed)
    release = agent_release(agent.version)
    running, reported_text = reported_release(reported)
    evidence = {"cloudstack-agent (dpkg)": f"{agent.status} {agent.version}", "release compared": release,
                "listHosts version": reported_text, "policy floor": floor, "policy patched builds": list(patched)}
    build = patched_build(agent.version, patched)
    if build is not None:
        evidence["judged"] = f"a patched build the policy lists ({build}); listHosts' version is not compared"
        return WeightVerdict([], evidence)
    if not version_at_least(release, floor):
        return WeightVerdict([
            f"{AGENT_PACKAGE} {agent.version} is below the floor {floor} and is not a patched build the policy "
            "lists: on cgroup v2 a VM whose cores × MHz exceed 10000 fails to start or migrate "
            "(\"Value specified in CPUWeight is out of range\")"], evidence)
    if running is not None and not version_at_least(running, floor) and patched_build(running, patched) is None:
        return WeightVerdict([
            f"CloudStack reports the agent at {reported} (listHosts version), below the floor {floor}, while "
            f"{agent.version} is installed: the running agent predates the fix (restart cloudstack-agent)"], evidence)
    evidence["judged"] = f"at or above the floor {floor} (dpkg --compare-versions)"
    return WeightVerdict([], evidence)
