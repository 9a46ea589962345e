"""The cloud's inventory as the API lists it: zones, pods, clusters, hosts and storage
(CLOUD-HOST-NAME-UNIQUE, CLOUD-ALLOCATION-ENABLED, CLOUD-ZONE-RESOURCES, CLUSTER-HOMOGENEOUS).

Names are operators' free text: a rule compares them and quotes them with repr (`shown`), so no
name can change a message's shape."""
from __future__ import annotations

from stackaudit.config.files import shown
from stackaudit.parsers.api_rows import HostRow


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
