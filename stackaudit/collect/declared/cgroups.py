"""The cgroup hierarchy a KVM host runs its guests under (KVM-CGROUP2-CPU-WEIGHT)."""
from __future__ import annotations

from stackaudit.collect.readings import Command, Fact, shell
from stackaudit.parsers.cgroups import parse_cgroup_fs_type

# statfs(2) of the mount point only, as the Kubernetes documentation asks it: read-only, one word.
FACTS = [
    Fact("cgroup_fs", ("kvm-host",), (Command("cgroup_fs", shell("stat", "-fc", "%T", "/sys/fs/cgroup")),),
         lambda facts: parse_cgroup_fs_type(facts.section("cgroup_fs"))),
]
