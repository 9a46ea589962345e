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
    """Whether the network has a router to judge now (decided at collection: no item otherwise)."""
    return not_judged_reason(network, running_vms) is None


def not_judged_reason(network: GuestNetwork, running_vms: int | None = None, vms_error: str | None = None) -> str | None:
    """Why the network has no router to judge now, or None when it has one.

    A VPC counts when Enabled; an Isolated network when Implemented (an Allocated one has no router
    yet); a Shared network while it has Running VMs (`running_vms`, from listVirtualMachines
    networkid=<id> state=Running; `vms_error`: why they could not be listed). A VPC tier is judged as
    its VPC, so its routers count once. NotCheckable when the answer cannot tell.
    """
    where = f"{network.kind} {network.name} ({network.id})"
    if network.kind == "network" and network.vpcid:
        return f"{where} is a tier of VPC {network.vpcid}: its routers are judged with the VPC"
    if network.providers is None:
        raise NotCheckable(f"{where}: the API names no service provider, so whether a virtual router serves it "
                           "is unknown")
    if not network.providers & ROUTER_PROVIDERS:
        return f"{where}: no virtual router provides its services ({', '.join(sorted(network.providers))})"
    if network.kind == "vpc":
        return None if network.state == "Enabled" else f"{where} is {network.state}, not Enabled"
    if network.type == "Isolated":
        return None if network.state == "Implemented" else \
            f"{where} is {network.state}: an isolated network has its router once Implemented"
    if network.type == "Shared":
        if running_vms is None:
            raise NotCheckable(f"{where} is Shared and its running VMs were not listed"
                               + (f": {vms_error}" if vms_error else ""))
        return None if running_vms > 0 else f"{where} is Shared and has no Running VM"
    return f"{where} is {network.type or 'of no type'}: no router is judged on it"


def network_of(target) -> GuestNetwork:
    """A network or VPC target (discovery/networks.py) as the rule reads it."""
    attrs = target.attrs
    return GuestNetwork(kind=target.kind, id=attrs.id, name=attrs.name, state=attrs.state, type=attrs.type,
                        redundant=attrs.redundant, vpcid=attrs.vpcid, zonename=target.zone,
                        providers=None if attrs.providers is None else frozenset(attrs.providers))


def router_findings(network: GuestNetwork, routers: list[RouterRow], running_vms: int | None = None,
                    vms_error: str | None = None) -> list[str]:
    """What is wrong with the routers listRouters gives for the network (networkid=) or VPC (vpcid=).

    A redundant VPC on whose tiers no VM runs has no pair to judge: its routers then report FAULT
    (CloudStack 4.19, apache/cloudstack issue 10677) or UNKNOWN (from pull request 11518), and both
    work. Its routers must still run. Where its VMs could not be counted, a pair that is not one
    PRIMARY and one BACKUP is not checked rather than failed."""
    where = f"{network.kind} {network.name} ({network.id})"
    if not routers:
        return [f"{where} has no virtual router"]
    findings = [f"router {r.name} of {where} is {r.state or 'in no state'}, not Running"
                for r in routers if r.state != "Running"]
    if network.redundant and not idle_redundant_vpc(network, running_vms):
        pair = redundancy_findings(where, routers)
        if pair and network.kind == "vpc" and running_vms is None:
            raise NotCheckable(f"{'; '.join(pair)}, and whether a VM of the VPC runs (with none, that is "
                               f"expected) is unknown: {vms_error or 'its VMs were not counted'}")
        findings += pair
    return findings


def idle_redundant_vpc(network: GuestNetwork, running_vms: int | None) -> bool:
    """A redundant VPC on whose tiers no VM runs: its pair is not judged."""
    return network.redundant and network.kind == "vpc" and running_vms == 0


def pair_note(network: GuestNetwork, running_vms: int | None) -> str | None:
    """The evidence's word on a redundant VPC whose pair is not judged, or None."""
    if idle_redundant_vpc(network, running_vms):
        return ("no VM runs on the VPC's tiers: its routers' redundant states (FAULT or UNKNOWN then, apache/"
                "cloudstack issue 10677) are not judged")
    return None


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
