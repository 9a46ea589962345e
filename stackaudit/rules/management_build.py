"""MS-BUILD-IDENTICAL: every Up management server runs the same build, not merely the same version
(a rebuilt release keeps its version number: [BERGSMA-OPS] in docs/sources.md)."""
from __future__ import annotations

from collections import Counter

from stackaudit.errors import NotCheckable
from stackaudit.parsers.builds import CODE_ROOT, ManagementBuild

MAX_FILES_NAMED = 10


def up_servers(servers: list, management_rows: list) -> tuple[list, list[str]]:
    """The inventory's servers that listManagementServers does not list in another state than Up
    (matched by name or service address), and the others as "name (state)"; a server the API does not
    list is judged, so a missing row never hides one."""
    states = {}
    for row in management_rows:
        for key in (row.name, row.serviceip):
            if key:
                states[key] = row.state
    judged, left_out = [], []
    for server in servers:
        state = next((states[key] for key in (server.name, server.address) if key in states), "Up")
        if state == "Up":
            judged.append(server)
        else:
            left_out.append(f"{server.id} ({state})")
    return judged, left_out


def build_findings(builds: dict[str, ManagementBuild]) -> tuple[list[str], dict]:
    """Findings and evidence for the servers' builds (target id -> build)."""
    evidence = {target: {"package": f"{b.package.tool} {b.package.version or 'not installed'}",
                         "files": len(b.files), "fingerprint": b.fingerprint} for target, b in sorted(builds.items())}
    empty = [target for target, b in sorted(builds.items()) if b.package.version is None and not b.files]
    if empty:
        raise NotCheckable(f"{', '.join(empty)}: no cloudstack-management package and no file under {CODE_ROOT}/lib "
                           "or its webapps: not a management server's build, or not readable")
    findings = []
    versions = {target: b.package.version for target, b in builds.items()}
    if len(set(versions.values())) > 1:
        findings.append("cloudstack-management differs: " + ", ".join(
            f"{target} {version or 'not installed'}" for target, version in sorted(versions.items())))
    by_fingerprint = Counter(b.fingerprint for b in builds.values())
    if len(by_fingerprint) > 1:
        # the build most servers share; on a tie, the first server's (by id)
        most = max(by_fingerprint.values())
        reference = min(t for t, b in builds.items() if by_fingerprint[b.fingerprint] == most)
        reference_print = builds[reference].fingerprint
        for target, build in sorted(builds.items()):
            if build.fingerprint != reference_print:
                findings.append(f"{target}'s code differs from {reference}'s: "
                                + file_differences(builds[reference], build, target, reference))
    return findings, evidence


def file_differences(reference: ManagementBuild, other: ManagementBuild, name: str, reference_name: str) -> str:
    ours = {f.path: f.sha256 for f in reference.files}
    theirs = {f.path: f.sha256 for f in other.files}
    parts = [f"{path} (sha256 {ours[path][:12]}… on {reference_name}, {theirs[path][:12]}… on {name})"
             for path in sorted(ours.keys() & theirs.keys()) if ours[path] != theirs[path]]
    parts += [f"{path} only on {reference_name}" for path in sorted(ours.keys() - theirs.keys())]
    parts += [f"{path} only on {name}" for path in sorted(theirs.keys() - ours.keys())]
    shown = "; ".join(parts[:MAX_FILES_NAMED])
    return shown + (f"; and {len(parts) - MAX_FILES_NAMED} more file(s)" if len(parts) > MAX_FILES_NAMED else "")
