"""A secondary storage VM's boot line (/var/cache/cloud/cmdline) and its storage NIC, eth3.

The words and their order are SecondaryStorageManagerImpl.finalizeVirtualMachineProfile's
(apache/cloudstack, [CS-CODE]): `mtu=` is the management server's secstorage.vm.mtu.size, and
`vmpassword=` is there as with system.vm.random.password true, so that the suite's reading of the
line is proven to keep it out of everything it writes. The SSVM's setup_storage_network brings eth3
up only where the line has storageip= (systemvm/debian/opt/cloud/bin/setup/common.sh).
"""
from __future__ import annotations

from lab.parts.common import db_id
from lab.scenario_settings import DEFAULT_GLOBAL_SETTINGS
from lab.topology import Node, Topology

DEFAULT_VM_PASSWORD = "lab-ssvm-vm-password"
STORAGE_PEER = "storage-peer"    # eth3's other end, in the SSVM's own namespace: the storage network stands in


def java_int_text(setting: str | None) -> str:
    """`mtu=` as the management server writes it: NumbersUtil.parseInt(setting, 1500), then
    Integer.toString (ASCII; the lab's settings use no other digits)."""
    try:
        return str(int(setting))
    except (TypeError, ValueError):
        return "1500"


def boot_args(topo: Topology, node: Node) -> dict[str, str]:
    settings = {**DEFAULT_GLOBAL_SETTINGS, **topo.scenario["global_settings"]}
    words = {
        "template": "domP", "type": "secstorage", "host": ",".join(m.address for m in topo.management),
        "port": "8250", "name": node.name, "zone": str(db_id(topo, "zone", node.zone["name"])),
        "pod": str(db_id(topo, "pod", node.pod["name"])), "guid": node.name, "workers": "5",
        "resource": "org.apache.cloudstack.storage.resource.NfsSecondaryStorageResource",
        "instance": "SecStorage", "sslcopy": "false", "role": "templateProcessor",
        "mtu": java_int_text(settings.get("secstorage.vm.mtu.size")), "vmpassword": DEFAULT_VM_PASSWORD,
        "eth0ip": node.address, "eth0mask": "255.255.0.0", "internaldns1": "198.18.0.1", "dns1": "198.18.0.1",
        "nfsVersion": "null"}
    for key, value in node.facts["boot_args"].items():
        if value is None:
            words.pop(key, None)
        else:
            words[key] = value
    return words


def boot_line(words: dict[str, str]) -> str:
    return " ".join(f"{key}={value}" for key, value in words.items()) + "\n"


def storage_nic_setup(words: dict[str, str], eth3_mtu: int | None) -> list[str]:
    """`ip` commands for eth3 (a veth whose peer stays in the namespace): at `eth3_mtu`, else at the
    boot line's mtu= where it has storageip=; none for 0, or without storageip=."""
    if eth3_mtu is None:
        eth3_mtu = int(words["mtu"]) if words.get("storageip") and words.get("mtu", "").isdigit() else 0
    if not eth3_mtu:
        return []
    return [f"link add eth3 type veth peer name {STORAGE_PEER}", f"link set eth3 mtu {eth3_mtu}",
            f"link set {STORAGE_PEER} mtu {eth3_mtu}", "link set eth3 up", f"link set {STORAGE_PEER} up"]


def ssvm_boot_parts(topo: Topology, node: Node) -> tuple[dict[str, str], list[str]]:
    """({path: content}, network setup) of a secondary storage VM; nothing for the other kinds."""
    if node.facts["type"] != "secondarystoragevm":
        return {}, []
    words = boot_args(topo, node)
    return {"/var/cache/cloud/cmdline": boot_line(words)}, storage_nic_setup(words, node.facts["eth3_mtu"])
