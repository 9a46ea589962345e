"""Guest networks and VPCs as targets (SVM-ROUTER-RUNNING): one per listNetworks or listVPCs row,
named by its uuid, since a tenant names its networks and two may share a name (the recorded
listVPCs in tests/data/recorded has two `my-vpc`).

Whether a network has a router to judge is decided at collection (rules/scope.py `router-serves`)
from what is kept here. For a Shared network that is whether it has Running VMs: only their count
is asked (one row of listVirtualMachines networkid=<id> state=Running), and where that fails the
reason is kept, so the result is broken rather than left out. For a redundant VPC it is how many
VMs run on its tiers: with none, its routers report FAULT (or, after apache/cloudstack pull request
11518, UNKNOWN), which is no failover fault (apache/cloudstack issue 10677).
"""
from __future__ import annotations

from stackaudit.collect.transports import cloudstack
from stackaudit.errors import TargetError, UnparsableOutput
from stackaudit.parsers.router_rows import GuestNetwork, parse_networks, parse_vpcs
from stackaudit.rules.routers import ROUTER_PROVIDERS
from stackaudit.targets import Target

NETWORK_LISTINGS = (("listNetworks", {"listall": "true", "isrecursive": "true"}), ("listVPCs", {"listall": "true"}))
RUNNING_VMS = "listVirtualMachines"     # networkid=<id> state=Running: only its count


def network_targets(api, network_rows: list[dict], vpc_rows: list[dict], notes: list[str]) -> list[Target]:
    """A target per guest network and VPC; a row the suite cannot read is a note, not a target."""
    parsed = []
    for parse, rows in ((parse_networks, [r for r in network_rows if r.get("issystem") is not True]),
                        (parse_vpcs, vpc_rows)):
        for row in rows:
            try:
                (network,) = parse([row])
            except UnparsableOutput as err:
                notes.append(f"{err}; not a target")
                continue
            parsed.append(network)
    tiers: dict[str, list[str]] = {}
    for network in parsed:
        if network.kind == "network" and network.vpcid:
            tiers.setdefault(network.vpcid, []).append(network.id)
    return [network_target(api, network, tiers.get(network.id, [])) for network in parsed]


def network_target(api, network: GuestNetwork, tier_ids: list[str]) -> Target:
    attrs = {"id": network.id, "name": network.name, "type": network.type, "state": network.state,
             "redundant": network.redundant, "vpcid": network.vpcid,
             "providers": None if network.providers is None else sorted(network.providers)}
    serves = bool(network.providers and network.providers & ROUTER_PROVIDERS)
    counted = [network.id] if network.type == "Shared" else tier_ids if network.kind == "vpc" and network.redundant \
        else []
    if serves and counted:
        try:
            attrs["running_vms"] = sum(running_vm_count(api, network_id) for network_id in counted)
        except TargetError as err:
            attrs["running_vms_error"] = str(err)
    elif serves and network.kind == "vpc" and network.redundant:
        attrs["running_vms"] = 0        # a VPC without tiers has no VM
    return Target(network.kind, network.id, network.zonename, attrs=attrs)


def running_vm_count(api, network_id: str) -> int:
    """How many Running VMs have a NIC on the network: the listing's `count`, read from one row."""
    data = cloudstack.call(api, RUNNING_VMS, networkid=network_id, state="Running", listall="true",
                           page=1, pagesize=1)
    count = data.get("count", 0) if isinstance(data, dict) else None
    if not isinstance(count, int) or isinstance(count, bool):
        raise UnparsableOutput(f"CloudStack API: listVirtualMachines networkid={network_id}: no count in the answer")
    return count
