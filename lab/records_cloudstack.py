"""What the simulated CloudStack API answers, derived from the same topology as the lab machines.

Field names and types follow [CS-API] (the 4.22.1 response classes; docs/sources.md).
"""
from __future__ import annotations

from lab.parts.system_vm import template_debian
from lab.records_events import event_rows, newest_first
from lab.records_networks import network_rows, router_link, virtual_machine_rows, vpc_rows
from lab.records_templates import system_template_rows, system_vm_template_id, template_settings
from lab.records_workloads import stopped_vm_event_rows, stopped_vm_rows, workload_lists
from lab.scenario_settings import DEFAULT_GLOBAL_SETTINGS
from lab.topology import Node, Topology, stable_id
from stackaudit.parsers.cloudstack import parse_cloudstack_version

CREATED = "2025-03-02T10:11:12+0000"
MIB = 1024 * 1024
# Where each setting takes effect (its scope in CloudStack's ConfigKey); unlisted ones are global.
SETTING_SCOPES = {
    "cpu.overprovisioning.factor": "cluster", "mem.overprovisioning.factor": "cluster",
    "max.account.cpus": "account", "max.account.memory": "account",
    "allow.user.expunge.recover.vm": "account", "allow.user.view.destroyed.vm": "account",
    "router.template.kvm": "zone", "router.template.xenserver": "zone",
}
# LdapConfiguration's domain-scoped settings and their defaults ("" where CloudStack's is null); the
# scenario's LDAP record gives some per domain (LDAP_FIELDS), any other in its `settings`.
LDAP_SETTINGS = {"ldap.truststore": "", "ldap.truststore.password": "", "ldap.basedn": "", "ldap.bind.principal": "",
                 "ldap.bind.password": "", "ldap.provider": "openldap", "ldap.user.object": "inetOrgPerson",
                 "ldap.username.attribute": "uid", "ldap.email.attribute": "mail",
                 "ldap.firstname.attribute": "givenname", "ldap.lastname.attribute": "sn",
                 "ldap.search.group.principle": ""}
LDAP_FIELDS = {"ldap.truststore": "truststore", "ldap.truststore.password": "truststore_password",
               "ldap.basedn": "basedn", "ldap.bind.principal": "bind_principal", "ldap.bind.password": "bind_password"}
SECURE_LDAP = {"ldap.truststore.password", "ldap.bind.principal", "ldap.bind.password"}
HYPERVISOR_VERSION = {"KVM": "Debian GNU/Linux 12", "XenServer": "8.2.1"}
# SystemVmResponse has serviceofferingid and serviceofferingname since apache/cloudstack pull request
# 7938 (merged September 2023, so 4.19.0 is taken as the first release; not confirmed from a release note).
OFFERING_IN_SYSTEM_VM_ROWS = parse_cloudstack_version("4.19.0")
# The system offerings CloudStack creates itself (SecondaryStorageManagerImpl and
# ConsoleProxyManagerImpl configure(): 1 vCPU, ssvm.cpu.mhz / console.cpu.mhz 500, ssvm.ram.size 512,
# console.ram.size 1024 by default).
BUILT_IN_OFFERINGS = [
    {"name": "System Offering For Secondary Storage VM", "systemvmtype": "secondarystoragevm",
     "cpunumber": 1, "cpuspeed": 500, "memory": 512},
    {"name": "System Offering For Console Proxy", "systemvmtype": "consoleproxy",
     "cpunumber": 1, "cpuspeed": 500, "memory": 1024},
]


