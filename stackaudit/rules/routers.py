"""SVM-ROUTER-RUNNING: each guest network or VPC a virtual router serves has its router(s) Running,
and a redundant pair is one PRIMARY and one BACKUP.

Redundant states are CloudStack's VirtualRouter.RedundantState {UNKNOWN, PRIMARY, BACKUP, FAULT}
(Apache CloudStack, api/src/main/java/com/cloud/network/router/VirtualRouter.java,
https://github.com/apache/cloudstack). Older releases call PRIMARY "MASTER"; which release renamed it
is not confirmed, so both are read as the primary.
"""
from __future__ import annotations

from stackaudit.errors import NotCheckable
from stackaudit.parsers.router_rows import GuestNetwork, RouterRow

ROUTER_PROVIDERS = frozenset({"VirtualRouter", "VpcVirtualRouter"})
PRIMARY_STATES = frozenset({"PRIMARY", "MASTER"})
KNOWN_REDUNDANT_STATES = PRIMARY_STATES | {"BACKUP", "FAULT", "UNKNOWN"}


def router_judged(network: GuestNetwork, running_vms: int | None = None) -> bool:
    """Whether the network has a router to judge now (decided at collection: no item otherwise).

    A VPC counts when Enabled; an Isolated network when Implemented (an Allocated one has no router
    yet); a Shared network while it has Running VMs (`running_vms`, from listVirtualMachines
    networkid=<id> state=Running). A VPC tier is judged as its VPC, so its routers count once.
    """
    if network.kind == "network" and network.vpcid:
        return False
    if network.providers is None:
        raise NotCheckable(f"{network.kind} {network.name} ({network.id}): the API names no service provider, "
                           "so whether a virtual router serves it is unknown")
    if not network.providers & ROUTER_PROVIDERS:
        return False
    if network.kind == "vpc":
        return network.state == "Enabled"
    if network.type == "Isolated":
        return network.state == "Implemented"
    if network.type == "Shared":
        if running_vms is None:
            raise NotCheckable(f"network {network.name} ({network.id}) is Shared and its running VMs were not listed")
        return running_vms > 0
    return False


def router_findings(network: GuestNetwork, routers: list[RouterRow]) -> list[str]:
    """What is wrong with the routers listRouters gives for the network (networkid=) or VPC (vpcid=)."""
    where = f"{network.kind} {network.name} ({network.id})"
    if not routers:
        return [f"{where} has no virtual router"]
    findings = [f"router {r.name} of {where} is {r.state or 'in no state'}, not Running"
                for r in routers if r.state != "Running"]
    if network.redundant:
        findings += redundancy_findings(where, routers)
    return findings


def redundancy_findings(where: str, routers: list[RouterRow]) -> list[str]:
    unknown = sorted({r.redundantstate for r in routers if r.redundantstate not in KNOWN_REDUNDANT_STATES},
                     key=str)
    if unknown:
        raise NotCheckable(f"{where}: redundant state {', '.join(map(str, unknown))} is not one the suite knows "
                           f"({', '.join(sorted(KNOWN_REDUNDANT_STATES))})")
    states = "/".join(sorted(str(r.redundantstate) for r in routers))
    if len(routers) != 2:
        return [f"{where} is redundant and has {len(routers)} router(s) ({states}), not a pair"]
    primaries = sum(r.redundantstate in PRIMARY_STATES for r in routers)
    backups = sum(r.redundantstate == "BACKUP" for r in routers)
    if (primaries, backups) != (1, 1):
        return [f"{where}: the redundant pair is {states}, not one PRIMARY (or MASTER) and one BACKUP"]
    return []
