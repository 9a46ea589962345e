"""Management servers and the cloud's settings
([BERGSMA-OPS], [SHAPEBLUE-HOWTO], [CSC-WIKI] in docs/sources.md)."""
from __future__ import annotations

from stackaudit.errors import NotCheckable
from stackaudit.parsers.api_rows import (ConfigurationRow, HostRow, LdapConfigurationRow, ManagementServerRow,
                                         ScopedObject)
from stackaudit.parsers.cloudstack import parse_cloudstack_version, versions_equal
from stackaudit.parsers.numbers import read_api_number, read_or_none
from stackaudit.parsers.procs import MANAGEMENT_PROGRAMS

def version_consistency_findings(servers: list[ManagementServerRow], hosts: list[HostRow]) -> list[str]:
    """MS-VERSION-CONSISTENT: every management server Up and on one version; every agent on it too."""
    if not servers:
        return ["the API lists no management server"]
    findings = [f"management server {s.name} is {s.state}, not Up" for s in servers if s.state != "Up"]
    versions = sorted({s.version or "?" for s in servers})
    if len(versions) > 1:
        findings.append("management servers run different versions: " +
                        ", ".join(f"{s.name} {s.version}" for s in sorted(servers, key=lambda s: s.name)))
        return findings
    (version,) = versions
    for host in sorted(hosts, key=lambda h: h.name):
        if host.version and not versions_equal(host.version, version):
            findings.append(f"host {host.name} runs agent {host.version}; the management servers run {version}")
    return findings


def count_findings(servers: list[ManagementServerRow], minimum: int) -> list[str]:
    up = sorted(s.name for s in servers if s.state == "Up")
    if len(up) >= minimum:
        return []
    return [f"{len(up)} management server(s) Up ({', '.join(up) or 'none'}); the policy wants at least {minimum}, "
            "so one can be upgraded while the others serve"]


# Only a management program's process counts: an operator's `journalctl -fu cloudstack-management`
# running as root names the markers too, but is not the server.
def management_server_processes(programs, marked_pids: set[int]) -> list:
    """The processes of a management program (by process name) whose command line holds a marker."""
    return [p for p in programs if p.name in MANAGEMENT_PROGRAMS and p.pid in marked_pids]


def management_process_users(processes) -> list[tuple[str, int]]:
    return [(p.user, p.pid) for p in processes]


def runs_as_findings(processes, user: str = "cloud") -> list[str]:
    found = management_process_users(processes)
    if not found:
        return ["no management server process is running"]
    return [f"the management server process (pid {pid}) runs as {owner}, not {user}" for owner, pid in found
            if owner != user]


def same_value(have: str | None, want: str) -> bool:
    if have is None:
        return False
    if have.strip().lower() == want.strip().lower():
        return True
    have_number, want_number = read_or_none(read_api_number, have.strip()), read_or_none(read_api_number, want.strip())
    return have_number is not None and have_number == want_number


def settings_findings(configurations: list[ConfigurationRow], scoped: dict[str, dict[str, ScopedObject]],
                      baseline: dict[str, str]) -> list[str]:
    """MS-GLOBAL-SETTINGS: each baseline setting at the scope where it takes effect."""
    by_name = {c.name: c for c in configurations}
    findings = []
    for name, want in sorted(baseline.items()):
        row = by_name.get(name)
        if row is None:
            findings.append(f"{name} is not listed by the API; the baseline wants {want}")
            continue
        scope = str(row.scope or "global").lower()
        if scope == "global" or scope not in scoped:
            if not same_value(row.value, want):
                findings.append(f"{name} = {row.value} (global); the baseline wants {want}")
            continue
        for obj in sorted(scoped[scope].values(), key=lambda o: str(o.name)):
            value = next((c.value for c in obj.settings if c.name == name), row.value)
            if not same_value(value, want):
                findings.append(f"{name} = {value} in {scope} {obj.name}; the baseline wants {want}")
    return findings


def ldap_tls_findings(ldap_rows: list[LdapConfigurationRow], configurations: list[ConfigurationRow],
                      scoped_domains: dict[str, ScopedObject]) -> list[str]:
    """MS-LDAP-TLS: every domain with an LDAP configuration has a truststore and its password set."""
    defaults = {c.name: c.value for c in configurations}
    findings = []
    for domain_id in sorted({r.domainid for r in ldap_rows if r.domainid}):
        domain = scoped_domains.get(domain_id, ScopedObject(domain_id, ()))
        values = {c.name: c.value for c in domain.settings}
        missing = [k for k in ("ldap.truststore", "ldap.truststore.password")
                   if not values.get(k, defaults.get(k))]
        if missing:
            servers = ", ".join(f"{r.hostname}:{r.port}" for r in ldap_rows if r.domainid == domain_id)
            findings.append(f"domain {domain.name} binds to LDAP {servers} without TLS: {' and '.join(missing)} "
                            "not set")
    return findings


def ca_strictness(configurations: list[ConfigurationRow]) -> str | None:
    return next((c.value for c in configurations if c.name == "ca.plugin.root.auth.strictness"), None)


def applies_from(cloud_version: str, first: str) -> bool:
    return parse_cloudstack_version(cloud_version) >= parse_cloudstack_version(first)


def cloud_version(servers: list[ManagementServerRow]) -> str:
    """The version the cloud runs, which rules judge by: the highest management server's (they should agree)."""
    versions = [s.version for s in servers if s.version]
    if not versions:
        raise NotCheckable("the API reports no management server version")
    return max(versions, key=parse_cloudstack_version)
