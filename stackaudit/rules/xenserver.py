"""XenServer pools: pool HA, its heartbeat SR, members, VM restart priorities
([BERGSMA-XS-HA] in the README's Sources)."""
from __future__ import annotations

from stackaudit.errors import UnparsableOutput
from stackaudit.parsers.cloudstack import parse_cloudstack_version
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
