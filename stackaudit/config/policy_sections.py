"""The policy's sections as the checks read them: one frozen dataclass per section of
inventories/policy.yml (stackaudit/config/policy.py reads and validates the file into these)."""
from __future__ import annotations

from dataclasses import dataclass, field

KVM_PACKAGES = ("cloudstack-agent", "qemu-system-x86")
KVM_RBD_PACKAGES = ("libvirt-daemon-driver-storage-rbd", "qemu-block-extra")
KVM_QEMU_FLOOR = "1:5.2"
# KVM-CGROUP2-CPU-WEIGHT: the first release whose agent scales CPU shares into cgroup v2's weight range,
# apache/cloudstack pull request 8252, listed in the 4.18.2.0 release notes (and in 4.19.0.0's).
KVM_CGROUP2_AGENT_FLOOR = "4.18.2.0"
KVM_SSH_USER = "cloudstack"    # [CSC-WIKI]: the user its hosts were added with


@dataclass(frozen=True)
class XenServerPolicy:
    ha_timeout: int
    min_pool_hosts: int
    ha_sr_types: tuple[str, ...]
    ha_required_from: str
    ha_required_patch_levels: tuple[str, ...]
    ha_licence_warn_days: int = 30


@dataclass(frozen=True)
class FirewallPolicy:
    reject_ports: tuple[int, ...]
    v4_exceptions: tuple[str, ...]      # normalised networks
    v6_management_prefix: str | None    # normalised network


@dataclass(frozen=True)
class LibvirtPolicy:
    transport: str


@dataclass(frozen=True)
class SystemVmPolicy:
    libssl_floors: dict[str, str | dict[str, str]]   # Debian major release -> fixed version(s)


@dataclass(frozen=True)
class TlsFrontendPolicy:
    libssl_floors: dict[str, str | dict[str, str]]   # Debian major release -> fixed version(s)


@dataclass(frozen=True)
class SsvmPolicy:
    min_cpu_mhz: int | None = None      # the offering's cpunumber x cpuspeed
    min_memory_mb: int | None = None
    storage_mtu: int | None = None      # secstorage.vm.mtu.size wanted; None: not judged


@dataclass(frozen=True)
class KubernetesPolicy:
    require_running: bool = False     # CLOUD-K8S-RUNNING: Stopped clusters fail too


@dataclass(frozen=True)
class KvmPolicy:
    packages: tuple[str, ...] = KVM_PACKAGES
    rbd_packages: tuple[str, ...] = KVM_RBD_PACKAGES
    qemu_floor: str = KVM_QEMU_FLOOR
    cgroup2_agent_floor: str = KVM_CGROUP2_AGENT_FLOOR
    patched_agent_versions: tuple[str, ...] = ()
    ssh_user: str | None = KVM_SSH_USER


@dataclass(frozen=True)
class DatabasePolicy:
    binlog_format: str
    topology: str
    max_replication_lag_seconds: int
    innodb_lock_wait_timeout: int
    min_max_connections: int
    time_zone: str
    address: str | None
    published_passwords: list[str]


@dataclass(frozen=True)
class ManagementPolicy:
    min_servers: int
    global_settings: dict[str, str]
    agent_endpoints: tuple[str, ...] = ()   # MS-GLOBAL-HOST: empty, the Up servers' addresses


@dataclass(frozen=True)
class MsPolicy:
    min_heap_mb: int = 3584
    reverse_proxy: bool = False
    syslog_host: str | None = None
    syslog_facility: str = "LOCAL0"
    syslog_level: str = "DEBUG"
    selinux_modes: tuple[str, ...] = ("permissive", "disabled")


@dataclass(frozen=True)
class AdminPolicy:
    default_passwords: tuple[str, ...] = ("password", "admin")
    max_pbkdf2_rounds: int = 10000000
    check_all_root_admins: bool = False


@dataclass(frozen=True)
class LdapPolicy:
    domains: tuple[str, ...] = ()
    profiles: dict[str, str] = field(default_factory=dict)
    overrides: dict[str, dict[str, str]] = field(default_factory=dict)


@dataclass(frozen=True)
class BackupPolicy:
    max_age_hours: int
    locations: dict[str, tuple[str, ...]]   # target kind -> globs that must each match a fresh file


@dataclass(frozen=True)
class ServicesPolicy:
    database_units: tuple[str, ...] = ("mariadb", "mysql", "mysqld")


@dataclass(frozen=True)
class TimePolicy:
    max_offset_ms: int = 1000


@dataclass(frozen=True)
class ClusterPolicy:
    cpu_match: str = "model"


@dataclass(frozen=True)
class WaiverPolicy:
    max_days_ahead: int


# report.evidence: failing (passed results carry their evidence's digest, collect/evidence.py) or all
EVIDENCE_POLICIES = ("failing", "all")
# report.passed_results: how report.html lists passed results (report/passed_per_check.py): auto, one
# Allure result each, or folded into one per check
PASSED_RESULTS_POLICIES = ("auto", "each", "per_check")


@dataclass(frozen=True)
class ReportPolicy:
    evidence: str = "failing"
    passed_results: str = "auto"


@dataclass(frozen=True)
class LimitsPolicy:
    ssh_section_mib: int = 16
    ssh_unit_mib: int = 64
    xapi_answer_mib: int = 64     # one XAPI call's answer
    api_answer_mib: int = 4       # one CloudStack API answer (a page)
    api_listing_mib: int = 64     # a listing's pages together
    answer_seconds: int = 120     # one XAPI or API answer's body, from its headers to its last byte
