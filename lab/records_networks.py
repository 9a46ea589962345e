"""What the simulated CloudStack API answers about guest networks, VPCs, their virtual routers and the
VMs on them (SVM-ROUTER-RUNNING). Field names follow Apache CloudStack's NetworkResponse, VpcResponse,
DomainRouterResponse and UserVmResponse ([CS-API]; docs/sources.md).

A scenario zone's `networks` and `vpcs` are named per zone; a router says which it serves with
`serves: {network: <name>}` or `{vpc: <name>}` and its `redundant_state`.
"""
from __future__ import annotations

from lab.topology import stable_id

# The services a virtual router gives a guest network (NetworkResponse.service, each a ServiceResponse
# with a provider list), reduced to those that make it the network's DNS, DHCP and NAT.
ROUTER_SERVICES = ("Dns", "Dhcp", "SourceNat", "StaticNat", "Firewall", "UserData")
VPC_SERVICES = ("Dns", "Dhcp", "SourceNat", "StaticNat", "NetworkACL", "UserData")


def network_id(zone: str, name: str) -> str:
    return stable_id("network", f"{zone}/{name}")


def vpc_id(zone: str, name: str) -> str:
    return stable_id("vpc", f"{zone}/{name}")


def services(names: tuple[str, ...], provider: str) -> list[dict]:
    return [{"name": n, "provider": [{"name": provider}]} for n in names]


def network_rows(scenario: dict) -> list[dict]:
    rows = []
    for zone in scenario["zones"]:
        for net in zone["networks"]:
            rows.append({"id": network_id(zone["name"], net["name"]), "name": net["name"],
                         "displaytext": net["name"], "traffictype": "Guest", "type": net["type"],
                         "state": net["state"], "zoneid": stable_id("zone", zone["name"]), "zonename": zone["name"],
                         "account": net["account"], "domain": "ROOT", "domainid": stable_id("domain", "ROOT"),
                         "redundantrouter": net["redundant"], "issystem": False,
                         "service": services(ROUTER_SERVICES, net["provider"]) if net["provider"] else [],
                         **({"vpcid": vpc_id(zone["name"], net["vpc"])} if net["vpc"] else {})})
    return rows


def vpc_rows(scenario: dict) -> list[dict]:
    return [{"id": vpc_id(zone["name"], vpc["name"]), "name": vpc["name"], "displaytext": vpc["name"],
             "state": vpc["state"], "zoneid": stable_id("zone", zone["name"]), "zonename": zone["name"],
             "account": vpc["account"], "domain": "ROOT", "domainid": stable_id("domain", "ROOT"),
             "redundantvpcrouter": vpc["redundant"], "distributedvpcrouter": False, "regionlevelvpc": False,
             "service": services(VPC_SERVICES, "VpcVirtualRouter"), "cidr": "198.19.0.0/16",
             "network": []}
            for zone in scenario["zones"] for vpc in zone["vpcs"]]


def virtual_machine_rows(scenario: dict) -> list[dict]:
    """Each network's `running_vms` as Running user VMs with one NIC on it."""
    rows = []
    for zone in scenario["zones"]:
        for net in zone["networks"]:
            for n in range(net["running_vms"]):
                name = f"{net['name']}-vm{n + 1}"
                rows.append({"id": stable_id("vm", f"{zone['name']}/{name}"), "name": name, "state": "Running",
                             "zoneid": stable_id("zone", zone["name"]), "zonename": zone["name"],
                             "account": net["account"], "domain": "ROOT",
                             "nic": [{"id": stable_id("nic", f"{zone['name']}/{name}"),
                                      "networkid": network_id(zone["name"], net["name"]),
                                      "networkname": net["name"], "isdefault": True}]})
    return rows


def router_link(zone: dict, serves: dict | None, redundant_state: str) -> dict:
    """The fields of a listRouters row that say which network or VPC the router serves."""
    served = None
    fields = {"redundantstate": redundant_state}
    if serves and serves.get("network"):
        served = next(n for n in zone["networks"] if n["name"] == serves["network"])
        fields |= {"guestnetworkid": network_id(zone["name"], served["name"]), "guestnetworkname": served["name"]}
    if serves and serves.get("vpc"):
        served = next(v for v in zone["vpcs"] if v["name"] == serves["vpc"])
        fields |= {"vpcid": vpc_id(zone["name"], served["name"]), "vpcname": served["name"]}
    return fields | {"isredundantrouter": bool(served and served["redundant"])}