def cloudstack_model(topo: Topology, credentials: list[dict], listen: list[dict], ready_file: str) -> dict:
    scenario = topo.scenario
    # `host` and CloudStack's default indirect.agent.lb.algorithm (IndirectAgentLBServiceImpl, since 4.11)
    settings = {**DEFAULT_GLOBAL_SETTINGS, "host": ",".join(m.address for m in topo.management),
                "indirect.agent.lb.algorithm": "static", **template_settings(scenario),
                **{k: v for k, v in scenario["global_settings"].items()}}
    page_size = int(settings.get("default.page.size") or 500)
    return {
        "credentials": credentials,
        "default_page_size": page_size,
        "json_content_type": "application/json; charset=UTF-8",
        "listen": listen,
        "ready_file": ready_file,
        "lists": {
            "listZones": {"key": "zone", "rows": [zone_row(z) for z in scenario["zones"]]},
            "listPods": {"key": "pod", "rows": pod_rows(scenario)},
            "listClusters": {"key": "cluster", "rows": cluster_rows(scenario, settings)},
            "listHosts": {"key": "host", "rows": host_rows(topo)},
            "listSystemVms": {"key": "systemvm", "rows": [system_vm_row(topo, n) for n in topo.system_vms
                                                          if n.facts["type"] != "router"]},
            "listRouters": {"key": "router", "rows": [router_row(topo, n) for n in topo.system_vms
                                                      if n.facts["type"] == "router"]},
            "listNetworks": {"key": "network", "rows": network_rows(scenario)},
            "listVPCs": {"key": "vpc", "rows": vpc_rows(scenario)},
            "listVirtualMachines": {"key": "virtualmachine",
                                    "rows": virtual_machine_rows(scenario) + stopped_vm_rows(scenario)},
            "listEvents": {"key": "event", "rows": newest_first(event_rows(scenario) + stopped_vm_event_rows(scenario))},
            "listManagementServers": {"key": "managementserver",
                                      "rows": [management_row(topo, n) for n in topo.management]},
            "listCapacity": {"key": "capacity", "rows": capacity_rows(topo)},
            "listServiceOfferings": {"key": "serviceoffering", "rows": system_offering_rows(scenario)},
            "listPhysicalNetworks": {"key": "physicalnetwork",
                                     "rows": [physical_network_row(z) for z in scenario["zones"]]},
            "listTrafficTypes": {"key": "traffictype", "rows": traffic_type_rows(scenario)},
            "listStoragePools": {"key": "storagepool", "rows": storage_pool_rows(scenario)},
            "listImageStores": {"key": "imagestore", "rows": image_store_rows(scenario)},
            "listDomains": {"key": "domain", "rows": domain_rows(scenario)},
            "listAccounts": {"key": "account", "rows": account_rows(scenario)},
            "listUsers": {"key": "user", "rows": user_rows(scenario)},
            "listLdapConfigurations": {"key": "ldapconfiguration", "rows": [
                {"hostname": l["hostname"], "port": l["port"], "domainid": stable_id("domain", l["domain"])}
                for l in scenario["ldap"]]},
            "listTemplates": {"key": "template", "rows": system_template_rows(scenario)},
            **workload_lists(scenario, settings),
        },
        "configurations": configuration_rows(scenario, settings),
    }


def domain_rows(scenario: dict) -> list[dict]:
    named = {l["domain"] for l in scenario["ldap"]} | {u["domain"] for u in scenario["users"]}
    names = ["ROOT", *sorted(named - {"ROOT"})]
    return [{"id": stable_id("domain", n), "name": n, "level": 0 if n == "ROOT" else 1,
             "path": "ROOT" if n == "ROOT" else f"ROOT/{n}", "state": "Active",
             **({} if n == "ROOT" else {"parentdomainid": stable_id("domain", "ROOT"), "parentdomainname": "ROOT"})}
            for n in names]


def user_rows(scenario: dict) -> list[dict]:
    """UserResponse rows: admin (with the scenario's admin_user_keys) and system (CloudStack's own,
    source native), then the scenario's users, each the only user of an account of its name;
    `usersource` in lower case as setUserSource writes it."""
    users = [{"name": "system", "domain": "ROOT", "source": "native"},
             {"name": "admin", "domain": "ROOT", "source": "native"}, *scenario["users"]]
    keys = scenario["admin_user_keys"] or {}     # UserResponse's apikey and (deprecated) secretkey: secrets canary
    return [{**(keys if u["name"] == "admin" else {}),
             "id": stable_id("user", f"{u['domain']}/{u['name']}"), "username": u["name"], "state": "enabled",
             "account": u["name"], "accountid": stable_id("account", u["name"]),
             "accounttype": 1 if u["name"] in ("admin", "system") else 0,
             "roletype": "Admin" if u["name"] in ("admin", "system") else "User", "usersource": u["source"],
             "domainid": stable_id("domain", u["domain"]), "domain": u["domain"], "created": CREATED,
             "iscallerchilddomain": False, "isdefault": u["name"] in ("admin", "system")} for u in users]


