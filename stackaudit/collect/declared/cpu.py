"""A hypervisor host's CPU, as its own system describes it (CLUSTER-HOMOGENEOUS): a KVM host's
/proc/cpuinfo over SSH; each XenServer pool member's `cpu_info` from the master's XAPI host records
(the same `host.get_all_records` reading the pool's other host facts use)."""
from __future__ import annotations

from stackaudit.collect.readings import Command, Fact, Records, shell
from stackaudit.parsers.cpuinfo import parse_cpuinfo, parse_host_cpus

CPUINFO_COMMAND = shell("cat", "/proc/cpuinfo")


def cpuinfo_line(policy, kind: str) -> str | None:
    """`cat /proc/cpuinfo`; not asked when the policy compares no CPU (cluster.cpu_match: off), as
    nothing would read it."""
    return None if policy is not None and policy.cluster.cpu_match == "off" else CPUINFO_COMMAND


FACTS = [
    Fact("cpuinfo", ("kvm-host",), (Command("cpuinfo", cpuinfo_line),),
         lambda facts: parse_cpuinfo(facts.section("cpuinfo"), f"{facts.target.id}: /proc/cpuinfo")),
    Fact("pool_cpus", ("xs-pool",), (Records("host"),), lambda facts: parse_host_cpus(facts.records("host"))),
]
