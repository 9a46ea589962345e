"""What the simulated XAPI of each XenServer pool answers, derived from the same topology.

Records use XAPI's field names and wire types ([XAPI]): ints as decimal strings, maps as
dicts, sets as lists, references as "OpaqueRef:<uuid>".
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from lab.parts.xs_host import control_domain_uuid, host_uuid
from lab.topology import Node, Topology, stable_id

NULL_REF = "OpaqueRef:NULL"
SOFTWARE_VERSION = {
    "product_version": "8.2.1", "product_version_text": "8.2", "product_version_text_short": "8.2 CU1",
    "platform_name": "XCP", "platform_version": "3.2.1", "product_brand": "XenServer",
    "build_number": "release/yangtze/master/58", "xapi": "1.20", "xen": "4.13.5-9.40", "linux": "4.19.0+1",
    "network_backend": "openvswitch", "db_schema": "5.602",
}


# what a scenario's host sets (lab/scenario.py: product_brand, product_version) and what follows from it
PRODUCT_KEYS = ("product_brand", "product_version", "product_version_text", "product_version_text_short")


def ref(kind: str, name: str) -> str:
    return "OpaqueRef:" + stable_id(f"xapi-{kind}", name)


def xapi_pools(topo: Topology) -> dict[str, dict]:
    """Pool name -> {"master_address", "objects"} for every XenServer cluster's pool (its hosts, and
    hosts of other clusters whose `xapi_pool` names it), and for each host with `xapi_pool: own`, a pool
    of its own, as a host that left its pool has."""
    hosts = [n for n in topo.hosts if n.kind == "xs-host"]
    pools = {}
    for name in dict.fromkeys(xapi_pool_of(n) for n in hosts):
        # the cluster's own hosts first: the pool's settings and master are its cluster's
        members = sorted((n for n in hosts if xapi_pool_of(n) == name), key=lambda n: n.cluster["name"] != name)
        pools[name] = pool_objects(members, standalone=members[0].cluster["name"] != name)
    return pools


def xapi_pool_of(host: Node) -> str:
    """The name of the simulated pool whose XAPI `host` serves."""
    wanted = host.facts["xapi_pool"]
    return host.cluster["name"] if wanted is None else f"{host.cluster['name']}/own-{host.name}" \
        if wanted == "own" else wanted


def software_version(host: Node) -> dict:
    """SOFTWARE_VERSION with the host's product; its product_version_text fields follow the version."""
    version = host.facts["product_version"]
    texts = {} if version is None else dict.fromkeys(("product_version_text", "product_version_text_short"),
                                                     ".".join(version.split(".")[:2]))
    product = {k: host.facts[k] for k in ("product_brand", "product_version") if host.facts[k] is not None}
    return {**{k: v for k, v in SOFTWARE_VERSION.items() if k not in PRODUCT_KEYS}, **texts, **product,
            "hostname": host.name}


def license_params(host: Node, now: datetime) -> dict:
    """As xapi keeps them ([XAPI] ocaml/license: `expiry` written by Date.to_rfc3339, or `never`)."""
    days = host.facts["licence_expiry_days"]
    expiry = "never" if days is None else (now + timedelta(days=days)).strftime("%Y%m%dT%H:%M:%SZ")
    params = {"sku_type": "enterprise-per-socket", "sku_marketing_name": "Citrix Hypervisor Premium Edition",
              "expiry": expiry, "restrict_pooling": "false", "restrict_wlb": "false"}
    return params | ({} if host.facts["enable_xha"] is None else {"enable_xha": host.facts["enable_xha"]})


def cpu_info(host: Node) -> dict:
    """host.cpu_info as xapi fills it ([XAPI] create_misc.ml create_host_cpu); a null vendor or model
    leaves its key out (xapi leaves the map as it was when it cannot read the CPU)."""
    info = {"cpu_count": str(host.facts["cpu_cores"]), "socket_count": "2", "vendor": host.facts["cpu_vendor"],
            "speed": f"{host.facts['cpu_speed_mhz']}.000", "modelname": host.facts["cpu_model"], "family": "6",
            "model": "106", "stepping": "6", "flags": "fpu de tsc msr pae mce cx8 apic sep mca cmov pat clflush"}
    return {k: v for k, v in info.items() if v is not None}


