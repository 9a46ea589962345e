"""The scenario format's pieces that several kinds of machine share: files, firewall, capacity, clock,
backups, and what every hypervisor host has (lab/scenario.py builds the records from them)."""
from __future__ import annotations

from stackaudit.config.schema import REQUIRED, Bool, Enum, Int, ListOf, MapOf, Optional, Record, Str, f

# [CSC-WIKI] (docs/sources.md): the ports CLOUDSTACK-SERVICES rejects (libvirt tcp/tls, two agent ports, 8250).
DEFAULT_REJECT_PORTS = [16509, 16514, 45335, 41047, 8250]
DEFAULT_MASKED_SOCKETS = ["libvirtd.socket", "libvirtd-ro.socket", "libvirtd-admin.socket"]
FILES = MapOf(Optional(Str()))          # path -> content; null hides the file on the machine
KEY_OVERRIDES = MapOf(Optional(Str()))  # key -> value; null removes the key


def _firewall_persisted_default():
    return {"v4": "same", "v6": "same"}


FIREWALL = Record({
    "reject_ports": f(ListOf(Int(1)), DEFAULT_REJECT_PORTS),
    "chain": f(Bool(), True),            # CLOUDSTACK-SERVICES exists
    "jump": f(Bool(), True),             # INPUT jumps to it
    "v6_return_prefix": f(Optional(Str()), "lab"),  # "lab": the lab's management /64
    "v4_running": f(Optional(Str())),    # full iptables-save text instead of the generated rules
    "v6_running": f(Optional(Str())),
    # rules loaded with iptables-legacy-restore beside the running ones (iptables-nft then warns)
    "v4_legacy": f(Optional(Str())),
    # "same" (persisted equals running), "absent" (no file), or the file's full text
    "persisted": f(Record({"v4": f(Str(), "same"), "v6": f(Str(), "same")}), _firewall_persisted_default),
    "persistent_enabled": f(Bool(), True),  # the persisted rules are loaded at boot
    # a KVM host in a security-group zone: the rules of this many VMs (lab/security_groups.py)
    "security_group_vms": f(Int(0), 0),
})

CAPACITY = {
    "cpu_cores": f(Int(1), 32),
    "cpu_speed_mhz": f(Int(1), 2400),
    "cpu_allocated_mhz": f(Int(0), 19200),
    "memory_mib": f(Int(1), 262144),
    "memory_allocated_mib": f(Int(0), 65536),
}

# Age in hours of the machine's backups under /var/backups/cloudstack (GATE-BACKUP-FRESH); null: none.
BACKUP_AGE = f(Optional(Int(0)), 1)

# What the machine's time tools report (lab/clock.py; TIME-SYNC): compliant is timedatectl's yes
# beside chrony, Normal and 1 ms slow. "absent" hides the tool; "no-show" is systemd before 239;
# chrony "stopped" is chronyc without its daemon.
CLOCK = Record({
    "timedatectl": f(Enum("yes", "no", "no-show", "absent"), "yes"),
    "chronyc": f(Enum("normal", "not-synchronised", "stopped", "absent"), "normal"),
    "chrony_system_time": f(Str(), "0.001000000 seconds slow"),
    "ntpq": f(Enum("system-peer", "no-system-peer", "absent"), "absent"),
    "ntpq_offset_ms": f(Str(), "0.045"),
})

HOST_COMMON = {
    "name": f(Str(), REQUIRED),
    "state": f(Enum("Up", "Down", "Disconnected", "Alert", "Connecting", "Error"), "Up"),
    "resourcestate": f(Enum("Enabled", "Disabled", "Maintenance", "PrepareForMaintenance",
                            "ErrorInMaintenance", "ErrorInPrepareForMaintenance"), "Enabled"),
    "version": f(Optional(Str())),      # agent version; null: the cloud's version
    "ssh": f(Bool(), True),             # false: no sshd (the API still lists the host)
    "firewall": f(FIREWALL, dict),
    "files": f(FILES, dict),
    "clock": f(CLOCK, dict),
    # CLUSTER-HOMOGENEOUS: listHosts hypervisorversion (null: the hypervisor's default,
    # lab/records_cloudstack.py HYPERVISOR_VERSION) and the CPU the host describes: a KVM host's
    # /proc/cpuinfo (vendor_id, model name), a XenServer's XAPI cpu_info (vendor, modelname); null
    # leaves the line or key out
    "hypervisor_version": f(Optional(Str())),
    "cpu_vendor": f(Optional(Str()), "GenuineIntel"),
    "cpu_model": f(Optional(Str()), "Intel(R) Xeon(R) Gold 6338 CPU @ 2.00GHz"),
    **CAPACITY,
}
