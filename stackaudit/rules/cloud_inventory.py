"""The cloud's inventory as the API lists it: zones, pods, clusters, hosts and storage
(CLOUD-HOST-NAME-UNIQUE, CLOUD-ALLOCATION-ENABLED, CLOUD-ZONE-RESOURCES, CLUSTER-HOMOGENEOUS).

Names are operators' free text: a rule compares them and quotes them with repr (`shown`), so no
name can change a message's shape."""
from __future__ import annotations

from stackaudit.config.files import shown
from stackaudit.errors import NotCheckable
from stackaudit.parsers.api_rows import ClusterRow, HostRow, ImageStoreRow, PodRow, StoragePoolRow, ZoneRow

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


def zone_resource_findings(pools: list[StoragePoolRow], stores: list[ImageStoreRow],
                           hosts: list[HostRow]) -> tuple[list[str], dict]:
    """CLOUD-ZONE-RESOURCES: the zone's primary pools, image stores and Routing hosts (already the
    zone's own); at least one pool Up, one store not read-only, one host Up and Enabled. Returns the
    findings and what was judged (for the evidence): a store without `readonly` is from a release
    before read-only stores existed, so writable, and the evidence says so."""
    findings = []
    if not any(p.state == "Up" for p in pools):
        findings.append("no primary storage pool is Up (" + _listed(f"{shown(p.name)} {_shown_state(p.state)}"
                                                                     for p in pools) + ")")
    if not any(s.readonly is not True for s in stores):
        findings.append("no image store is writable (" + _listed(f"{shown(s.name)} read-only" for s in stores) + ")")
    if not any(h.state == "Up" and h.resourcestate == "Enabled" for h in hosts):
        findings.append("no host is Up and Enabled (" + _listed(
            f"{shown(h.name)} {_shown_state(h.state)}/{_shown_state(h.resourcestate)}" for h in hosts) + ")")
    judged = {"image stores without readonly (a release before read-only stores, apache/cloudstack pull "
              "request 4053: writable)": sorted(str(s.name) for s in stores if s.readonly is None)}
    return findings, judged


def _listed(items) -> str:
    return ", ".join(sorted(items)) or "none listed"


def _shown_state(value: str | None) -> str:
    if value is None:
        return "with no state"
    return value if value.isalnum() else shown(value)
