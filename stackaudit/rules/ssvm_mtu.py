"""SVM-SSVM-MTU: the secondary storage VM's storage network carries the MTU the cloud is set to
([NALLEY-SSVM], [CS-CODE] in the README's Sources).

How CloudStack sets it (apache/cloudstack): SecondaryStorageManagerImpl.configure reads
`secstorage.vm.mtu.size` once, when the management server starts (NumbersUtil.parseInt(value,
1500)), and finalizeVirtualMachineProfile writes it into every SSVM's boot line as `mtu=`, beside
`storageip=` when the zone gives the SSVM a storage NIC. In the SSVM, setup_storage_network
(systemvm/debian/opt/cloud/bin/setup/common.sh) brings up eth3 with that address and runs
`ifconfig eth3 mtu $MTU`: eth3 is the only NIC the value reaches. An SSVM without `storageip=`
sends its storage traffic over its management NIC, which the setting does not touch.
"""
from __future__ import annotations

from stackaudit.parsers.numbers import read_java_int, read_or_none, shown

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


def ssvm_mtu_findings(network, setting: str | None, policy_mtu: int | None) -> list[str]:
    """The SSVM's storage network against the setting and the policy. `network`: its
    storage_network fact (collect/declared/storage_network.py). No `storageip=`: no storage network,
    nothing the setting applies to, so nothing to find."""
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
    return findings
