"""`python -m lab generate`: a compliant scenario of any size, for scale tests and benchmarks.

Hosts are spread over the zones; each zone alternates KVM clusters and XenServer pools of up to
CLUSTER_SIZE hosts (every pool at least 3, as an HA pool needs), with a secondary storage VM and a
console proxy per zone and a virtual router per cluster. `without_ssh` turns hosts into ones the API
lists with no machine behind them (their address answers nothing), for the unreachable-members case.
"""
from __future__ import annotations

CLUSTER_SIZE = 8


def generate_scenario(hosts: int, zones: int, xenserver: bool = True, cluster_size: int = CLUSTER_SIZE,
                      security_group_vms: int = 0) -> dict:
    """`security_group_vms`: every KVM host carries that many VMs' security-group rules."""
    if hosts < zones:
        raise ValueError(f"--hosts {hosts} is fewer than --zones {zones}; give each zone at least one host")
    scenario = {"name": f"generated-{hosts}h-{zones}z",
                "description": f"{hosts} hosts in {zones} zones, compliant (python -m lab generate)",
                "zones": []}
    per_zone = [hosts // zones + (1 if z < hosts % zones else 0) for z in range(zones)]
    for z, count in enumerate(per_zone, start=1):
        clusters, system_vms, made = [], [], 0
        # Even sizes, so no cluster is left with one host (it could not be drained: GATE-CAPACITY-N1).
        sizes = [len(range(i, count, -(-count // cluster_size))) for i in range(-(-count // cluster_size))]
        for size in sizes:
            index = len(clusters) + 1
            xen = xenserver and index % 2 == 0 and size >= 3
            prefix = f"z{z}{'xs' if xen else 'kvm'}{index}h"
            names = [f"{prefix}{i + 1}" for i in range(size)]
            with_vms = security_group_vms and not xen
            firewall = {"firewall": {"security_group_vms": security_group_vms}} if with_vms else {}
            clusters.append({"name": f"z{z}-c{index}", "hypervisor": "XenServer" if xen else "KVM",
                             "hosts": [{"name": n, **firewall} for n in names]})
            system_vms.append({"name": f"r-{z}{index:03d}-VM", "type": "router", "host": names[0]})
            made += size
        first = clusters[0]["hosts"]
        system_vms.insert(0, {"name": f"s-{z}-VM", "type": "secondarystoragevm", "host": first[0]["name"]})
        system_vms.insert(1, {"name": f"v-{z}-VM", "type": "consoleproxy", "host": first[-1]["name"]})
        scenario["zones"].append({"name": f"zone{z}", "pods": [{"name": f"zone{z}-pod1", "clusters": clusters}],
                                  "system_vms": system_vms})
    return scenario


def without_ssh(scenario: dict, count: int) -> list[str]:
    """Mark `count` KVM hosts that carry no system VM (the last ones first) `ssh: false`: the API still
    lists them, the lab starts no machine for them. Returns their names."""
    carrying = {vm["host"] for zone in scenario["zones"] for vm in zone["system_vms"]}
    candidates = [host for zone in scenario["zones"] for pod in zone["pods"] for cluster in pod["clusters"]
                  if cluster["hypervisor"] == "KVM" for host in cluster["hosts"] if host["name"] not in carrying]
    if count > len(candidates):
        raise ValueError(f"only {len(candidates)} KVM hosts carry no system VM; cannot make {count} unreachable")
    chosen = candidates[len(candidates) - count:] if count else []
    for host in chosen:
        host["ssh"] = False
    return [host["name"] for host in chosen]