def account_rows(scenario: dict) -> list[dict]:
    owners = {vm["owner"]["account"] for zone in scenario["zones"] for vm in zone["system_vms"] if vm.get("owner")}
    named = {s["target"] for s in scenario["scoped_settings"] if s["scope"] == "account"} | owners
    names = ["admin", "system", *sorted(named - {"admin", "system"})]
    keys = scenario["admin_user_keys"]
    return [{"id": stable_id("account", n), "name": n, "accounttype": 1, "roletype": "Admin",
             "domainid": stable_id("domain", "ROOT"), "domain": "ROOT", "state": "enabled",
             **({"user": [{"username": n, **keys}]} if keys and n == "admin" else {})} for n in names]


def zone_row(zone: dict) -> dict:
    return {"id": stable_id("zone", zone["name"]), "name": zone["name"], "allocationstate": zone["allocationstate"],
            "networktype": "Advanced", "securitygroupsenabled": False, "localstorageenabled": False,
            "dns1": "198.18.0.2", "internaldns1": "198.18.0.2", "dhcpprovider": "VirtualRouter",
            "zonetoken": stable_id("zonetoken", zone["name"]), "type": "Core"}


def pod_rows(scenario: dict) -> list[dict]:
    return [{"id": stable_id("pod", p["name"]), "name": p["name"], "zoneid": stable_id("zone", z["name"]),
             "zonename": z["name"], "gateway": "198.18.0.1", "netmask": "255.254.0.0",
             "allocationstate": p["allocationstate"]} for z in scenario["zones"] for p in z["pods"]]


def cluster_rows(scenario: dict, settings: dict) -> list[dict]:
    rows = []
    for z in scenario["zones"]:
        for p in z["pods"]:
            for c in p["clusters"]:
                cpu_ratio = scoped_value(scenario, "cpu.overprovisioning.factor", "cluster", c["name"], settings)
                rows.append({"id": stable_id("cluster", c["name"]), "name": c["name"],
                             "podid": stable_id("pod", p["name"]), "podname": p["name"],
                             "zoneid": stable_id("zone", z["name"]), "zonename": z["name"],
                             "hypervisortype": c["hypervisor"], "clustertype": "CloudManaged",
                             "allocationstate": c["allocationstate"], "managedstate": c["managedstate"],
                             "cpuovercommitratio": cpu_ratio, "memoryovercommitratio": "1.0"})
    return rows


def scoped_value(scenario: dict, name: str, scope: str, target: str, settings: dict) -> str:
    for s in scenario["scoped_settings"]:
        if s["name"] == name and s["scope"] == scope and s["target"] == target:
            return s["value"]
    return settings.get(name) or ""


def location(node: Node) -> dict:
    return {"zoneid": stable_id("zone", node.zone["name"]), "zonename": node.zone["name"],
            "podid": stable_id("pod", node.pod["name"]), "podname": node.pod["name"]}


def listed_hosts(topo: Topology) -> list[Node]:
    """The hypervisor hosts CloudStack knows (a XenServer pool member may be one it does not list)."""
    return [n for n in topo.hosts if n.facts.get("listed", True)]


def host_rows(topo: Topology) -> list[dict]:
    rows = [hypervisor_host_row(topo, n) for n in listed_hosts(topo)]
    # CloudStack lists each running secondary storage and console proxy VM as a host too.
    for svm in topo.system_vms:
        kind = {"secondarystoragevm": "SecondaryStorageVM", "consoleproxy": "ConsoleProxy"}.get(svm.facts["type"])
        if kind and svm.facts["state"] == "Running":
            rows.append({"id": stable_id("svm-host", svm.name), "name": svm.name, "type": kind,
                         "state": "Up", "resourcestate": "Enabled", "ipaddress": private_ip(svm),
                         "version": topo.version(svm.facts["agent_version"]), "created": CREATED,
                         **location(svm)})
    return rows


