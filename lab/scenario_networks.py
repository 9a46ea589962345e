"""The scenario format's guest networks and VPCs (SVM-ROUTER-RUNNING): each zone's, named per zone,
and which one a router serves. Compliant by default: an Implemented isolated network served by a
Running router."""
from __future__ import annotations

from stackaudit.config.schema import REQUIRED, Bool, Enum, Int, ListOf, Optional, Record, SchemaError, Str, f

NETWORK = Record({
    "name": f(Str(), REQUIRED),
    "type": f(Enum("Isolated", "Shared", "L2"), "Isolated"),
    "state": f(Enum("Allocated", "Implemented", "Setup", "Shutdown", "Destroy"), "Implemented"),
    "redundant": f(Bool(), False),
    # NetworkResponse.service providers; null: none named (the API then cannot say who serves it)
    "provider": f(Optional(Enum("VirtualRouter", "VpcVirtualRouter", "Netscaler", "ConfigDrive")), "VirtualRouter"),
    "vpc": f(Optional(Str())),         # a tier of this zone's VPC of that name
    "running_vms": f(Int(0), 0),
    "account": f(Str(), "admin"),
})

VPC = Record({
    "name": f(Str(), REQUIRED),
    "state": f(Enum("Enabled", "Inactive"), "Enabled"),
    "redundant": f(Bool(), False),
    "account": f(Str(), "admin"),
})

# on a system VM of type router
SERVES = Optional(Record({"network": f(Optional(Str())), "vpc": f(Optional(Str()))}))
REDUNDANT_STATE = Enum("UNKNOWN", "PRIMARY", "MASTER", "BACKUP", "FAULT")


def check_served(zone: dict, zi: int, source: str) -> None:
    """Network, VPC and served names are unique in their zone and name what the zone has."""
    for kind, items in (("networks", zone["networks"]), ("vpcs", zone["vpcs"])):
        names = [i["name"] for i in items]
        if len(set(names)) != len(names):
            raise SchemaError(f"{source}: zones[{zi}].{kind}: a name is used twice; names are unique in a zone")
    networks, vpcs = {n["name"] for n in zone["networks"]}, {v["name"] for v in zone["vpcs"]}
    for ni, net in enumerate(zone["networks"]):
        if net["vpc"] is not None and net["vpc"] not in vpcs:
            raise SchemaError(f"{source}: zones[{zi}].networks[{ni}].vpc: {net['vpc']!r} is not a VPC of this zone")
    for si, svm in enumerate(zone["system_vms"]):
        serves = svm["serves"] or {}
        if serves and svm["type"] != "router":
            raise SchemaError(f"{source}: zones[{zi}].system_vms[{si}].serves: only a router serves a network")
        for key, known in (("network", networks), ("vpc", vpcs)):
            if serves.get(key) is not None and serves[key] not in known:
                raise SchemaError(f"{source}: zones[{zi}].system_vms[{si}].serves.{key}: {serves[key]!r} is not "
                                  f"one of this zone's {key} names")
