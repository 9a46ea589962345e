"""The lab's XenServer hosts (kind xs-host): xensource-inventory, release files, the firewall."""
from __future__ import annotations

from lab import files
from lab.machine import MachineSpec
from lab.parts.common import Keys, common_files, firewall_parts, host_network
from lab.topology import Node, Topology, stable_id


def xs_host_spec(topo: Topology, node: Node, keys: Keys) -> MachineSpec:
    facts = node.facts
    content, modes = common_files(node, keys)
    fw_files, links, v4, v6 = firewall_parts(node, rhel=True)
    inventory = {
        "PRODUCT_BRAND": "XenServer", "PRODUCT_NAME": "xenenterprise", "PRODUCT_VERSION": "8.2.1",
        "PLATFORM_NAME": "XCP", "PLATFORM_VERSION": "3.2.1", "BUILD_NUMBER": "release/yangtze/master/58",
        "INSTALLATION_UUID": host_uuid(node), "CONTROL_DOMAIN_UUID": control_domain_uuid(node),
        "MANAGEMENT_INTERFACE": "xenbr0", "MANAGEMENT_ADDRESS_TYPE": "IPv4",
        "CURRENT_INTERFACES": "xenbr0", "DOM0_MEM": "4096", "DOM0_VCPUS": "8",
        "INSTALLATION_DATE": "2025-03-02 10:11:12.000000"}
    content.update({
        "/etc/os-release": files.os_release_xenserver(),
        "/etc/redhat-release": "XenServer release 8.2.1 (xenenterprise)\n",
        "/etc/xensource-inventory": files.xensource_inventory(inventory),
        "/root/.ssh/id_rsa.cloud": keys.cloud_private,
        **fw_files, **facts["files"]})
    modes["/root/.ssh/id_rsa.cloud"] = 0o600
    links.update(facts["symlinks"])
    # /opt gets a view only where a scenario puts a file there (the uniquifier's script)
    opt = ("/opt",) if any(path.startswith("/opt/") for path in content) else ()
    return MachineSpec(
        name=node.name, kind=node.kind, netns=node.netns, ssh_address=node.address, address6=node.address6,
        views=("/etc", "/root", "/run", "/usr/bin", *opt), files=content, modes=modes, symlinks=links,
        iptables_v4=v4, iptables_v6=v6, network_setup=host_network(node))


def host_uuid(node: Node) -> str:
    return node.facts.get("installation_uuid") or node.id


def control_domain_uuid(node: Node) -> str:
    return node.facts.get("control_domain_uuid") or stable_id("control-domain", node.name)
