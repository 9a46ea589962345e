"""SVM-SSVM-MTU: the secondary storage VM's storage network carries the MTU the cloud is set to
([NALLEY-SSVM], [CS-CODE] in docs/sources.md).

How CloudStack sets it (apache/cloudstack): SecondaryStorageManagerImpl.configure reads
`secstorage.vm.mtu.size` once, when the management server starts (NumbersUtil.parseInt(value,
1500)), and finalizeVirtualMachineProfile writes it into every SSVM's boot line as `mtu=`, beside
`storageip=` when the zone gives the SSVM a storage NIC. In the SSVM, setup_storage_network
(systemvm/debian/opt/cloud/bin/setup/common.sh) brings up eth3 with that address and runs
`ifconfig eth3 mtu $MTU`: eth3 is the only NIC the value reaches. An SSVM without `storageip=`
sends its storage traffic over its management NIC, which the setting does not touch.
"""
from __future__ import annotations

from stackaudit.errors import NotCheckable, TargetError
from stackaudit.parsers.numbers import INT64, read_decimal, read_java_int, read_or_none, shown

SSVM_MTU_SETTING = "secstorage.vm.mtu.size"
DEFAULT_SSVM_MTU = 1500    # SecondaryStorageManagerImpl.DEFAULT_SS_VM_MTUSIZE; Config.java's default


def effective_ssvm_mtu(setting: str | None) -> tuple[int, str]:
    """(the MTU CloudStack gives new SSVMs, how to name it in a message): the setting read by
    Integer.parseInt, or 1500 where it is unset or no int (NumbersUtil.parseInt's default)."""
    value = read_or_none(read_java_int, setting)
    if value is not None:
        return value, f"{SSVM_MTU_SETTING} {setting}"
    if setting is None:
        return DEFAULT_SSVM_MTU, f"{SSVM_MTU_SETTING} (not listed: CloudStack uses {DEFAULT_SSVM_MTU})"
    return DEFAULT_SSVM_MTU, (f"{SSVM_MTU_SETTING} {shown(setting)} (no int: CloudStack uses "
                              f"{DEFAULT_SSVM_MTU})")


def ssvm_mtu_findings(network, setting: str | None, policy_mtu: int | None, host_side=lambda: []) -> list[str]:
    """The SSVM's storage network against the setting and the policy, then its host's side
    (`host_side()`, see with_host_side). `network`: its storage_network fact
    (collect/declared/storage_network.py). No `storageip=`: no storage network, nothing the setting
    applies to, so nothing to find, on the SSVM or its host."""
    boot = network.boot
    if not boot.has_storage_network:
        return []
    current, current_name = effective_ssvm_mtu(setting)
    findings = []
    if policy_mtu is not None and current != policy_mtu:
        findings.append(f"{current_name} is not the policy's ssvm.storage_mtu {policy_mtu}: set it, restart the "
                        "management servers and recreate the SSVM")
    if network.nic_mtu is None:
        findings.append(f"it booted with storageip={boot.storage_ip} but has no eth3: its storage network was "
                        "never set up (setup_storage_network needs storageip= and storagenetmask=), so storage "
                        "traffic takes another NIC")
    elif boot.mtu is not None and network.nic_mtu != boot.mtu:
        findings.append(f"eth3 has MTU {network.nic_mtu}, not the mtu={boot.mtu} it booted with: something "
                        "changed it after boot, or setup_storage_network did not apply it")
    elif boot.mtu is None and network.nic_mtu != current:
        findings.append(f"eth3 has MTU {network.nic_mtu} and its boot line has no mtu=, so nothing set it to "
                        f"{current_name}")
    if boot.mtu is not None and boot.mtu != current:
        findings.append(f"it booted with mtu={boot.mtu}, but {current_name} now: a management server reads the "
                        "setting when it starts and an SSVM gets it when it is created, so restart the "
                        "management servers, then destroy the SSVM for CloudStack to create it again")
    return with_host_side(findings, host_side)


def wanted_path_mtu(network, setting: str | None) -> int:
    """The MTU the SSVM's storage frames may have: eth3's own, else what it booted with, else the setting."""
    if network.nic_mtu is not None:
        return network.nic_mtu
    return network.boot.mtu if network.boot.mtu is not None else effective_ssvm_mtu(setting)[0]


