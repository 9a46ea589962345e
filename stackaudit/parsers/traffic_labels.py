"""The zones' traffic labels: for each zone, each traffic type (Management, Public, Guest, Storage)
and the network label each hypervisor's agent puts that traffic on (a KVM bridge, a XenServer network).

Read from the API as CloudStack's UI lists them: `listPhysicalNetworks` (each physical network and its
`zoneid`), then `listTrafficTypes physicalnetworkid=<id>` per network (Apache CloudStack,
api/.../response/TrafficTypeResponse.java: `traffictype`, `kvmnetworklabel`, `xennetworklabel`; a label
that is not set is null and so left out of the answer). A traffic type may be carried by more than
one physical network of a zone (Guest, told apart by tags), so each type maps to a tuple of labels,
one per physical network carrying it.
"""
from __future__ import annotations

from dataclasses import dataclass

from stackaudit.errors import UnparsableOutput
from stackaudit.parsers.api_rows import _rows

PHYSICAL_NETWORKS = "listPhysicalNetworks"
TRAFFIC_TYPES = "listTrafficTypes"


@dataclass(frozen=True)
class PhysicalNetworkRow:
    id: str
    zoneid: str
    name: str | None = None


@dataclass(frozen=True)
class TrafficTypeRow:
    """A listTrafficTypes row."""
    traffictype: str
    id: str | None = None
    physicalnetworkid: str | None = None
    kvmnetworklabel: str | None = None
    xennetworklabel: str | None = None


@dataclass(frozen=True)
class TrafficLabel:
    """One traffic type on one physical network; a label is None when it is not set or is blank
    (the hypervisor's default network is then used)."""
    traffictype: str
    physical_network: str          # the physical network's name (its id when it has none)
    kvm: str | None = None
    xen: str | None = None


# zone id -> traffic type -> its labels, one per physical network of the zone that carries it
TrafficLabels = dict[str, dict[str, tuple[TrafficLabel, ...]]]


def parse_traffic_types(rows, call: str = f"API {TRAFFIC_TYPES}") -> list[TrafficTypeRow]:
    return _rows(call, TrafficTypeRow, rows, {"traffictype", "id", "physicalnetworkid", "kvmnetworklabel",
                                              "xennetworklabel"})


def parse_traffic_labels(answer) -> TrafficLabels:
    """The collected answer {"listPhysicalNetworks": rows, "listTrafficTypes": {network id: rows}}
    as zone id -> traffic type -> labels. A physical network whose traffic types were not read is an
    incomplete answer, never a zone without labels."""
    if not isinstance(answer, dict) or not isinstance(answer.get(TRAFFIC_TYPES), dict):
        raise UnparsableOutput(f"API traffic labels: expected {{{PHYSICAL_NETWORKS!r}: rows, "
                               f"{TRAFFIC_TYPES!r}: {{physical network id: rows}}}}")
    networks = _rows(f"API {PHYSICAL_NETWORKS}", PhysicalNetworkRow, answer.get(PHYSICAL_NETWORKS),
                     {"id", "zoneid", "name"})
    labels: TrafficLabels = {}
    for network in networks:
        if network.id not in answer[TRAFFIC_TYPES]:
            raise UnparsableOutput(f"API {TRAFFIC_TYPES} physicalnetworkid={network.id}: not read")
        zone = labels.setdefault(network.zoneid, {})
        for row in parse_traffic_types(answer[TRAFFIC_TYPES][network.id],
                                       f"API {TRAFFIC_TYPES} physicalnetworkid={network.id}"):
            label = TrafficLabel(row.traffictype, network.name or network.id, set_label(row.kvmnetworklabel),
                                 set_label(row.xennetworklabel))
            zone[row.traffictype] = zone.get(row.traffictype, ()) + (label,)
    return labels


def set_label(value: str | None) -> str | None:
    return None if value is None else (value.strip() or None)
