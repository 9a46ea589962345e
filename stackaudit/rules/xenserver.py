"""XenServer pools: pool HA, its heartbeat SR, members, VM restart priorities
([BERGSMA-XS-HA] in the README's Sources)."""
from __future__ import annotations

from stackaudit.errors import UnparsableOutput
from stackaudit.parsers.cloudstack import parse_cloudstack_version

NULL_REF = "OpaqueRef:NULL"


def ha_required(cloud_version: str, xenserver_policy) -> bool:
    """[BERGSMA-XS-HA]: CloudStack 4.5+ (and the policy's listed 4.3.x/4.4.x patch levels) relies on pool HA."""
    version = parse_cloudstack_version(cloud_version)
    listed = {parse_cloudstack_version(v) for v in xenserver_policy.ha_required_patch_levels}
    return version >= parse_cloudstack_version(xenserver_policy.ha_required_from) or version in listed


def min_hosts_findings(hosts: dict, minimum: int) -> list[str]:
    names = sorted(h.get("name_label", ref) for ref, h in hosts.items())
    if len(hosts) >= minimum:
        return []
    return [f"the pool has {len(hosts)} hosts ({', '.join(names)}); the policy wants at least {minimum}: "
            "with two, the survivor of a crash fences itself"]


def ha_sr_findings(pool: dict, hosts: dict, srs: dict, pbds: dict, vdis: dict, sr_types) -> list[str]:
    """XS-POOL-HA-SR-SHARED: the statefile's SR is shared, of an HA-capable type, attached on every member."""
    statefiles = pool.get("ha_statefiles") or []
    if not statefiles:
        return ["pool HA has no heartbeat statefile (HA is off)"]
    findings = []
    for vdi_ref in statefiles:
        vdi = vdis.get(vdi_ref)
        sr = srs.get(vdi.get("SR")) if vdi else None
        if sr is None:
            findings.append(f"statefile {vdi_ref}: its VDI or SR is not in the pool's records")
            continue
        label = f"heartbeat SR {sr.get('name_label')} ({sr.get('uuid')})"
        if sr.get("type") not in sr_types:
            findings.append(f"{label} is of type {sr.get('type')}; HA needs one of {', '.join(sr_types)}")
        if sr.get("shared") is not True:
            findings.append(f"{label} is not shared")
        attached = {pbds[p]["host"] for p in sr.get("PBDs", []) if p in pbds and pbds[p].get("currently_attached")}
        missing = sorted(h.get("name_label", ref) for ref, h in hosts.items() if ref not in attached)
        if missing:
            findings.append(f"{label} is not attached on {', '.join(missing)}: those hosts fence themselves")
    return findings


def vm_priority_offenders(vms: dict) -> list[str]:
    """XS-VM-NO-HA-PRIORITY: guest VMs with an ha-restart-priority (control domains, templates, snapshots aside)."""
    offenders = []
    for vm in vms.values():
        if vm.get("is_control_domain") or vm.get("is_a_template") or vm.get("is_a_snapshot"):
            continue
        if vm.get("ha_restart_priority"):
            offenders.append(f"{vm.get('name_label')} ({vm.get('uuid')}): ha-restart-priority "
                             f"{vm['ha_restart_priority']}")
    return sorted(offenders)


def disabled_hosts(hosts: dict) -> list[str]:
    return sorted(f"{h.get('name_label')} ({h.get('uuid')}) is disabled" for h in hosts.values()
                  if h.get("enabled") is not True)


def master_live_findings(pool: dict, hosts: dict, metrics: dict) -> list[str]:
    master = pool.get("master")
    if not master or master == NULL_REF or master not in hosts:
        return ["the pool has no master: nothing in it can change, no VM starts"]
    findings = []
    for ref, host in sorted(hosts.items(), key=lambda item: item[1].get("name_label", "")):
        record = metrics.get(host.get("metrics"))
        if record is None:
            raise UnparsableOutput(f"XAPI host {host.get('name_label')}: no host_metrics record {host.get('metrics')}")
        if record.get("live") is not True:
            role = "the master" if ref == master else "member"
            findings.append(f"{role} {host.get('name_label')} is not live")
    return findings


def host_record_by_address(hosts: dict, address: str | None, name: str) -> dict | None:
    return next((h for h in hosts.values() if h.get("address") == address), None) or \
        next((h for h in hosts.values() if h.get("hostname") == name), None)