def hypervisor_host_row(topo: Topology, node: Node) -> dict:
    f = node.facts
    hypervisor = node.cluster["hypervisor"]
    ratio = float(scoped_value(topo.scenario, "cpu.overprovisioning.factor", "cluster", node.cluster["name"],
                               {**DEFAULT_GLOBAL_SETTINGS, **topo.scenario["global_settings"]}) or 1)
    cpu_total = f["cpu_cores"] * f["cpu_speed_mhz"]
    cpu_percent = f"{100.0 * f['cpu_allocated_mhz'] / (cpu_total * ratio):.2f}%"
    memory = f["memory_mib"] * MIB
    memory_allocated = f["memory_allocated_mib"] * MIB
    return {
        "id": node.id, "name": node.name, "type": "Routing", "state": f["state"],
        "resourcestate": f["resourcestate"], "ipaddress": node.address, "hypervisor": hypervisor,
        "hypervisorversion": f["hypervisor_version"] or HYPERVISOR_VERSION[hypervisor],
        "version": topo.version(f["version"]), **kvm_details(node),
        "clusterid": stable_id("cluster", node.cluster["name"]), "clustername": node.cluster["name"],
        "clustertype": "CloudManaged", **location(node),
        "cpunumber": f["cpu_cores"], "cpuspeed": f["cpu_speed_mhz"], "cpuallocated": cpu_percent,
        "cpuallocatedvalue": f["cpu_allocated_mhz"], "cpuallocatedpercentage": cpu_percent,
        "cpuwithoverprovisioning": f"{cpu_total * ratio:.1f}", "cpuused": "3.5%",
        "memorytotal": memory, "memoryallocated": memory_allocated, "memoryallocatedbytes": memory_allocated,
        "memoryallocatedpercentage": f"{100.0 * memory_allocated / memory:.2f}%",
        "memorywithoverprovisioning": f"{float(memory):.1f}", "memoryused": memory_allocated // 2,
        "islocalstorageactive": False, "hahost": False, "created": CREATED,
        "lastpinged": "1970-01-20T12:34:56+0000", "managementserverid": topo.management[0].id,
        "managementservername": topo.management[0].name, "hosttags": "", "encryptionsupported": True,
    }


def kvm_details(node: Node) -> dict:
    """A KVM host's `details` as listHosts gives them by default (details=all; HostJoinDaoImpl): what
    the agent reported when it connected. Other hypervisors' rows have none."""
    if node.cluster["hypervisor"] != "KVM":
        return {}
    reported = {"Host.OS": node.facts["host_os"], "Host.OS.Version": node.facts["host_os_version"],
                "Host.OS.Kernel.Version": "6.1.0-28-amd64", "secured": "true"}
    return {"details": {k: v for k, v in reported.items() if v is not None}}


def private_ip(svm: Node) -> str:
    """A pod-range address for the VM's private NIC (not reachable in the lab; access is link-local)."""
    return f"198.19.{svm.index // 250}.{svm.index % 250 + 1}"


def system_vm_common(topo: Topology, node: Node) -> dict:
    host = node.host
    return {"id": node.id, "name": node.name, "state": node.facts["state"], **location(node),
            "hostid": host.id, "hostname": host.name, "hypervisor": host.cluster["hypervisor"],
            "linklocalip": node.address, "linklocalnetmask": "255.255.0.0",
            "linklocalmacaddress": f"0e:00:a9:fe:{node.index // 256:02x}:{node.index % 256:02x}",
            "privateip": private_ip(node), "privatenetmask": "255.254.0.0",
            "templateid": system_vm_template_id(topo.scenario, node.zone["name"], host.cluster["hypervisor"]),
            "templatename": f"systemvm-{host.cluster['hypervisor'].lower()}-{topo.scenario['cloudstack_version']}",
            "created": CREATED}


def offering_id(offering: dict) -> str:
    return offering.get("id") or stable_id("serviceoffering", offering["name"])


