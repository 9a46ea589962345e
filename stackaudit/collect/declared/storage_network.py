"""A secondary storage VM's storage network (SVM-SSVM-MTU): the `mtu=` and `storageip=` words of the
boot line CloudStack gave it and the MTU of its storage NIC, eth3. On a KVM host, the storage
bridge's MTU is read from the host's one `ip -o link show` (network_devices.py, KVM-BRIDGES' too).

The boot line (/var/cache/cloud/cmdline) also holds `vmpassword=` and `keystore_password=`
(SecondaryStorageManagerImpl.finalizeVirtualMachineProfile, apache/cloudstack): the command reads it
into a shell variable on the target and prints only the two words the rule reads, so no other word
of it is ever collected, stored, logged or reported.
"""
from __future__ import annotations

from dataclasses import dataclass

from stackaudit.collect.readings import Command, Fact, cat, shell
from stackaudit.parsers.boot_line import BOOT_LINE, STORAGE_NIC, StorageBoot, parse_interface_mtu, parse_storage_boot

# Split as the system VM's own parse_cmd_line splits it (`for i in $CMDLINE`: on blanks and
# newlines); `set -f` so that a word is never expanded as a file-name pattern. A boot line that
# cannot be read fails the command (cat's message names the file): every SSVM has one.
STORAGE_WORDS_COMMAND = (
    "set -f; line=$(cat " + shell(BOOT_LINE) + ") || exit 1; "
    "for word in $line; do case $word in mtu|mtu=*|storageip|storageip=*) printf '%s\\n' \"$word\";; esac; done")
STORAGE_NIC_MTU = cat("storage_nic_mtu", f"/sys/class/net/{STORAGE_NIC}/mtu")


@dataclass(frozen=True)
class StorageNetwork:
    boot: StorageBoot
    nic_mtu: int | None      # eth3's MTU; None: the SSVM has no eth3


def storage_network(facts) -> StorageNetwork:
    boot = parse_storage_boot(facts.section("storage_boot_words"))
    nic = facts.section("storage_nic_mtu")
    return StorageNetwork(boot, None if nic is None else parse_interface_mtu(nic))


FACTS = [
    Fact("storage_network", ("ssvm",), (Command("storage_boot_words", STORAGE_WORDS_COMMAND), STORAGE_NIC_MTU),
         storage_network),
]
