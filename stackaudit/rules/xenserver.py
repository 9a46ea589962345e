"""XenServer pools: pool HA, its heartbeat SR, members, VM restart priorities
([BERGSMA-XS-HA] in docs/sources.md)."""
from __future__ import annotations

import ipaddress
from datetime import datetime, timedelta

from stackaudit.errors import UnparsableOutput
from stackaudit.parsers.cloudstack import parse_cloudstack_version
from stackaudit.parsers.xapi_licence import HostLicence, parse_product_version
from stackaudit.parsers.xapi_records import XapiHost, XapiHostMetrics, XapiPBD, XapiPool, XapiSR, XapiVDI, XapiVM

NULL_REF = "OpaqueRef:NULL"


def ha_required(cloud_version: str, xenserver_policy) -> bool:
    """[BERGSMA-XS-HA]: CloudStack 4.5+ (and the policy's listed 4.3.x/4.4.x patch levels) relies on pool HA."""
    version = parse_cloudstack_version(cloud_version)
    listed = {parse_cloudstack_version(v) for v in xenserver_policy.ha_required_patch_levels}
    return version >= parse_cloudstack_version(xenserver_policy.ha_required_from) or version in listed


def min_hosts_findings(hosts: dict[str, XapiHost], minimum: int) -> list[str]:
    names = sorted(h.name_label for h in hosts.values())
    if len(hosts) >= minimum:
        return []
    return [f"the pool has {len(hosts)} hosts ({', '.join(names)}); the policy wants at least {minimum}: "
            "with two, the survivor of a crash fences itself"]


def ha_sr_findings(pool: XapiPool, hosts: dict[str, XapiHost], srs: dict[str, XapiSR], pbds: dict[str, XapiPBD],
                   vdis: dict[str, XapiVDI], sr_types) -> list[str]:
    """XS-POOL-HA-SR-SHARED: the statefile's SR is shared, of an HA-capable type, attached on every member."""
    statefiles = pool.ha_statefiles
    if not statefiles:
        return ["pool HA has no heartbeat statefile (HA is off)"]
    findings = []
    for vdi_ref in statefiles:
        vdi = vdis.get(vdi_ref)
        sr = srs.get(vdi.sr) if vdi else None
        if sr is None:
            findings.append(f"statefile {vdi_ref}: its VDI or SR is not in the pool's records")
            continue
        label = f"heartbeat SR {sr.name_label} ({sr.uuid})"
        if sr.type not in sr_types:
            findings.append(f"{label} is of type {sr.type}; HA needs one of {', '.join(sr_types)}")
        if sr.shared is not True:
            findings.append(f"{label} is not shared")
        attached = {pbds[p].host for p in sr.pbds if p in pbds and pbds[p].currently_attached}
        missing = sorted(h.name_label for ref, h in hosts.items() if ref not in attached)
        if missing:
            findings.append(f"{label} is not attached on {', '.join(missing)}: those hosts fence themselves")
    return findings


def vm_priority_offenders(vms: dict[str, XapiVM]) -> list[str]:
    """XS-VM-NO-HA-PRIORITY: guest VMs with an ha-restart-priority (control domains, templates, snapshots aside)."""
    offenders = []
    for vm in vms.values():
        if vm.is_control_domain or vm.is_a_template or vm.is_a_snapshot:
            continue
        if vm.ha_restart_priority:
            offenders.append(f"{vm.name_label} ({vm.uuid}): ha-restart-priority {vm.ha_restart_priority}")
    return sorted(offenders)


def disabled_hosts(hosts: dict[str, XapiHost]) -> list[str]:
    return sorted(f"{h.name_label} ({h.uuid}) is disabled" for h in hosts.values() if h.enabled is not True)


def master_live_findings(pool: XapiPool, hosts: dict[str, XapiHost],
                         metrics: dict[str, XapiHostMetrics]) -> list[str]:
    master = pool.master
    if not master or master == NULL_REF or master not in hosts:
        return ["the pool has no master: nothing in it can change, no VM starts"]
    findings = []
    for ref, host in sorted(hosts.items(), key=lambda item: item[1].name_label):
        record = metrics.get(host.metrics)
        if record is None:
            raise UnparsableOutput(f"XAPI host {host.name_label}: no host_metrics record {host.metrics}")
        if record.live is not True:
            role = "the master" if ref == master else "member"
            findings.append(f"{role} {host.name_label} is not live")
    return findings


def host_record_by_address(hosts: dict[str, XapiHost], address: str | None, name: str) -> XapiHost | None:
    return next((h for h in hosts.values() if h.address == address), None) or \
        next((h for h in hosts.values() if h.hostname == name), None)


