"""The simulated API's list commands of guest networks, VPCs and user VMs (SVM-ROUTER-RUNNING): the
parameters each filters on with equality ([CS-API]), and the filter field that sits inside a list of
the row (UserVmResponse's `nic`)."""
from __future__ import annotations

NETWORK_FILTER_SPECS = {
    "listNetworks": "account domainid id issystem state traffictype type vpcid zoneid",
    "listVPCs": "account domainid id name state zoneid",
    "listVirtualMachines": "account domainid hostid id name networkid=nic[].networkid state zoneid",
}


def values_of(row: dict, field: str) -> list:
    """A row's value of a field; `list[].field` is that field of each object in the row's list."""
    if "[]." not in field:
        return [row.get(field)]
    outer, inner = field.split("[].")
    return [item.get(inner) for item in row.get(outer) or [] if isinstance(item, dict)]