def pool_objects(members: list[Node], standalone: bool = False) -> dict:
    cluster = members[0].cluster
    pool = cluster["pool"]
    now = datetime.now(timezone.utc)
    master = members[0] if standalone else next(m for m in members if m.name == (pool["master"] or members[0].name))
    sr, vdi = ref("SR", cluster["name"]), ref("VDI", cluster["name"])
    objects = {"pool": {}, "host": {}, "host_metrics": {}, "VM": {}, "SR": {}, "PBD": {}, "VDI": {},
               **network_objects(cluster["name"], members, pool["networks"])}
    pbds = []
    for host in members:
        pbd = ref("PBD", host.name)
        pbds.append(pbd)
        objects["PBD"][pbd] = {
            "uuid": stable_id("pbd", host.name), "host": ref("host", host.name), "SR": sr,
            "currently_attached": host.name not in pool["statefile_unattached_on"],
            "device_config": {"server": "198.19.255.1", "serverpath": f"/export/heartbeat/{cluster['name']}",
                              **pool["pbd_device_config"]},
            "other_config": {}}
        objects["host_metrics"][ref("host_metrics", host.name)] = {
            "uuid": stable_id("host_metrics", host.name), "live": host.facts["live"],
            "memory_total": str(host.facts["memory_mib"] * 1024 * 1024),
            "memory_free": str((host.facts["memory_mib"] - host.facts["memory_allocated_mib"]) * 1024 * 1024),
            "other_config": {}}
        dom0 = ref("VM", f"dom0-{host.name}")
        objects["VM"][dom0] = vm_record(control_domain_uuid(host), f"Control domain on host: {host.name}",
                                        "control_domain", "", "Running", ref("host", host.name))
        objects["host"][ref("host", host.name)] = {
            "uuid": host_uuid(host), "name_label": host.facts["name_label"] or host.name,
            "name_description": "Default install", "hostname": host.name, "address": host.address,
            "enabled": host.facts["enabled"], "API_version_major": "2", "API_version_minor": "16",
            "API_version_vendor": "XenSource", "software_version": software_version(host),
            "license_params": license_params(host, now), "cpu_info": cpu_info(host),
            "metrics": ref("host_metrics", host.name), "PBDs": [pbd], "control_domain": dom0,
            "resident_VMs": [dom0], "other_config": {}, "tags": []}
    for vm in pool["vms"]:
        vm_ref = ref("VM", f"{cluster['name']}/{vm['name']}")
        running = vm["kind"] == "vm" and vm["power_state"] == "Running"
        objects["VM"][vm_ref] = vm_record(stable_id("vm", f"{cluster['name']}/{vm['name']}"), vm["name"],
                                          vm["kind"], vm["ha_restart_priority"], vm["power_state"],
                                          ref("host", master.name) if running else NULL_REF)
    objects["SR"][sr] = {
        "uuid": stable_id("sr", cluster["name"]), "name_label": f"NFS heartbeat {cluster['name']}",
        "name_description": "", "type": pool["statefile_sr_type"], "shared": pool["statefile_sr_shared"],
        "content_type": "", "physical_size": str(2 * 1024 ** 4), "PBDs": pbds, "VDIs": [vdi], "other_config": {}}
    objects["VDI"][vdi] = {
        "uuid": stable_id("vdi", cluster["name"]), "name_label": "Statefile for HA",
        "name_description": "Used for storage heartbeating", "type": "ha_statefile", "SR": sr,
        "virtual_size": "4194304", "sharable": True, "read_only": False, "other_config": {}}
    ha_configuration = {} if pool["ha_timeout"] is None else {"timeout": str(pool["ha_timeout"])}
    objects["pool"][ref("pool", cluster["name"])] = {
        "uuid": stable_id("pool", cluster["name"]), "name_label": cluster["name"], "name_description": "",
        "master": ref("host", master.name), "default_SR": sr, "suspend_image_SR": sr, "crash_dump_SR": sr,
        "ha_enabled": pool["ha_enabled"], "ha_configuration": ha_configuration if pool["ha_enabled"] else {},
        "ha_statefiles": [vdi] if pool["ha_enabled"] else [],
        "ha_host_failures_to_tolerate": "1" if pool["ha_enabled"] else "0",
        "ha_plan_exists_for": "1" if pool["ha_enabled"] else "0", "ha_allow_overcommit": False,
        "ha_overcommitted": False, "ha_cluster_stack": "xhad", "other_config": {}, "tags": []}
    return {"master_address": master.address, "objects": objects}


def vm_record(uuid: str, name: str, kind: str, priority: str, power_state: str, resident_on: str) -> dict:
    return {"uuid": uuid, "name_label": name, "name_description": "", "power_state": power_state,
            "is_a_template": kind == "template", "is_a_snapshot": kind == "snapshot",
            "is_control_domain": kind == "control_domain", "resident_on": resident_on,
            "ha_restart_priority": priority, "ha_always_run": False, "other_config": {}, "tags": []}


def network_objects(pool_name: str, members: list[Node], networks: dict) -> dict:
    """The pool's networks and their PIFs ([XAPI] datamodel: network.MTU, PIF.MTU, ints on the wire as
    decimal strings): each network has one PIF, eth1, on every member."""
    objects = {"network": {}, "PIF": {}}
    for label, network in networks.items():
        network_ref = ref("network", f"{pool_name}/{label}")
        pifs = []
        for host in members:
            pif = ref("PIF", f"{pool_name}/{label}/{host.name}")
            pifs.append(pif)
            objects["PIF"][pif] = {
                "uuid": stable_id("pif", f"{pool_name}/{label}/{host.name}"), "device": "eth1",
                "host": ref("host", host.name), "network": network_ref, "VLAN": "-1", "physical": True,
                "MTU": str(network["pif_mtus"].get(host.name, network["mtu"])), "other_config": {}}
        objects["network"][network_ref] = {
            "uuid": stable_id("network", f"{pool_name}/{label}"), "name_label": label, "name_description": "",
            "bridge": f"xapi{len(objects['network'])}", "MTU": str(network["mtu"]), "PIFs": pifs, "VIFs": [],
            "other_config": {}, "tags": []}
    return objects
