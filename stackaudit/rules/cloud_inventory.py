"""The cloud's inventory as the API lists it: zones, pods, clusters, hosts and storage
(CLOUD-HOST-NAME-UNIQUE, CLOUD-ALLOCATION-ENABLED, CLOUD-ZONE-RESOURCES, CLUSTER-HOMOGENEOUS).

Names are operators' free text: a rule compares them and quotes them with repr (`shown`), so no
name can change a message's shape."""
from __future__ import annotations

from stackaudit.config.files import shown
from stackaudit.errors import NotCheckable
from stackaudit.parsers.api_rows import ClusterRow, HostRow, PodRow, ZoneRow

# The values CloudStack gives: Grouping.AllocationState and Managed.ManagedState (apache/cloudstack,
# api/src/main/java/com/cloud/org/); any other is quoted as sent.
ALLOCATION_STATES = {"Enabled", "Disabled"}
MANAGED_STATES = {"Managed", "PrepareUnmanaged", "Unmanaged", "PrepareUnmanagedError"}


def duplicate_host_names(hosts: list[HostRow]) -> list[str]:
    """CLOUD-HOST-NAME-UNIQUE: the zone's Routing hosts, grouped by name compared case-insensitively
    (casefold); each name held by two or more hosts is one finding naming every holder by its id."""
    holders: dict[str, list[HostRow]] = {}
    for host in hosts:
        holders.setdefault(host.name.casefold(), []).append(host)
    return [f"{len(same)} hosts are named {' / '.join(sorted({shown(h.name) for h in same}))}: "
            + ", ".join(f"{shown(h.name)} (id {h.id or 'not given'})" for h in sorted(same, key=_order))
            for _, same in sorted(holders.items()) if len(same) > 1]


def _order(host: HostRow) -> tuple[str, str]:
    return host.name, host.id or ""


def allocation_findings(zones: list[ZoneRow], pods: list[PodRow], clusters: list[ClusterRow]) -> list[str]:
    """CLOUD-ALLOCATION-ENABLED: every zone, pod and cluster is Enabled and every cluster is Managed.
    A row without the state is not what CloudStack sends: broken, naming the object."""
    objects = ([("listZones", f"zone {shown(z.name)}", z) for z in zones]
               + [("listPods", f"pod {shown(p.name)} (zone {shown(p.zonename)})", p) for p in pods]
               + [("listClusters", f"cluster {shown(c.name)} (zone {shown(c.zonename)}, pod {shown(c.podname)})", c)
                  for c in clusters])
    findings = []
    for call, label, row in objects:
        state = _state(call, label, "allocationstate", row.allocationstate, ALLOCATION_STATES)
        if state != "Enabled":
            findings.append(f"{label} is {state}, not Enabled")
    for cluster in clusters:
        label = f"cluster {shown(cluster.name)} (zone {shown(cluster.zonename)}, pod {shown(cluster.podname)})"
        state = _state("listClusters", label, "managedstate", cluster.managedstate, MANAGED_STATES)
        if state != "Managed":
            findings.append(f"{label} is {state}, not Managed")
    return findings


def _state(call: str, label: str, field: str, value: str | None, known: set[str]) -> str:
    if value is None:
        raise NotCheckable(f"{call} gives no {field} for {label}")
    return value if value in known else shown(value)
