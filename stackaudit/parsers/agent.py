"""The CloudStack KVM agent's `host=` value (agent.properties), read as the agent reads it.

Since 4.11 (indirect agent load balancing) the management server sends each agent its list and
algorithm, and the agent stores them as one value (apache/cloudstack
agent/src/main/java/com/cloud/agent/Agent.java, processManagementServerList:
`toCSVList(msList) + "@" + lbAlgorithm`, persisted with Properties.store):

    host=185.185.58.54@static                     (apache/cloudstack issue 5240, 2021)
    host=10.0.35.136,10.0.35.137@static           (apache/cloudstack pull request 10524, 2025)
    host=10.2.2.144,10.2.2.118                    (the form before 4.11: no algorithm)
"""
from __future__ import annotations

from dataclasses import dataclass

from stackaudit.errors import UnparsableOutput

# AgentProperties.HOST's default, used when host= is absent or blank (apache/cloudstack
# agent/src/main/java/com/cloud/agent/properties/AgentProperties.java, AgentPropertiesFileHandler:
# StringUtils.isBlank(value) -> the default).
AGENT_DEFAULT_HOST = "localhost"
# IAgentShell.hostLbAlgorithmSeparator
ALGORITHM_SEPARATOR = "@"


@dataclass(frozen=True)
class AgentHosts:
    hosts: tuple[str, ...]     # in the agent's order, exactly as it splits them (no trimming)
    algorithm: str | None      # the text after the first "@"; None: no suffix (the pre-4.11 form)
    defaulted: bool = False    # host= absent or blank: the agent uses its default, localhost


def java_split(text: str, separator: str) -> list[str]:
    """Java's String.split with a one-character literal: trailing empty strings are dropped,
    leading and inner ones kept, and a string without the separator is itself the one element."""
    parts = text.split(separator)
    if len(parts) == 1:
        return parts
    while parts and parts[-1] == "":
        parts.pop()
    return parts


def parse_agent_hosts(value: str | None) -> AgentHosts:
    """agent.properties `host=` as AgentShell reads it (apache/cloudstack
    agent/src/main/java/com/cloud/agent/AgentShell.java: setHost, setHosts, getHosts):

    - absent or blank (whitespace only): the default `localhost`;
    - a value that starts and ends with `@` is refused (ConfigurationException "Host [...] is not
      configured correctly"; a value of `@` alone would crash the split);
    - `host.split("@")[0]` is the list and `split(",")` its hosts: blanks are not trimmed, an empty
      element stays (Java resolves an empty host name to the loopback address), duplicates stay;
    - the management server takes element 1 of the `@` split as the algorithm
      (AgentManagerImpl.connectHostAgent, `agentMSHosts.split("@")`); `a@` has none.
    """
    if value is None or not value.strip():
        return AgentHosts((AGENT_DEFAULT_HOST,), None, defaulted=True)
    if value.startswith(ALGORITHM_SEPARATOR) and value.endswith(ALGORITHM_SEPARATOR):
        raise UnparsableOutput(f"agent.properties host={value[:80]!r}: the agent refuses a value that starts "
                               "and ends with '@' (Host is not configured correctly)")
    parts = java_split(value, ALGORITHM_SEPARATOR)
    hosts = tuple(java_split(parts[0], ","))
    return AgentHosts(hosts, parts[1] if len(parts) > 1 else None)