def system_offering_rows(scenario: dict) -> list[dict]:
    """listServiceOfferings issystem=true rows, as ServiceOfferingResponse gives them."""
    return [{"id": offering_id(o), "name": o["name"], "displaytext": o["name"], "cpunumber": o["cpunumber"],
             "cpuspeed": o["cpuspeed"], "memory": o["memory"], "issystem": True, "systemvmtype": o["systemvmtype"],
             "defaultuse": o in BUILT_IN_OFFERINGS, "storagetype": "shared", "provisioningtype": "thin",
             "offerha": False, "limitcpuuse": False, "isvolatile": False, "iscustomized": False,
             "created": CREATED, "hasannotations": False}
            for o in [*BUILT_IN_OFFERINGS, *scenario["system_offerings"]]]


def system_vm_offering(scenario: dict, node: Node) -> dict:
    """The offering a system VM was deployed with: the scenario's by name, else the built-in one."""
    offerings = [*scenario["system_offerings"], *BUILT_IN_OFFERINGS]
    wanted = node.facts.get("service_offering")
    return next(o for o in offerings if o["name"] == wanted or (wanted is None and o in BUILT_IN_OFFERINGS
                                                                  and o["systemvmtype"] == node.facts["type"]))


def system_vm_row(topo: Topology, node: Node) -> dict:
    offering = system_vm_offering(topo.scenario, node)
    row = {**system_vm_common(topo, node), "systemvmtype": node.facts["type"],
           "agentstate": "Up" if node.facts["state"] == "Running" else "Disconnected",
           "version": topo.version(node.facts["agent_version"]), "isdynamicallyscalable": False}
    if node.facts["type"] == "consoleproxy":
        row["activeviewersessions"] = 0
    if parse_cloudstack_version(topo.scenario["cloudstack_version"]) >= OFFERING_IN_SYSTEM_VM_ROWS:
        row |= {"serviceofferingid": offering_id(offering), "serviceofferingname": offering["name"]}
    return row


def router_row(topo: Topology, node: Node) -> dict:
    f = node.facts
    release = f["cloudstack_release"] or topo.version(f["agent_version"])
    owner = f.get("owner") or {"account": "system", "network": "", "network_domain": ""}
    return {**system_vm_common(topo, node), "role": "VIRTUAL_ROUTER",
            "account": owner["account"], "domain": "ROOT",
            "domainid": stable_id("domain", "ROOT"), "version": release,
            "scriptsversion": "6d3c3b7b7a3c1d2e9f0a8b7c6d5e4f3a", "requiresupgrade": f["requiresupgrade"],
            "healthchecksfailed": False, "guestnetworkid": stable_id("network", node.name),
            "softwareversion": template_debian(topo.scenario["cloudstack_version"]),
            **router_link(node.zone, f.get("serves"), f.get("redundant_state", "UNKNOWN")),
            # a scenario's owner names (hostile_tenants.yml) are kept as written
            **({"guestnetworkname": owner["network"]} if owner["network"] else {}),
            **({"networkdomain": owner["network_domain"]} if owner["network_domain"] else {})}


def management_row(topo: Topology, node: Node) -> dict:
    return {"id": node.id, "name": node.name, "ipaddress": node.address, "serviceip": node.address,
            "state": node.facts["state"], "version": topo.version(node.facts["version"]),
            "javaversion": "17.0.15", "javadistribution": "OpenJDK", "osdistribution": "Debian GNU/Linux 12",
            "kernelversion": "6.1.0-28-amd64", "lastserverstart": CREATED, "lastboottime": CREATED}


def capacity_rows(topo: Topology) -> list[dict]:
    rows = []
    for cluster_name in dict.fromkeys(n.cluster["name"] for n in listed_hosts(topo)):
        members = [n for n in listed_hosts(topo) if n.cluster["name"] == cluster_name]
        first = members[0]
        where = {**location(first), "clusterid": stable_id("cluster", cluster_name), "clustername": cluster_name}
        for kind, name, used, total in (
                (0, "MEMORY", sum(n.facts["memory_allocated_mib"] for n in members) * MIB,
                 sum(n.facts["memory_mib"] for n in members) * MIB),
                (1, "CPU", sum(n.facts["cpu_allocated_mhz"] for n in members),
                 sum(n.facts["cpu_cores"] * n.facts["cpu_speed_mhz"] for n in members))):
            rows.append({"type": kind, "name": name, "capacityused": used, "capacitytotal": total,
                         "capacityallocated": used, "percentused": f"{100.0 * used / total:.2f}", **where})
    return rows


