"""Facts of a group of targets for the checks whose target is the group (the cloud, a pool).

Each member's facts come from the fact store: collected once per run by whichever process claimed
the member, read by every other. A member that could not be read is named, never skipped silently:
with no finding elsewhere, the group's result is broken (not checked), never passed.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from stackaudit.collect.declared.unit_states import KEEPALIVED_UNIT
from stackaudit.errors import MembersNotRead, NotCheckable, TargetError
from stackaudit.rules import cluster_homogeneous as cluster_rules
from stackaudit.rules import database as db_rules
from stackaudit.rules import db_vip as vip_rules
from stackaudit.rules import firewall as firewall_rules
from stackaudit.rules import hosts as host_rules
from stackaudit.rules import management_build
from stackaudit.rules import ssvm_mtu
from stackaudit.targets import FIREWALLED_KINDS, Target


@dataclass
class Gathered:
    values: dict = field(default_factory=dict)        # target id -> what was read
    unreadable: list[str] = field(default_factory=list)  # "target id: reason"
    errors: list[TargetError] = field(default_factory=list)  # the members' errors, for the group's reason

    def read(self, facts, member: Target, reader) -> None:
        try:
            self.values[member.id] = reader(facts.of(member))
        except TargetError as err:
            self.unreadable.append(f"{member.id}: {err}")
            self.errors.append(err)


def findings_or_not_checked(findings: list[str], gathered: Gathered) -> list[str]:
    """The findings to assert on, naming the members not read; broken when nothing was found but some
    member could not be read."""
    if findings:
        return findings + [f"(not checked: {', '.join(u.split(': ', 1)[0] for u in gathered.unreadable)})"] \
            if gathered.unreadable else findings
    if gathered.unreadable:
        raise not_checked(gathered)
    return findings


def not_checked(gathered: Gathered, reading: str = "") -> MembersNotRead:
    """The error that makes a group's result broken, naming what could not be read (`reading`, e.g.
    "cloud.host_details", when the message should name it) and the members it could not be read on. When
    every member missed for the same kind of error (all unreachable, all with unknown host keys), the
    group's result takes that kind, so that its reason and fix are the members' (report/auditor.py)."""
    kinds = {type(err) for err in gathered.errors}
    shared = gathered.errors[0] if len(kinds) == 1 and len(gathered.errors) == len(gathered.unreadable) else None
    what = f"{reading}: " if reading else ""
    return MembersNotRead(f"could not read {what}{unreadable_by_reason(gathered.unreadable)}", shared)


# Members named per reason: a cloud with hundreds of absent hosts gives one entry per reason, not a
# line per host, and past MAX_NAMED the rest are counted (each host's own results name it).
MAX_NAMED = 50


def unreadable_by_reason(unreadable: list[str]) -> str:
    """Entries "id: reason" -> "id1, id2: reason; id3: other reason", reasons in order of first
    appearance, at most MAX_NAMED members named per reason. A reason that starts with its member's
    id (most transports' messages do) is not repeated."""
    groups: dict[str, list[str]] = {}
    for entry in unreadable:
        member, _, reason = entry.partition(": ")
        reason = reason.removeprefix(f"{member}: ")
        groups.setdefault(reason, []).append(member)
    parts = []
    for reason, names in groups.items():
        named = ", ".join(names[:MAX_NAMED]) + (f" and {len(names) - MAX_NAMED} more" if len(names) > MAX_NAMED else "")
        parts.append(f"{named}: {reason}")
    return "; ".join(parts)


def members(facts, *kinds: str) -> list[Target]:
    return facts.snapshot.of_kinds(kinds)


def host_identities(facts) -> Gathered:
    """HOST-UUID-UNIQUE's input: each XenServer's inventory UUIDs and each KVM agent's guid."""
    gathered = Gathered()
    for member in members(facts, "xs-host"):
        gathered.read(facts, member, lambda f: {
            key: (f.xensource_inventory or {}).get(key) for key in ("INSTALLATION_UUID", "CONTROL_DOMAIN_UUID")})
    for member in members(facts, "kvm-host"):
        gathered.read(facts, member, lambda f: {"agent guid": host_rules.kvm_identity_of(f.agent_properties)})
    return gathered


def database_servers(facts) -> Gathered:
    """DB-REPLICATION-HEALTHY's input: each server's names, address, variables and replica channels."""
    gathered = Gathered()
    for member in members(facts, "db"):
        gathered.read(facts, member, lambda f: db_rules.ReplicationMember(
            f.target.name, f.target.address, f.target.attrs.aliases, f.variables,
            tuple(f.replica_channels), f.source_addresses))
    return gathered


def database_pair(facts) -> tuple[Gathered, Gathered]:
    """DB-VIP-SINGLE-HOLDER's input: each database server's keepalived, addresses and sessions; each
    management server's db.properties as it names the database and its users."""
    pair, views = Gathered(), Gathered()
    for member in members(facts, "db"):
        pair.read(facts, member, lambda f: vip_rules.PairMember(
            f.target.id, tuple(n for n in (f.target.name, f.target.address, f.target.attrs.ssh_address,
                                           *f.target.attrs.aliases) if n),
            f.unit_states[KEEPALIVED_UNIT], f.own_names.addresses, f.sessions))
    for member in members(facts, "mgmt"):
        views.read(facts, member, lambda f: vip_rules.management_view(f.db_properties, f.own_names))
    return pair, views


def management_builds(facts) -> tuple[Gathered, list[str]]:
    """MS-BUILD-IDENTICAL's input: each Up management server's build; and the servers left out, each
    with the state listManagementServers gives it."""
    servers, left_out = management_build.up_servers(members(facts, "mgmt"), facts.api_rows("listManagementServers"))
    gathered = Gathered()
    for member in servers:
        gathered.read(facts, member, lambda f: f.management_build)
    return gathered, left_out


def members_firewall_findings(facts, firewall_policy) -> Gathered:
    """MS-CA-STRICT's compensating control: HOST-IPTABLES-V4 and V6 on every host and management server."""
    def judged(firewall) -> list[str]:
        return firewall_rules.firewall_findings(firewall, firewall_rules.walk_firewall(firewall, firewall_policy))

    gathered = Gathered()
    for member in members(facts, *FIREWALLED_KINDS):
        gathered.read(facts, member, lambda f: [
            f"IPv{family}: {finding}" for family in (4, 6) for finding in judged(f.firewall(family))])
    return gathered


def pool_of(facts) -> Target:
    """The pool a XenServer host belongs to, as discovery found it."""
    pool = next((t for t in members(facts, "xs-pool") if facts.target.name in t.attrs.members), None)
    if pool is None:
        raise NotCheckable(f"{facts.target.id}: no pool lists this host")
    return pool


def addresses_elsewhere(facts) -> tuple[dict[str, str], dict[str, str]]:
    """For XS-POOL-CS-MEMBERSHIP, as discovery found them: ({address: the cluster whose pool has a member
    there}, {address: the cluster CloudStack lists a host there in}), other pools and clusters than this one."""
    this = facts.target
    pools = {m["address"]: pool.name for pool in members(facts, "xs-pool") if pool.id != this.id
             for m in pool.attrs.software if m.get("address")}
    clusters = {host.address: host.attrs.cluster for host in members(facts, "xs-host")
                if host.attrs.clusterid != this.attrs.id and host.address and host.attrs.cluster}
    return pools, clusters


def cloud_settings(facts) -> list[dict]:
    """The cloud's global settings, read once per run by whoever collects the cloud target."""
    return cloud_fact(facts, "configurations")


def cloud_setting(facts, name: str) -> str | None:
    """A global setting's value as listConfigurations gives it; None when it is not listed."""
    return next((c.value for c in cloud_settings(facts) if c.name == name), None)


def ssvm_storage_host_findings(facts, network, setting: str | None) -> list[str]:
    """SVM-SSVM-MTU's host side: the storage path on the host an SSVM runs on carries the frames its
    storage NIC sends. The zone's Storage traffic label (the cloud's traffic_labels) names it: a KVM
    host's bridge, or a XenServer pool's network and its PIF on the host."""
    vm = facts.target
    zone = next((z for z in members(facts, "zone") if z.name == vm.zone), None)
    if zone is None:
        raise NotCheckable(f"its zone {vm.zone} is not among the zones discovery found")
    storage_labels = cloud_fact(facts, "traffic_labels").get(zone.attrs.id, {}).get("Storage", ())
    wanted = ssvm_mtu.wanted_path_mtu(network, setting)
    if vm.attrs.hypervisor == "KVM":
        host = next((t for t in members(facts, "kvm-host") if (t.name, t.zone) == (vm.attrs.host, vm.zone)), None)
        if host is None:
            raise NotCheckable(f"its host {vm.attrs.host} is not among the KVM hosts discovery found")
        host_facts = facts.of(host)
        bridge = ssvm_mtu.kvm_storage_bridge(storage_labels, host_facts.agent_properties)
        return ssvm_mtu.host_bridge_findings(host.name, bridge, 
                                             {name: link.mtu for name, link in host_facts.network_links.items()},
                                             wanted)
    if vm.attrs.hypervisor == "XenServer":
        label = ssvm_mtu.xen_storage_label(storage_labels)
        pool = next((p for p in members(facts, "xs-pool") if p.zone == vm.zone and vm.attrs.host in p.attrs.members),
                    None)
        if pool is None:
            raise NotCheckable(f"its host {vm.attrs.host} is in no XenServer pool discovery found")
        pool_facts = facts.of(pool)
        host_ref = next((h.ref for h in pool_facts.pool_hosts.values() if vm.attrs.host in (h.name_label, h.hostname)
                         or h.address == vm.attrs.host_address), None)
        if host_ref is None:
            raise NotCheckable(f"XAPI of pool {pool.name} has no host {vm.attrs.host}")
        return ssvm_mtu.xen_path_findings(vm.attrs.host, host_ref, label, pool_facts.pool_networks,
                                          pool_facts.pool_pifs, wanted)
    raise NotCheckable(f"its host runs {vm.attrs.hypervisor}: the storage path's MTU is read on KVM and XenServer "
                       "hosts only")


def cloud_fact(facts, name: str):
    """A fact of the cloud target (its settings, its system offerings), read once per run."""
    (cloud,) = members(facts, "cloud")
    return getattr(facts.of(cloud), name)


def cloudstack_ssh_users(facts) -> tuple[dict | None, str]:
    """KVM-CS-USER's input: the username rows of the first database server that answers, and where
    they were read; (None, "") when the inventory names no database. Broken when none answers."""
    gathered = Gathered()
    for member in members(facts, "db"):
        gathered.read(facts, member, lambda f: f.cloudstack_ssh_users)
        if member.id in gathered.values:
            return gathered.values[member.id], f"cloud.host_details on {member.id}"
    if gathered.unreadable:
        raise not_checked(gathered, "cloud.host_details")
    return None, ""


def zone_id_of(facts) -> str:
    """The CloudStack id of the zone the target is in, as discovery listed it (listZones)."""
    zone = next((t for t in members(facts, "zone") if t.name == facts.target.zone), None)
    if zone is None or not zone.attrs.id:
        raise NotCheckable(f"{facts.target.id}: listZones lists no zone {facts.target.zone!r}")
    return zone.attrs.id


def zone_traffic_labels(facts) -> dict:
    """The traffic labels of the target's own zone (fact `traffic_labels` of the cloud, read once per
    run): traffic type -> its labels. Not checked when the API lists no physical network in it."""
    zone_id = zone_id_of(facts)
    labels = cloud_fact(facts, "traffic_labels")
    if zone_id not in labels:
        raise NotCheckable(f"{facts.target.id}: listPhysicalNetworks lists no physical network in zone "
                           f"{facts.target.zone} (id {zone_id}), so its traffic labels are unknown")
    return labels[zone_id]


def cluster_hosts(facts, rows, cpu_match: str) -> tuple[list, Gathered]:
    """CLUSTER-HOMOGENEOUS's input: each Routing host of the cluster as listHosts gives it (its
    hypervisorversion; a KVM host's Host.OS and version) and, unless the policy compares no CPU, its
    CPU where the host itself tells it: a KVM host's /proc/cpuinfo, a XenServer member's cpu_info in
    its pool master's XAPI records (the member with the address CloudStack lists). A CPU that cannot
    be read is named in the Gathered's unreadable list, and that host is left out of the CPU comparison."""
    cluster, gathered = facts.target, Gathered()
    profiles = []
    for row in sorted(rows, key=lambda r: (r.name, r.id or "")):
        os_name, os_version = cluster_rules.kvm_os(row)
        cpu = None if cpu_match == "off" else cluster_host_cpu(facts, row, gathered)
        profiles.append(cluster_rules.HostProfile(row.name, row.hypervisorversion, os_name, os_version, cpu))
    return profiles, gathered


def cluster_host_cpu(facts, row, gathered: Gathered):
    """One host's CpuIdentity, or None with the reason added to `gathered`."""
    cluster = facts.target
    if cluster.attrs.hypervisor == "KVM":
        host = Target("kvm-host", row.name, cluster.zone)
        if host.id not in {t.id for t in members(facts, "kvm-host")}:
            gathered.unreadable.append(f"{host.id}: not among the KVM hosts discovery found")
            return None
        gathered.read(facts, host, lambda f: f.cpuinfo)
        return gathered.values.get(host.id)
    if cluster.attrs.hypervisor == "XenServer":
        host_id = Target("xs-host", row.name, cluster.zone).id
        pool = next((p for p in members(facts, "xs-pool") if p.attrs.id == cluster.attrs.id), None)
        if pool is None:
            gathered.unreadable.append(f"{host_id}: no XenServer pool was discovered for cluster {cluster.name}")
            return None
        if pool.id not in gathered.values and not any(u.startswith(f"{pool.id}: ") for u in gathered.unreadable):
            gathered.read(facts, pool, lambda f: f.pool_cpus)
        if pool.id not in gathered.values:
            return None      # the pool's own entry names why, once
        member = next((m for m in gathered.values[pool.id] if m.address == row.ipaddress), None)
        if member is None:
            gathered.unreadable.append(f"{host_id}: the XAPI of pool {pool.name} lists no host at {row.ipaddress}")
        elif member.cpu is None:
            gathered.unreadable.append(f"{host_id}: {member.unknown}")
        return member and member.cpu
    gathered.unreadable.append(f"host {row.name}: the suite reads the CPU of KVM and XenServer hosts only, not "
                               f"{cluster.attrs.hypervisor} (policy cluster.cpu_match: off compares versions only)")
    return None
