"""Rulesets and helpers the netfilter walk's tests share: recorded real rulesets (tests/data/recorded/SOURCES.md),
[CSC-WIKI]'s compliant chain with rules before it, and tables written out with their built-in chains."""
from __future__ import annotations

from pathlib import Path

from stackaudit.config.policy import policy_from_data
from stackaudit.parsers.iptables import parse_iptables_save
from stackaudit.rules.netfilter.connections import port_verdicts
from stackaudit.rules.netfilter.matches import Connection
from stackaudit.rules.netfilter.verdict import evaluate

RECORDED = Path(__file__).resolve().parent.parent / "data" / "recorded"
POLICY = policy_from_data({"firewall": {"v6_management_prefix": "fd00:5341:4c41::/64"}}, "test").firewall
REAL = ["iptables-save-cloudstack-7318-kvmhost2.txt", "sysconfig-iptables-cloudstack-7838-kvm001.txt",
        "sysconfig-iptables-cloudstack-7838-kvm002.txt", "iptables-save-cloudstack-7961-kvm.txt",
        "iptables-save-v4-compliant.txt", "iptables-save-v4-conditions.txt", "ip6tables-save-v6-compliant.txt"]

FROM_OUTSIDE = Connection(16509, "203.0.113.9", "198.18.0.21", "eth0")
FROM_OUTSIDE_V6 = Connection(16509, "2001:db8::9", "fd00:5341:4c41:1::21", "eth0")

COMPLIANT = """*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:CLOUDSTACK-SERVICES - [0:0]
-A INPUT -j CLOUDSTACK-SERVICES
-A CLOUDSTACK-SERVICES -p tcp -m multiport --dports 16509,16514,45335,41047,8250 -j REJECT --reject-with icmp-port-unreachable
COMMIT
"""


def recorded(name: str) -> str:
    return (RECORDED / name).read_text()


def with_input(*rules: str, services: str = "", policy: str = "ACCEPT") -> str:
    return COMPLIANT.replace(":INPUT ACCEPT", f":INPUT {policy}").replace(
        "-A INPUT -j CLOUDSTACK-SERVICES\n", "".join(r + "\n" for r in rules)).replace(
        "-A CLOUDSTACK-SERVICES -p tcp", services + "-A CLOUDSTACK-SERVICES -p tcp")


def table(name: str, *lines: str, policy: str = "ACCEPT") -> str:
    chains = {"filter": ("INPUT", "FORWARD", "OUTPUT"), "nat": ("PREROUTING", "INPUT", "OUTPUT", "POSTROUTING"),
              "mangle": ("PREROUTING", "INPUT", "FORWARD", "OUTPUT", "POSTROUTING"), "raw": ("PREROUTING", "OUTPUT"),
              "security": ("INPUT", "FORWARD", "OUTPUT")}[name]
    head = "".join(f":{chain} {policy if chain in ('INPUT', 'PREROUTING') else 'ACCEPT'} [0:0]\n" for chain in chains)
    return f"*{name}\n{head}" + "".join(line + "\n" for line in lines) + "COMMIT\n"


def services_after(*rules: str, policy: str = "ACCEPT") -> str:
    """filter INPUT: the rules, then [CSC-WIKI]'s jump to CLOUDSTACK-SERVICES and its REJECT."""
    return table("filter", "-N CLOUDSTACK-SERVICES", *rules, "-A INPUT -j CLOUDSTACK-SERVICES",
                 "-A CLOUDSTACK-SERVICES -p tcp -m multiport --dports 16509,16514,45335,41047,8250 -j REJECT",
                 policy=policy)


def verdict_of(text: str, connection: Connection = FROM_OUTSIDE):
    return evaluate(parse_iptables_save(text), connection)


def outcomes(text: str, family: int = 4, port: int = 16509) -> set[str]:
    return {v.outcome for v in port_verdicts(parse_iptables_save(text), family, port, [])}