def physical_network_row(zone: dict) -> dict:
    """PhysicalNetworkResponse of the zone's one physical network."""
    return {"id": stable_id("physicalnetwork", zone["name"]), "name": f"physnet-{zone['name']}",
            "zoneid": stable_id("zone", zone["name"]), "state": "Enabled", "isolationmethods": "VLAN",
            "broadcastdomainrange": "ZONE"}


def traffic_type_rows(scenario: dict) -> list[dict]:
    """TrafficTypeResponse rows: a label that is not set is null, so left out of the answer."""
    return [{"id": stable_id("traffictype", f"{z['name']}/{kind}"), "traffictype": kind,
             "physicalnetworkid": stable_id("physicalnetwork", z["name"]), "kvmnetworklabel": label,
             "xennetworklabel": z["xen_traffic_labels"].get(kind)}
            for z in scenario["zones"] for kind, label in z["traffic_labels"].items()]


def storage_pool_rows(scenario: dict) -> list[dict]:
    return [{"id": stable_id("storagepool", c["name"]), "name": f"primary-{c['name']}",
             "type": c["primary_storage_type"], "scope": "CLUSTER", "state": c["primary_storage_state"],
             "clusterid": stable_id("cluster", c["name"]), "clustername": c["name"],
             "podid": stable_id("pod", p["name"]), "podname": p["name"],
             "zoneid": stable_id("zone", z["name"]), "zonename": z["name"], "ipaddress": "198.19.255.1",
             "path": f"/export/primary/{c['name']}", "disksizetotal": 4 * 1024 ** 4, "disksizeused": 1024 ** 4,
             "hypervisor": c["hypervisor"], "created": CREATED}
            for z in scenario["zones"] for p in z["pods"] for c in p["clusters"]]


def image_store_rows(scenario: dict) -> list[dict]:
    return [{"id": stable_id("imagestore", z["name"]), "name": f"secondary-{z['name']}", "protocol": "nfs",
             "providername": "NFS", "scope": "ZONE", "url": f"nfs://198.19.255.2/export/secondary/{z['name']}",
             "zoneid": stable_id("zone", z["name"]), "zonename": z["name"],
             **({} if z["image_store_readonly"] is None else {"readonly": z["image_store_readonly"]})}
            for z in scenario["zones"]]


def configuration_rows(scenario: dict, settings: dict) -> list[dict]:
    ldap_domains = {l["domain"]: l for l in scenario["ldap"]}
    rows = []
    for name, value in sorted(settings.items()):
        if value is None or name in LDAP_SETTINGS:
            continue
        scope = SETTING_SCOPES.get(name, "global")
        rows.append({"name": name, "value": value, "scope": scope, "category": "Advanced",
                     "description": f"{name} (lab)", "isdynamic": name not in scenario["static_settings"],
                     "type": "String", "component": "management-server",
                     "scoped_values": scoped_values(scenario, name)})
    for key, default in LDAP_SETTINGS.items():
        field = LDAP_FIELDS.get(key)
        values = {stable_id("domain", d): l[field] if field else l["settings"][key]
                  for d, l in ldap_domains.items() if field or key in l["settings"]}
        value = default if settings.get(key) is None else settings[key]
        rows.append({"name": key, "value": value, "scope": "domain", "category": "Secure" if key in SECURE_LDAP
                     else "Advanced", "description": f"{key} (lab)", "isdynamic": True, "type": "String",
                     "component": "LdapManager", "scoped_values": {"domain": values}})
    return rows


def scoped_values(scenario: dict, name: str) -> dict:
    out: dict[str, dict[str, str]] = {}
    for s in scenario["scoped_settings"]:
        if s["name"] == name:
            out.setdefault(s["scope"], {})[stable_id(s["scope"], s["target"])] = s["value"]
    return out