# --- XS-POOL-HA-LICENSED ([BERGSMA-XS-HA]: pool HA needed a licence before XenServer 6.2) -----------
HA_FREE_FROM = (6, 2, 0)
LICENSED_BRAND = "XenServer"


def ha_licence_scope(members, not_read: str | None) -> tuple[bool | None, str]:
    """Whether pool HA needs a licence in this pool: (True, why) when a member runs XenServer before
    6.2; (False, why not) when none does; (None, why it cannot be told) when a member could be that
    but does not say its brand or version, or discovery did not read them."""
    if not members:
        return None, not_read or "discovery read no member's software_version"
    undecided = []
    for member in members:
        brand, version, name = member.get("product_brand"), member.get("product_version"), member.get("host")
        if brand not in (None, LICENSED_BRAND):
            continue
        if version is None:
            undecided.append(f"host {name}'s software_version has no product_version")
            continue
        try:
            number = parse_product_version(version, f"host {name}")
        except UnparsableOutput as err:
            undecided.append(str(err))
            continue
        if number >= HA_FREE_FROM:
            continue
        if brand is None:
            undecided.append(f"host {name} runs version {version} and names no product_brand")
            continue
        return True, f"host {name} runs {brand} {version}"
    if undecided:
        return None, "; ".join(undecided)
    products = sorted({f"{m.get('product_brand') or '?'} {m.get('product_version') or '?'}" for m in members})
    return False, f"no member runs XenServer before 6.2 ({', '.join(products)}): HA needs no licence"


def ha_licence_findings(hosts: list[HostLicence], now: datetime, warn_days: int) -> list[str]:
    """Every member has the HA feature (`enable_xha` "true"), and no licence expiry within `warn_days`."""
    findings = []
    horizon = now + timedelta(days=warn_days)
    for host in hosts:
        if host.enable_xha is None:
            findings.append(f"{host.name_label}: license_params has no enable_xha: HA is not licensed")
        elif host.enable_xha != "true":
            findings.append(f"{host.name_label}: license_params enable_xha is {host.enable_xha!r}: HA is not licensed")
        if host.expiry is not None and host.expiry <= horizon:
            when = "expired" if host.expiry <= now else f"expires within {warn_days} days"
            findings.append(f"{host.name_label}: the licence {when} (expiry {host.expiry_text}): HA goes with it")
    return findings


# --- XS-POOL-CS-MEMBERSHIP: CloudStack's cluster and the XAPI pool have the same hosts ----------------
def membership_findings(listed: list[tuple[str, str]], members: dict[str, XapiHost],
                        other_pools: dict[str, str], other_clusters: dict[str, str]) -> list[str]:
    """`listed`: CloudStack's (name, ipaddress) of the cluster's Routing hosts; `members`: the pool's host
    records; `other_pools`: address -> the cluster whose pool discovery found that address in;
    `other_clusters`: address -> the other cluster CloudStack lists that address in. Addresses are
    compared as addresses (fd00::1 is fd00:0::1)."""
    missing = sorted(name for name, address in listed if not address)
    if missing:
        raise UnparsableOutput(f"API listHosts: host {', '.join(missing)} has no ipaddress")
    pool = {normal_address(h.address): h for h in members.values()}
    cloud = {normal_address(address): name for name, address in listed}
    other_pools = {normal_address(a): name for a, name in other_pools.items()}
    other_clusters = {normal_address(a): name for a, name in other_clusters.items()}

    def listed_elsewhere(address: str) -> str:
        cluster = other_clusters.get(address)
        return f", which CloudStack lists in cluster {cluster}" if cluster else ""

    findings = []
    unknown = sorted(f"{pool[a].name_label} ({pool[a].address}){listed_elsewhere(a)}" for a in set(pool) - set(cloud))
    if unknown:
        findings.append("pool members CloudStack does not list in this cluster: " + "; ".join(unknown))
    stale = set(cloud) - set(pool)
    elsewhere = sorted(f"{cloud[a]} ({a}) is in the pool of cluster {other_pools[a]}" for a in stale if a in other_pools)
    if elsewhere:
        findings.append("hosts of this cluster found in another pool: " + "; ".join(elsewhere))
    outside = sorted(f"{cloud[a]} ({a})" for a in stale if a not in other_pools)
    if outside:
        findings.append("CloudStack hosts of this cluster that are not in the pool: " + ", ".join(outside))
    return findings


def normal_address(address: str) -> str:
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return address.lower()
