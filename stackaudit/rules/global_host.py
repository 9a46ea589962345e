"""MS-GLOBAL-HOST: the global `host` setting, the management server addresses CloudStack hands agents,
SSVMs and console proxies to connect to on 8250, lists exactly the Up management servers.

The setting is read as its consumer reads it: IndirectAgentLBServiceImpl.getManagementServerList takes
`host` with its blanks removed, split on commas (rules/kvm_agent.cloud_management_hosts; apache/cloudstack
server/src/main/java/org/apache/cloudstack/agent/lb/). ApiServiceConfiguration declares it with the
default "localhost", "This can also accept comma separated addresses."; ConfigurationServerImpl
rewrites that default to the first server's address at its first start.
"""
from __future__ import annotations

import ipaddress

from stackaudit.errors import NotCheckable
from stackaudit.parsers.api_rows import ConfigurationRow, ManagementServerRow
from stackaudit.rules.kvm_agent import cloud_management_hosts, setting_value

# Names every Linux resolves to a loopback address (Debian's and EL's /etc/hosts, systemd's nss-myhostname).
LOOPBACK_NAMES = {"localhost", "localhost.localdomain", "localhost4", "localhost4.localdomain4", "localhost6",
                  "localhost6.localdomain6", "ip6-localhost", "ip6-loopback"}


def canonical(entry: str) -> str:
    """An address in one form however written (IPv6 compressed, brackets dropped); a name in lower case
    without a trailing dot."""
    try:
        return str(ipaddress.ip_address(entry.strip("[]")))
    except ValueError:
        return entry.lower().rstrip(".")


def is_loopback(entry: str) -> bool:
    try:
        return ipaddress.ip_address(entry.strip("[]")).is_loopback
    except ValueError:
        return canonical(entry) in LOOPBACK_NAMES


def expected_endpoints(servers: list[ManagementServerRow], inventory_addresses: list[str],
                       policy_endpoints: list[str]) -> tuple[dict[str, str], str]:
    """canonical address -> what names it, and where the list comes from: the policy's endpoints; else
    the Up servers' `serviceip`; else (a release whose listManagementServers has no serviceip) the
    inventory's management servers."""
    if policy_endpoints:
        return {canonical(e): "policy management.agent_endpoints" for e in policy_endpoints}, \
            "the policy's management.agent_endpoints"
    up = [s for s in servers if s.state == "Up"]
    if up and all(s.serviceip for s in up):
        return {canonical(s.serviceip): f"Up management server {s.name}" for s in up}, \
            "the serviceip of each management server listManagementServers lists Up"
    return {canonical(a): "an inventory management server" for a in inventory_addresses}, \
        "the inventory's management servers (listManagementServers gives no serviceip)"


def global_host_findings(configurations: list[ConfigurationRow], servers: list[ManagementServerRow],
                         inventory_addresses: list[str], policy_endpoints: list[str]) -> tuple[list[str], dict]:
    setting = setting_value(configurations, "host")
    if setting is None:
        raise NotCheckable("the CloudStack API lists no global setting `host`")
    entries = [e for e in cloud_management_hosts(setting) if e]
    expected, source = expected_endpoints(servers, inventory_addresses, policy_endpoints)
    evidence = {"host": setting, "entries": entries, "expected": sorted(expected), "expected from": source}
    if not entries:
        return [f"the global setting host is empty ({setting!r}): agents and system VMs are given no management "
                "server"], evidence
    findings = [f"host lists {e}, a loopback address: an agent or system VM given it connects to itself, not to "
                "a management server" for e in entries if is_loopback(e)]
    have = {canonical(e) for e in entries}
    missing = [f"{address} ({who})" for address, who in sorted(expected.items()) if address not in have]
    extra = [e for e in dict.fromkeys(entries) if not is_loopback(e) and canonical(e) not in expected]
    if missing:
        findings.append(f"host={setting} lacks {', '.join(missing)}: agents never fail over to it")
    if extra:
        findings.append(f"host lists {', '.join(extra)}, not among {source} ({', '.join(sorted(expected))}): "
                        "a decommissioned or stopped server, or an endpoint the policy does not name")
    return findings, evidence
