"""Discovery: the controller asks the CloudStack API for the cloud's parts, finds each XenServer
pool's master through XAPI, merges the inventory's static targets, and freezes the result.

Runs once per run, in the pytest controller only; workers read the frozen snapshot, so every
worker collects the same items in the same order.
"""
from __future__ import annotations

import ipaddress
import time
from concurrent.futures import ThreadPoolExecutor

from stackaudit.config.policy import LimitsPolicy
from stackaudit.errors import TargetError
from stackaudit.config.files import shown
from stackaudit.targets import Snapshot, Target
from stackaudit.collect.transports import cloudstack, xapi
from stackaudit.discovery.settings import SCOPE_SETTINGS, scope_settings
from stackaudit.discovery.vms import STOPPED_VMS, stopped_vm_targets
from stackaudit.discovery.networks import NETWORK_LISTINGS, RUNNING_VMS, network_targets
from stackaudit.discovery.pool_software import member_software

HYPERVISOR_KIND = {"KVM": "kvm-host", "XenServer": "xs-host"}
LISTINGS = (("listZones", {}), ("listClusters", {}), ("listHosts", {"type": "Routing"}), ("listSystemVms", {}),
            ("listRouters", {"listall": "true"}), ("listManagementServers", {}), *NETWORK_LISTINGS)
# Every command discovery sends (access_needs.py makes the API role of them; tests/unit/test_access_needs.py
# proves that no call of the package sends another)
API_COMMANDS = (*(command for command, _ in LISTINGS), STOPPED_VMS[0], RUNNING_VMS, SCOPE_SETTINGS)
SYSTEM_VM_KIND = {"secondarystoragevm": "ssvm", "consoleproxy": "cpvm"}


def discover(inventory, limits: LimitsPolicy = LimitsPolicy()) -> Snapshot:
    """The cloud's targets; a TargetError (one line) if the API's answers cannot give them, whatever
    they hold: a row lacking a key or of another type is an answer of unexpected shape, never a traceback."""
    with cloudstack.rows_of_unexpected_shape("discovery"):
        return discover_from_answers(inventory, limits)


def discover_from_answers(inventory, limits: LimitsPolicy) -> Snapshot:
    api = cloudstack.client(inventory.api.endpoint, inventory.api.key.read(), inventory.api.secret.read(),
                            inventory.api.verify, inventory.ssh.connect_timeout, limits=limits)
    rows = {command: cloudstack.list_all(api, command, **params) for command, params in LISTINGS}
    stopped_vms = cloudstack.list_all(api, STOPPED_VMS[0], **STOPPED_VMS[1])
    snapshot = Snapshot(inventory.cloud_name, [], time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), api=rows,
                        insecure_channels=list(inventory.insecure_channels))
    hosts = {h["id"]: h for h in rows["listHosts"]}
    snapshot.targets += hypervisor_targets(rows["listHosts"], snapshot.notes)
    snapshot.targets += system_vm_targets(rows["listSystemVms"] + rows["listRouters"], hosts, snapshot.notes)
    snapshot.targets += pool_targets(inventory, rows["listClusters"], rows["listHosts"], snapshot.notes)
    snapshot.targets += management_targets(inventory, rows["listManagementServers"], snapshot.notes)
    snapshot.targets += database_targets(inventory)
    snapshot.targets += [Target("tls-frontend", t.name, None, t.ssh_address, attrs={"port": t.port})
                         for t in inventory.tls_frontends]
    snapshot.targets += [Target("zone", z["name"], attrs={"id": z["id"], "allocationstate": z.get("allocationstate")})
                         for z in rows["listZones"]]
    snapshot.targets += [Target("cluster", c["name"], c["zonename"], attrs={
        "id": c["id"], "hypervisor": c.get("hypervisortype"), "allocationstate": c.get("allocationstate"),
        "hosts": sum(1 for h in rows["listHosts"] if h.get("clusterid") == c["id"]),
        "cpuovercommitratio": c.get("cpuovercommitratio"),
        "memoryovercommitratio": c.get("memoryovercommitratio")}) for c in rows["listClusters"]]
    snapshot.targets += network_targets(api, rows["listNetworks"], rows["listVPCs"], snapshot.notes)
    snapshot.targets += stopped_vm_targets(stopped_vms, snapshot.notes)
    versions = sorted({str(row["version"]) for row in rows["listManagementServers"] if row.get("version")})
    snapshot.targets.append(Target("cloud", inventory.cloud_name, attrs={"endpoint": inventory.api.endpoint,
                                                                         "versions": versions,
                                                                         **scope_settings(api)}))
    return snapshot


def hypervisor_targets(host_rows: list[dict], notes: list[str]) -> list[Target]:
    targets = []
    for row in host_rows:
        kind = HYPERVISOR_KIND.get(row.get("hypervisor"))
        if kind is None:
            notes.append(f"host {row['name']}: hypervisor {row.get('hypervisor')} has no checks; not a target")
            continue
        targets.append(Target(kind, row["name"], row["zonename"], row.get("ipaddress"), attrs={
            "id": row["id"], "cluster": row.get("clustername"), "clusterid": row.get("clusterid"),
            "hypervisor": row.get("hypervisor"), "state": row.get("state"),
            "resourcestate": row.get("resourcestate"), "version": row.get("version")}))
    return targets


