"""KVM-AGENT-MGMT-HOSTS: the agent's management server list against CloudStack's `host` setting.

Read as CloudStack reads both sides (apache/cloudstack):
- the agent's value: stackaudit.parsers.agent (AgentShell.java, Agent.java);
- the setting: IndirectAgentLBServiceImpl.getManagementServerList reads `host` with its blanks
  removed, split on commas (server/src/main/java/org/apache/cloudstack/agent/lb/);
- the algorithm, `indirect.agent.lb.algorithm` (ConfigKey IndirectAgentLBAlgorithm, default static,
  since 4.11): `static` sends every agent the setting's order (IndirectAgentLBStaticAlgorithm),
  `roundrobin` rotates it per host (IndirectAgentLBRoundRobinAlgorithm) and `shuffle` shuffles it
  (IndirectAgentLBShuffleAlgorithm), so only under `static` is the order the agent's too. The first
  host is the agent's preferred one (indirect.agent.lb.check.interval reconnects it there).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from stackaudit.errors import NotCheckable
from stackaudit.parsers.agent import java_split, parse_agent_hosts
from stackaudit.parsers.api_rows import ConfigurationRow

ALGORITHMS = ("static", "roundrobin", "shuffle")


@dataclass
class ManagementHostsComparison:
    findings: list[str]
    evidence: dict = field(default_factory=dict)


def cloud_management_hosts(setting: str) -> list[str]:
    """The `host` setting as IndirectAgentLBServiceImpl reads it: `replace(" ", "").split(",")`."""
    return java_split(setting.replace(" ", ""), ",")


def setting_value(configurations: list[ConfigurationRow], name: str) -> str | None:
    return next((c.value for c in configurations if c.name == name), None)


def compare_management_hosts(agent_value: str | None,
                             configurations: list[ConfigurationRow]) -> ManagementHostsComparison:
    """The agent's `host=` (None: absent) against the cloud's global settings (listConfigurations rows)."""
    setting = setting_value(configurations, "host")
    if not setting or not setting.strip():
        raise NotCheckable("the CloudStack API lists no value for the global setting `host`: there is no "
                           "management server list to compare the agent's with")
    wanted = cloud_management_hosts(setting)
    cloud_algorithm = setting_value(configurations, "indirect.agent.lb.algorithm")
    agent = parse_agent_hosts(agent_value)
    have = list(agent.hosts)
    findings = []
    if agent.defaulted:
        findings.append("agent.properties has no host= value: the agent connects to localhost, its default")
    findings += element_findings(have)
    missing = [h for h in dict.fromkeys(wanted) if h not in have]
    extra = [h for h in dict.fromkeys(have) if h not in wanted and h.strip() and h == h.strip()]
    if missing:
        findings.append(f"agent.properties host= lacks {', '.join(missing)} (in CloudStack's host setting "
                        f"{','.join(wanted)})")
    if extra:
        findings.append(f"agent.properties host= names {', '.join(extra)}, which CloudStack's host setting "
                        f"({','.join(wanted)}) does not")
    findings += algorithm_findings(agent.algorithm, cloud_algorithm)
    ordered = cloud_algorithm == "static" and agent.algorithm is not None
    if ordered and not findings and have != wanted:
        findings.append(f"agent.properties host= lists {','.join(have)}; CloudStack's host setting lists "
                        f"{','.join(wanted)}, and indirect.agent.lb.algorithm is static: the order must match "
                        "(the first is the agent's preferred management server)")
    return ManagementHostsComparison(findings, {
        "agent.properties host": agent_value,
        "agent's hosts (as AgentShell splits them)": have,
        "agent's algorithm suffix": agent.algorithm,
        "CloudStack host setting": setting,
        "CloudStack's hosts (blanks removed, split on commas)": wanted,
        "indirect.agent.lb.algorithm": cloud_algorithm,
        "compared": comparison_note(agent.algorithm, cloud_algorithm, ordered),
    })


def element_findings(hosts: list[str]) -> list[str]:
    findings = []
    if "" in hosts:
        findings.append("agent.properties host= has an empty element: Java resolves an empty host name to "
                        "this host's loopback address")
    blanks = [h for h in dict.fromkeys(hosts) if h and h != h.strip()]
    if blanks:
        findings.append("agent.properties host= has blanks the agent does not trim around "
                        + ", ".join(repr(h) for h in blanks) + ": it cannot connect to those names")
    twice = [h for h in dict.fromkeys(hosts) if h and hosts.count(h) > 1]
    if twice:
        findings.append(f"agent.properties host= names {', '.join(twice)} more than once (CloudStack's own "
                        "comparison counts duplicates: the lists differ)")
    return findings


def algorithm_findings(agent_algorithm: str | None, cloud_algorithm: str | None) -> list[str]:
    if agent_algorithm is None:
        return []
    if agent_algorithm not in ALGORITHMS:
        return [f"agent.properties host= ends in @{agent_algorithm}, which is no algorithm CloudStack has "
                f"({', '.join(ALGORITHMS)})"]
    if cloud_algorithm is not None and agent_algorithm != cloud_algorithm:
        return [f"agent.properties host= ends in @{agent_algorithm}; the cloud's indirect.agent.lb.algorithm "
                f"is {cloud_algorithm}"]
    return []


def comparison_note(agent_algorithm: str | None, cloud_algorithm: str | None, ordered: bool) -> str:
    if ordered:
        return "in order: indirect.agent.lb.algorithm is static"
    if cloud_algorithm is None:
        return ("as a set: the cloud lists no indirect.agent.lb.algorithm (CloudStack before 4.11 has no "
                "indirect agent load balancing)")
    if agent_algorithm is None:
        return "as a set: host= has no @algorithm suffix (the form before 4.11)"
    return f"as a set: under {cloud_algorithm} each agent gets its own order"
