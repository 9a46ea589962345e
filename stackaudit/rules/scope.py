"""Where a check applies, beyond its target kinds: versions, policy conditions, target states.

A check's catalog record names its target kinds and the conditions it applies under
(`scope: [pool-ha-relied-on]`, keys of CONDITIONS); stackaudit/applicability.py asks them at
collection, so a result out of scope is never collected. A condition is a pure function of the
target as discovered, one version the management servers report (when it needs it), the policy and
the inventory; it returns why the result is out of scope, or None.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from stackaudit.errors import NotCheckable
from stackaudit.rules.db_vip import normal_host
from stackaudit.rules.management import applies_from
from stackaudit.rules.routers import network_of, not_judged_reason
from stackaudit.rules.xenserver import ha_licence_scope, ha_required


class Undecided(Exception):
    """Raised by a condition that cannot tell from the snapshot: the result is collected and broken."""


@dataclass(frozen=True)
class Scope:
    name: str
    out_of_scope: Callable[..., str | None]   # (target, cloud version or None, policy, inventory) -> reason
    needs_cloud_version: bool = False          # the version the management servers report (listManagementServers)
    # a condition on the whole cloud as discovered: out_of_scope also takes the snapshot (its last argument)
    needs_snapshot: bool = False


def replicated(inventory) -> bool:
    return inventory.databases is not None and len(inventory.databases.servers) > 1


def _pool_ha(target, version, policy, inventory):
    return None if ha_required(version, policy.xenserver) else \
        f"CloudStack {version} elects the pool master itself (Bergsma, 2015)"


def _ca_framework(target, version, policy, inventory):
    return None if applies_from(version, "4.11") else f"CloudStack {version} has no CA framework (4.11+)"


def _database_address(target, version, policy, inventory):
    if replicated(inventory) or policy.database.address is not None:
        return None
    return "one database server and no database address in the policy"


def _database_vip(target, version, policy, inventory):
    servers = inventory.databases.servers if inventory.databases is not None else []
    if len(servers) < 2:
        return "fewer than two database servers: no pair to hold a VIP"
    address = policy.database.address
    for server in servers:
        if address is not None and normal_host(address) in server_names(server):
            return f"the policy's database.address {address} is database server {server.name} itself, not a VIP"
    return None


def server_names(server) -> set[str]:
    """What an address in the policy may call an inventory database server by."""
    return {normal_host(n) for n in (server.name, server.address, server.ssh_address, *server.aliases) if n}
def _ha_needs_licence(target, version, policy, inventory):
    needs, why = ha_licence_scope(target.attrs.software, target.attrs.software_reason or target.attrs.reason)
    if needs is None:
        raise Undecided(f"pools with a member on XenServer before 6.2, and {why}")
    return None if needs else why


def _zone_enabled(target, version, policy, inventory):
    state = target.attrs.allocationstate
    return None if state == "Enabled" else f"zone {target.name} is {state}"


def _router_serves(target, version, policy, inventory):
    try:
        return not_judged_reason(network_of(target), target.attrs.running_vms, target.attrs.running_vms_error)
    except NotCheckable:
        return None     # collected, and reported broken by the check with the reason


def _reverse_proxy(target, version, policy, inventory):
    return None if policy.ms.reverse_proxy else "policy ms.reverse_proxy is false: no local reverse proxy in front"


def _war_deployment(target, version, policy, inventory):
    servers = {m.name: m for m in inventory.management_servers}
    server = servers.get(target.name)
    if server is not None and server.deployment == "war":
        return None
    return "deployed from packages (inventory management_servers[].deployment is not war)"


def _xenserver_clusters(target, version, policy, inventory, snapshot):
    hypervisors = {str(c.attrs.hypervisor).lower() for c in snapshot.of_kinds(("cluster",)) if c.attrs is not None}
    return None if "xenserver" in hypervisors else "the cloud has no XenServer cluster (listClusters hypervisortype)"


def _kubernetes_service(target, version, policy, inventory):
    if target.attrs.kubernetes_service_error:
        raise Undecided(f"clouds whose Kubernetes service is enabled, and {target.attrs.kubernetes_service_error}")
    value = target.attrs.kubernetes_service
    if value is None:
        return "cloud.kubernetes.service.enabled is not among the cloud's settings (no Kubernetes service)"
    # ConfigKey<Boolean> reads the value with Boolean.valueOf: "true" in any case, nothing else
    return None if value.lower() == "true" else f"cloud.kubernetes.service.enabled is {value!r}"


def _vm_without_ha(target, version, policy, inventory):
    return f"VM {target.attrs.name} has HA enabled: CloudStack restarts it itself" if target.attrs.haenable else None


# CloudStack 4.5+ (and listed 4.3.x/4.4.x patch levels) leaves electing a new master to pool HA.
POOL_HA_RELIED_ON = Scope("pool HA relied on", _pool_ha, needs_cloud_version=True)
# The CA framework and ca.plugin.root.auth.strictness arrived in CloudStack 4.11.
CA_FRAMEWORK = Scope("CloudStack 4.11 and later", _ca_framework, needs_cloud_version=True)
# With one server and no address of its own, the database may listen on loopback only, and the
# management server may name it as localhost.
DATABASE_ADDRESSED = Scope("database replicated or behind an address of its own", _database_address)
ZONE_ENABLED = Scope("enabled zones", _zone_enabled)
# DB-VIP-SINGLE-HOLDER: a pair behind an address of its own. When only db.properties names the
# address, whether it is a server's own is known at run time: the rule says so (rules/db_vip.py).
DATABASE_VIP = Scope("a database pair reached through a VIP", _database_vip)
# A guest network or VPC that a virtual router serves now (rules/routers.py not_judged_reason).
ROUTER_SERVES = Scope("networks and VPCs a virtual router serves", _router_serves)
# [BERGSMA-XS-HA]: before XenServer 6.2 pool HA was a licensed feature; from 6.2, and on XCP/XCP-ng, it is not.
HA_NEEDS_LICENCE = Scope("pools with a member on XenServer before 6.2", _ha_needs_licence)
# MS-VHDUTIL: the management server needs vhd-util only where it manages XenServer clusters.
XENSERVER_CLUSTERS = Scope("clouds with XenServer clusters", _xenserver_clusters, needs_snapshot=True)

# MS-HTTP-LOCAL-ONLY: management servers whose own HTTP(S) a local reverse proxy fronts ([CSC-WIKI]).
REVERSE_PROXY = Scope("management servers behind a local reverse proxy (policy ms.reverse_proxy)", _reverse_proxy)

# MS-WAR-LAYOUT: servers the inventory marks as war drops into Tomcat ([BERGSMA-OPS]).
WAR_DEPLOYMENT = Scope("management servers deployed as a war in Tomcat (inventory deployment: war)", _war_deployment)

# CLOUD-K8S-RUNNING: the Kubernetes service's API exists only while its setting is true
# (KubernetesClusterService `cloud.kubernetes.service.enabled`, not dynamic); read at discovery.
KUBERNETES_SERVICE = Scope("clouds whose Kubernetes service is enabled", _kubernetes_service)
# CLOUD-VMS-RESTARTED: the HA manager restarts an HA-enabled VM after an out-of-band power-off
# (VirtualMachinePowerStateSyncImpl, `vm.isHaEnabled()`), so it is no operator's chore.
VM_WITHOUT_HA = Scope("user VMs without HA", _vm_without_ha)

# What a catalog record's `scope` may name.
CONDITIONS = {
    "pool-ha-relied-on": POOL_HA_RELIED_ON,
    "ca-framework": CA_FRAMEWORK,
    "database-addressed": DATABASE_ADDRESSED,
    "zone-enabled": ZONE_ENABLED,
    "database-vip": DATABASE_VIP,
    "router-serves": ROUTER_SERVES,
    "ha-needs-licence": HA_NEEDS_LICENCE,
    "reverse-proxy": REVERSE_PROXY,
    "war-deployment": WAR_DEPLOYMENT,
    "xenserver-clusters": XENSERVER_CLUSTERS,
    "kubernetes-service": KUBERNETES_SERVICE,
    "vm-without-ha": VM_WITHOUT_HA,
}