def system_vm_targets(vm_rows: list[dict], hosts: dict[str, dict], notes: list[str]) -> list[Target]:
    targets = []
    for row in vm_rows:
        kind = SYSTEM_VM_KIND.get(row.get("systemvmtype"), "router" if "role" in row or "requiresupgrade" in row
                                  else None)
        if kind is None:
            continue
        if row.get("state") != "Running":
            notes.append(f"{kind} {row['name']}: {row.get('state')}, not running; its on-VM checks are not run")
            continue
        host = hosts.get(row.get("hostid"), {})
        targets.append(Target(kind, row["name"], row["zonename"], row.get("linklocalip"), attrs={
            "id": row["id"], "host": host.get("name"), "host_address": host.get("ipaddress"),
            "hypervisor": row.get("hypervisor"), "privateip": row.get("privateip"),
            "version": row.get("version"), "requiresupgrade": row.get("requiresupgrade")}))
    return targets


def pool_targets(inventory, clusters: list[dict], host_rows: list[dict], notes: list[str]) -> list[Target]:
    pools = [c for c in clusters if c.get("hypervisortype") == "XenServer"]
    if not pools:
        return []
    if inventory.xenserver is None:
        notes.append("XenServer clusters found but the inventory has no xenserver section; pools not checked")
        return [Target("xs-pool", c["name"], c["zonename"], None, attrs={"id": c["id"], "reason":
                "the inventory has no xenserver section (username, password)"}) for c in pools]

    def one(cluster: dict) -> Target:
        members = sorted((h for h in host_rows if h.get("clusterid") == cluster["id"]), key=lambda h: h["name"])
        master, reason = find_master(inventory.xenserver, [h["ipaddress"] for h in members])
        attrs = {"id": cluster["id"], "members": [h["name"] for h in members],
                 "member_addresses": [h["ipaddress"] for h in members]}
        if reason:
            attrs["reason"] = reason
            notes.append(f"pool {cluster['name']}: {reason}")
        else:
            attrs["software"], attrs["software_reason"] = member_software(inventory.xenserver, master)
            if attrs["software_reason"]:
                notes.append(f"pool {cluster['name']}: {attrs['software_reason']}")
        return Target("xs-pool", cluster["name"], cluster["zonename"], master, attrs=attrs)

    with ThreadPoolExecutor(8) as workers:
        return list(workers.map(one, pools))


def find_master(settings, addresses: list[str]) -> tuple[str | None, str | None]:
    """(the master's address, None) or (None, why there is none): the first member that answers, or
    the master it names by HOST_IS_SLAVE when the API lists that address in the same cluster
    (`follow_redirect`); a member that cannot be reached or gives no XAPI answer is passed over."""
    errors = []
    for address in addresses:
        try:
            session = xapi.login(address, settings.port, settings.username, settings.password.read(),
                                 settings.ca_file, settings.timeout, settings.insecure)
        except xapi.NotMaster as redirect:
            return follow_redirect(address, redirect.master_address, addresses)
        except TargetError as err:
            errors.append(str(err))
            continue
        except Exception as err:  # noqa: BLE001 - whatever a member answers, it fails that member, never discovery
            errors.append(f"XAPI {address}: login: not an XAPI answer ({type(err).__name__}: {shown(str(err))})")
            continue
        xapi.logout(session)
        return address, None
    return None, "no member answered XAPI: " + ("; ".join(errors[:2]) or "the pool has no hosts in CloudStack")


def follow_redirect(member: str, redirect: object, listed: list[str]) -> tuple[str | None, str | None]:
    """Where a member's HOST_IS_SLAVE leads: (the listed address, None) when the API lists the named
    master as a host of the pool's cluster, else (None, why not), naming both addresses. The login
    carries the pool's root password, so it goes only to a host CloudStack itself knows in that
    cluster: a member that names any other address is not followed, and nothing is sent there."""
    named = shown(redirect) if not isinstance(redirect, str) or not redirect.isprintable() or len(redirect) > 255 \
        else redirect
    said = f"XAPI {member} answered HOST_IS_SLAVE naming {named} as the pool master"
    if not isinstance(redirect, str) or named != redirect:
        return None, f"{said}, which is not an address; not followed"
    if same_address(redirect, member):
        return None, f"{said}, itself; not followed"
    for address in listed:
        if same_address(redirect, address):
            return address, None
    return None, (f"{said}, which the CloudStack API does not list as a host of this cluster; not followed "
                  "(no login sent there)")


def same_address(a: str, b: str) -> bool:
    """One host's address, however written (fd00::1 and fd00:0::1; host names case-insensitively)."""
    try:
        return ipaddress.ip_address(a) == ipaddress.ip_address(b)
    except ValueError:
        return a.lower() == b.lower()


def management_targets(inventory, rows: list[dict], notes: list[str]) -> list[Target]:
    ssh = {s.name: s.ssh_address for s in inventory.management_servers}
    targets = []
    for row in rows:
        targets.append(Target("mgmt", row["name"], None, ssh.get(row["name"]), attrs={
            "id": row["id"], "ipaddress": row.get("ipaddress"), "state": row.get("state"),
            "version": row.get("version")}))
    for name in sorted(set(ssh) - {r["name"] for r in rows}):
        notes.append(f"management server {name}: in the inventory, not listed by the API")
        targets.append(Target("mgmt", name, None, ssh[name], attrs={"state": "not listed by the API"}))
    return targets


def database_targets(inventory) -> list[Target]:
    if inventory.databases is None:
        return []
    return [Target("db", s.name, None, s.address,
                   attrs={"port": s.port, "ssh_address": s.ssh_address, "aliases": list(s.aliases)})
            for s in inventory.databases.servers]
