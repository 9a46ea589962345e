"""Guest networks, VPCs and their virtual routers as the CloudStack API lists them (SVM-ROUTER-RUNNING).

Shapes: Apache CloudStack's NetworkResponse, VpcResponse and DomainRouterResponse
(api/src/main/java/org/apache/cloudstack/api/response/, https://github.com/apache/cloudstack);
recorded rows in tests/data/recorded/SOURCES.md. A tenant names its networks and VPCs, and two may
share a name (the recorded listVPCs has two `my-vpc`): a network is known by its `id`.
"""
from __future__ import annotations

from dataclasses import dataclass

from stackaudit.errors import UnparsableOutput


@dataclass(frozen=True)
class GuestNetwork:
    """A listNetworks or listVPCs row, reduced to what decides whether and how its router is judged."""
    kind: str                       # "network" or "vpc"
    id: str
    name: str
    state: str | None
    type: str | None                # Isolated, Shared, L2 (networks); None for a VPC
    redundant: bool                 # redundantrouter / redundantvpcrouter
    providers: frozenset[str] | None  # every service's providers; None when no service names one
    vpcid: str | None = None        # a VPC tier's VPC: its routers are the VPC's
    zonename: str | None = None


@dataclass(frozen=True)
class RouterRow:
    """A listRouters row: its name, state and, for a redundant router, its redundant state."""
    name: str
    state: str | None
    redundantstate: str | None
    isredundantrouter: bool


def parse_networks(rows) -> list[GuestNetwork]:
    return [_network(row, number, "listNetworks", "network", "redundantrouter")
            for number, row in _objects(rows, "listNetworks")]


def parse_vpcs(rows) -> list[GuestNetwork]:
    return [_network(row, number, "listVPCs", "vpc", "redundantvpcrouter")
            for number, row in _objects(rows, "listVPCs")]


def parse_routers(rows) -> list[RouterRow]:
    parsed = []
    for number, row in _objects(rows, "listRouters"):
        label = _label("listRouters", number, row)
        parsed.append(RouterRow(name=_text(row, "name", label), state=_text(row, "state", label, optional=True),
                                redundantstate=_text(row, "redundantstate", label, optional=True),
                                isredundantrouter=_flag(row, "isredundantrouter", label)))
    return parsed


def _network(row: dict, number: int, command: str, kind: str, redundant_field: str) -> GuestNetwork:
    label = _label(command, number, row)
    return GuestNetwork(kind=kind, id=_text(row, "id", label), name=_text(row, "name", label),
                        state=_text(row, "state", label, optional=True),
                        type=_text(row, "type", label, optional=True) if kind == "network" else None,
                        redundant=_flag(row, redundant_field, label), providers=_providers(row, label),
                        vpcid=_text(row, "vpcid", label, optional=True),
                        zonename=_text(row, "zonename", label, optional=True))


def _providers(row: dict, label: str) -> frozenset[str] | None:
    """The providers named in `service` (each a ServiceResponse with a `provider` list); None when
    no service names one: some answers leave providers out (the recorded createNetwork/listNetworks)."""
    services = row.get("service", [])
    if not isinstance(services, list) or not all(isinstance(s, dict) for s in services):
        raise UnparsableOutput(f"{label}: field service is not a list of services")
    names = set()
    for service in services:
        providers = service.get("provider", [])
        if not isinstance(providers, list) or not all(isinstance(p, dict) and isinstance(p.get("name"), str)
                                                      for p in providers):
            raise UnparsableOutput(f"{label}: service {service.get('name')!r} has a provider list without names")
        names.update(p["name"] for p in providers)
    return frozenset(names) if names else None


def _objects(rows, command: str):
    if not isinstance(rows, list):
        raise UnparsableOutput(f"API {command}: expected a list of rows, got {type(rows).__name__}")
    for number, row in enumerate(rows, 1):
        if not isinstance(row, dict):
            raise UnparsableOutput(f"API {command}: row {number} is not an object")
        yield number, row


def _label(command: str, number: int, row: dict) -> str:
    return f"API {command}: row {number} ({row.get('name', 'no name')!r})"


def _text(row: dict, field: str, label: str, optional: bool = False) -> str | None:
    if field not in row:
        if optional:
            return None
        raise UnparsableOutput(f"{label} has no field {field}")
    if not isinstance(row[field], str):
        raise UnparsableOutput(f"{label}: field {field} is {type(row[field]).__name__}, not text")
    return row[field]


def _flag(row: dict, field: str, label: str) -> bool:
    """A Boolean field; CloudStack leaves a null one out, which reads as false."""
    value = row.get(field, False)
    if not isinstance(value, bool):
        raise UnparsableOutput(f"{label}: field {field} is {type(value).__name__}, not true or false")
    return value