def kvm_storage_bridge(storage_labels, agent_properties: dict | None) -> tuple[str, str]:
    """(bridge, what names it) that a KVM host puts an SSVM's storage NIC on: BridgeVifDriver.plug
    (apache/cloudstack) takes the NIC's name, the zone's Storage kvmnetworklabel, else the agent's
    private bridge (agent.properties `private.network.device`). `storage_labels`: the zone's Storage
    traffic labels, one per physical network carrying it."""
    if len(storage_labels) > 1:
        raise NotCheckable(f"{len(storage_labels)} physical networks of the zone carry Storage traffic "
                           f"({', '.join(l.physical_network for l in storage_labels)}); the API does not say "
                           "which one this SSVM's storage NIC is on")
    if storage_labels and storage_labels[0].kvm:
        return storage_labels[0].kvm, f"the zone's Storage kvmnetworklabel ({storage_labels[0].physical_network})"
    private = (agent_properties or {}).get("private.network.device", "").strip()
    if not private:
        raise NotCheckable("the zone's Storage traffic has no kvmnetworklabel and the host's agent.properties no "
                           "private.network.device: which bridge carries the storage NIC is not known")
    return private, "agent.properties private.network.device (the zone's Storage traffic has no kvmnetworklabel)"


def host_bridge_findings(host: str, bridge: tuple[str, str], device_mtus: dict[str, int], wanted: int) -> list[str]:
    """The storage bridge on the SSVM's KVM host carries frames of `wanted` bytes."""
    name, named_by = bridge
    if name not in device_mtus:
        raise NotCheckable(f"host {host} has no device {name!r}, which {named_by} names, yet the SSVM runs on it "
                           "(KVM-BRIDGES checks that the bridge exists)")
    if device_mtus[name] < wanted:
        return [f"its host {host}'s storage bridge {name} (named by {named_by}) has MTU {device_mtus[name]}, below "
                f"the {wanted} the SSVM sends: larger frames are dropped on the way to secondary storage"]
    return []


def with_host_side(findings: list[str], host_side) -> list[str]:
    """The SSVM's own findings and its host side's (`host_side()`). A host side that cannot be judged
    makes the result broken, unless the SSVM fails on its own already: then it is named beside."""
    try:
        return findings + host_side()
    except TargetError as error:
        if not findings:
            raise
        return findings + [f"its host side was not judged: {error}"]


def xen_storage_label(storage_labels) -> str:
    """The XenServer network (by name label) an SSVM's storage NIC is on: the zone's Storage
    xennetworklabel (CitrixResourceBase.getNetwork, apache/cloudstack, looks the NIC's label up by
    name). Without one, the host picks a storage network of its own, which the API does not show."""
    if len(storage_labels) > 1:
        raise NotCheckable(f"{len(storage_labels)} physical networks of the zone carry Storage traffic "
                           f"({', '.join(l.physical_network for l in storage_labels)}); the API does not say "
                           "which one this SSVM's storage NIC is on")
    if not storage_labels or not storage_labels[0].xen:
        raise NotCheckable("the zone's Storage traffic has no xennetworklabel: which XenServer network carries "
                           "the storage NIC is the host's own choice, not in the API")
    return storage_labels[0].xen


def xen_path_findings(host: str, host_ref: str, label: str, networks: dict, pifs: dict, wanted: int) -> list[str]:
    """XAPI's network named `label` and its PIF on the SSVM's host (`host_ref`) carry `wanted` bytes
    (network.MTU, PIF.MTU: ints, decimal strings on the wire)."""
    named = [n for n in networks.values() if n.name_label == label]
    on_host = [n for n in named if any(pifs.get(p) and pifs[p].host == host_ref for p in n.pifs)]
    if len(named) != 1 and len(on_host) != 1:
        raise NotCheckable(f"the pool has {len(named)} networks named {label!r} (the zone's Storage "
                           f"xennetworklabel), {len(on_host)} of them with a PIF on host {host}")
    network = named[0] if len(named) == 1 else on_host[0]
    findings = []
    network_mtu = read_decimal(network.mtu, f"XAPI network {label!r} MTU", high=INT64[1], what="an MTU")
    if network_mtu < wanted:
        findings.append(f"its host {host}'s storage network {label!r} (the zone's Storage xennetworklabel) has MTU "
                        f"{network_mtu}, below the {wanted} the SSVM sends")
    host_pifs = [pifs[p] for p in network.pifs if p in pifs and pifs[p].host == host_ref]
    if not host_pifs:
        findings.append(f"the storage network {label!r} has no PIF on its host {host}: its traffic cannot leave "
                        "the host")
    for pif in host_pifs:
        pif_mtu = read_decimal(pif.mtu, f"XAPI PIF {pif.device} MTU", high=INT64[1], what="an MTU")
        if pif_mtu < wanted:
            findings.append(f"its host {host}'s PIF {pif.device} of the storage network {label!r} has MTU "
                            f"{pif_mtu}, below the {wanted} the SSVM sends: larger frames are dropped on the way "
                            "to secondary storage")
    return findings
