"""The policy: every expected value a check compares against, with the catalog's defaults.

inventories/policy.yml lists every key with its default and the document it comes from; a site
copies it and points its inventory's `policy:` at the copy. Keys left out keep their defaults.
"""
from __future__ import annotations

import ipaddress
from dataclasses import dataclass, replace
from pathlib import Path

from stackaudit.config.files import shown, shown_path
from stackaudit.config.policy_sections import (AdminPolicy, BackupPolicy, ClusterPolicy, DatabasePolicy, FirewallPolicy,
                                                KVM_CGROUP2_AGENT_FLOOR, KVM_PACKAGES, KVM_QEMU_FLOOR,
                                                KVM_RBD_PACKAGES, KVM_SSH_USER, KubernetesPolicy, KvmPolicy,
                                                EVIDENCE_POLICIES, LdapPolicy, LibvirtPolicy, LimitsPolicy,
                                                ManagementPolicy, MsPolicy, PASSED_RESULTS_POLICIES, ReportPolicy,
                                                ServicesPolicy, SsvmPolicy, SystemVmPolicy, TimePolicy,
                                                TlsFrontendPolicy, WaiverPolicy, XenServerPolicy)
from stackaudit.config.kinds import (CLOUDSTACK_VERSION, LOG_LEVELS, PORT, SYSLOG_FACILITIES, USER_NAME_PATTERN,
                                     Bounded, DebianVersion, Host, NonEmptyList, Pattern, Text, seconds)
from stackaudit.config.policy_kinds import PACKAGE, Named, Releases, VersionOrPerPackage
from stackaudit.config.schema import Bool, Enum, ListOf, MapOf, Optional, Record, SchemaError, child, f, read_yaml_file
from stackaudit.errors import ConfigError


# [CSC-WIKI] (docs/sources.md): the ports its CLOUDSTACK-SERVICES chain rejects.
CSC_WIKI_REJECT_PORTS = [16509, 16514, 45335, 41047, 8250]
# [CSC-WIKI]'s global settings whose names and values survived in the page's text (two lines are
# garbled there: `allow.public.user.templates = false = 0` and `max.project.memory = 8192 = 40 = 20`;
# their first value is taken). ca.plugin.root.auth.strictness is MS-CA-STRICT's own rule.
CSC_WIKI_GLOBAL_SETTINGS = {
    "allow.user.expunge.recover.vm": "true", "allow.user.view.destroyed.vm": "true", "expunge.delay": "1",
    "expunge.interval": "1", "network.securitygroups.defaultadding": "false",
    "allow.public.user.templates": "false", "network.throttling.rate": "0", "cpu.overprovisioning.factor": "4.0",
    "allow.user.create.projects": "false", "max.project.cpus": "8", "max.project.memory": "8192",
    "max.account.cpus": "8", "max.account.memory": "8192",
}
# MariaDB's time_zone: SYSTEM, an offset such as +00:00, or a named zone (MariaDB docs, "Time Zones",
# https://mariadb.com/kb/en/time-zones/). Unquoted, YAML 1.1 reads +1:30 as the number 90.
TIME_ZONE = Pattern(r"SYSTEM|[+-](0?[0-9]|1[0-4]):[0-5][0-9]|[A-Za-z][A-Za-z0-9_+/-]{0,63}",
                    'a MariaDB time zone such as "+00:00" (quoted), SYSTEM or Europe/Berlin')
# XAPI SR types are lower-case names (nfs, lvmoiscsi, lvmohba, ext, smb, ...).
SR_TYPE = Pattern(r"[a-z][a-z0-9_]{0,31}", "an SR type such as nfs")
GLOB = Text(4096, "an absolute path pattern")
USER_NAME = Pattern(USER_NAME_PATTERN, "a user name of letters, digits, '.', '_' and '-' (not '-' first), "
                    "at most 32 characters, such as cloudstack")
SETTING = Pattern(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,254}", "a CloudStack setting name such as expunge.delay")
# A systemd unit name or a SysV init script's name (systemd.unit(5): letters, digits, ":-_.\\" and "@").
UNIT = Pattern(r"[A-Za-z0-9_][A-Za-z0-9:_.@-]{0,254}", "a service name such as mariadb")
GLOB_CHARACTERS = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_./*?-+@")

POLICY = Record({
    "xenserver": f(Record({
        "ha_timeout": f(seconds(3600), 180),                                   # [BERGSMA-XS-HA]
        "min_pool_hosts": f(Bounded(1, 64), 3),                                 # [BERGSMA-XS-HA]
        "ha_sr_types": f(NonEmptyList(SR_TYPE), lambda: ["nfs", "lvmoiscsi", "lvmohba"]),  # [BERGSMA-XS-HA]
        "ha_required_from": f(CLOUDSTACK_VERSION, "4.5"),                            # [BERGSMA-XS-HA]: 4.5+ relies on pool HA
        "ha_required_patch_levels": f(ListOf(CLOUDSTACK_VERSION), list),             # [BERGSMA-XS-HA] names 4.3.x/4.4.x, not levels
        "ha_licence_warn_days": f(Bounded(0, 3650), 30),                             # [XAPI] daily_license_check.ml warns 30 days ahead
    }), dict),
    "firewall": f(Record({
        "reject_ports": f(NonEmptyList(PORT), CSC_WIKI_REJECT_PORTS),       # [CSC-WIKI]
        "v4_exceptions": f(ListOf(Text(64, "an IPv4 network")), list),                        # [CSC-WIKI]: the IPv4 chain has none
        "v6_management_prefix": f(Optional(Text(64, "an IPv6 network"))),                     # [CSC-WIKI] uses the site's management /64
    }), dict),
    "libvirt": f(Record({
        "transport": f(Enum("tcp", "tls"), "tcp"),                      # [CSC-WIKI] (tcp); [CS-DOCS-KVM]: tls
    }), dict),
    "system_vms": f(Record({
        # [CS-HEARTBLEED]: Debian 7 only. A release's value is one version, or one per package (Debian 9
        # ships libssl1.0.2 and libssl1.1, whose versions differ).
        "libssl_floors": f(Releases(VersionOrPerPackage()), lambda: {"7": "1.0.1e-2+deb7u6"}),
    }), dict),
    "ssvm": f(Record({
        # SVM-SSVM-OFFERING: the least the secondary storage VM's offering may give (total MHz of its
        # vCPUs, MiB of memory). Unset: no floor (not from a seed; [NALLEY-SSVM] only calls the
        # 500 MHz / 256 MB default small).
        "min_cpu_mhz": f(Optional(Bounded(1, 1000000, " of MHz"))),
        "min_memory_mb": f(Optional(Bounded(1, 16777216, " of MiB"))),
        # SVM-SSVM-MTU: the MTU `secstorage.vm.mtu.size` must give an SSVM's storage network (68, the
        # least an IPv4 link may carry, to 65535). Unset: any value, as long as the SSVM and its host
        # agree with it (not from a seed; [NALLEY-SSVM] suggests jumbo frames on a storage network).
        "storage_mtu": f(Optional(Bounded(68, 65535, " of bytes"))),
    }), dict),
    "cks": f(Record({
        # CLOUD-K8S-RUNNING: a Stopped Kubernetes cluster fails too (a user's choice otherwise; not from a seed)
        "require_running": f(Bool(), False),
    }), dict),
    "kvm": f(Record({
        # KVM-PACKAGES: the packages every Debian/Ubuntu KVM host has installed, the two more where its
        # zone has RBD primary storage, and qemu-system-x86's floor (004; `qemu-kvm` is a virtual
        # package on Debian, so the floor sits on the package that provides it).
        "packages": f(NonEmptyList(PACKAGE), lambda: list(KVM_PACKAGES)),
        "rbd_packages": f(ListOf(PACKAGE), lambda: list(KVM_RBD_PACKAGES)),
        "qemu_floor": f(DebianVersion(), KVM_QEMU_FLOOR),
        # KVM-CGROUP2-CPU-WEIGHT: on a cgroup v2 host the agent is at least this release, or one of the
        # patched builds listed (004's own `4.16.0.0+1` clamps the shares at 10000).
        "cgroup2_agent_floor": f(DebianVersion(), KVM_CGROUP2_AGENT_FLOOR),
        "patched_agent_versions": f(ListOf(DebianVersion()), list),
        # KVM-CS-USER: the user CloudStack adds KVM hosts with, read on each host; the database's
        # cloud.host_details, where the inventory names one, says which user each host really has.
        # null: none (then a cloud without a database in the inventory cannot be checked).
        "ssh_user": f(Optional(USER_NAME), KVM_SSH_USER),
    }), dict),
    "database": f(Record({
        "binlog_format": f(Enum("ROW"), "ROW"),                         # [SHAPEBLUE-HOWTO], [CSC-WIKI]
        "topology": f(Enum("master-master", "master-replica"), "master-master"),  # [CSC-WIKI]; [SHAPEBLUE-HOWTO] master-replica
        "max_replication_lag_seconds": f(Bounded(0, 86400, " of seconds"), 60),
        "innodb_lock_wait_timeout": f(Bounded(1, 1073741824, " of seconds"), 600),                     # [SHAPEBLUE-HOWTO]
        "min_max_connections": f(Bounded(1, 100000), 350),                          # [SHAPEBLUE-HOWTO]
        "time_zone": f(TIME_ZONE, "+00:00"),                                # [SHAPEBLUE-HOWTO]
        "address": f(Optional(Host())),                                  # [CSC-WIKI]: the VIP db.properties names
        # DB-NO-KNOWN-PASSWORD: [CSC-WIKI]'s cloud:password, [SHAPEBLUE-HOWTO]'s Cl0ud5tack
        "published_passwords": f(ListOf(Text(256, "a published password")), lambda: ["password", "Cl0ud5tack"]),
    }), dict),
    "management": f(Record({
        "min_servers": f(Bounded(1, 100), 2),                                    # [BERGSMA-OPS]
        "global_settings": f(Named(SETTING, Text(4096, "the setting's value as text")), lambda: dict(CSC_WIKI_GLOBAL_SETTINGS)),  # [CSC-WIKI]
        # MS-GLOBAL-HOST: what the global `host` setting must list when it is not the Up servers'
        # own addresses (a load balancer's VIP in front of them); empty: those addresses
        "agent_endpoints": f(ListOf(Host()), list),
    }), dict),
    "ms": f(Record({
        # MS-JVM-HEAP: the smallest -Xmx of a management server's JVM, in MiB ([BERGSMA-OPS]: -Xmx3584m)
        "min_heap_mb": f(Bounded(64, 16777216, " of MiB"), 3584),
        # MS-HTTP-LOCAL-ONLY: a reverse proxy on each management server fronts its HTTP(S) ([CSC-WIKI])
        "reverse_proxy": f(Bool(), False),
        # MS-LOG4J-SYSLOG: where the SYSLOG appender must send (null: only the file's dialect is
        # checked), with which facility and at least which level ([SHAPEBLUE-HOWTO]: LOCAL0, DEBUG)
        "syslog_host": f(Optional(Host())),
        "syslog_facility": f(Enum(*SYSLOG_FACILITIES), "LOCAL0"),
        "syslog_level": f(Enum(*LOG_LEVELS), "DEBUG"),
        # MS-SELINUX-MODE: the SELinux modes a management server may run and boot in ([CS-DOCS-SELINUX]
        # sets permissive; no SELinux counts as disabled; add enforcing where CloudStack policies exist).
        "selinux_modes": f(NonEmptyList(Enum("enforcing", "permissive", "disabled")), lambda: list(MsPolicy.selinux_modes)),
    }), dict),
    "admin": f(Record({
        # MS-ADMIN-DEFAULT-PASSWORD: CloudStack's default ("password", [CS-DOCS-ADMIN]) and "admin";
        # recomputed from the stored hash in the suite, never tried as a login.
        "default_passwords": f(NonEmptyList(Text(256, "a default password")), lambda: ["password", "admin"]),
        # A stored PBKDF2 value with more rounds is not recomputed (broken): a hostile row could cost hours.
        "max_pbkdf2_rounds": f(Bounded(1, 1000000000, " of rounds"), 10000000),
        "check_all_root_admins": f(Bool(), False),          # every user of a type-1 account, not only id 2
    }), dict),
    "ldap": f(Record({
        # MS-LDAP-DOMAIN-LINK: domains (name or path) that must have an LDAP configuration of their own,
        # besides every domain with LDAP users ([CSC-WIKI] links its Members domain). Not from a seed: empty.
        "domains": f(ListOf(Text(255, "a domain's name or path")), list),
        # MS-LDAP-ATTRIBUTES: domain (name or path; "global" for a configuration without one) -> the
        # profile its directory is judged by: openldap (CloudStack's defaults) or ad; none: only the base
        # DN and the bind account are checked. `overrides`: a domain's own values over its profile's
        # ([CSC-WIKI]'s mail attribute: {ldap.email.attribute: mailLocalAddress}).
        "profiles": f(MapOf(Enum("openldap", "ad")), dict),
        "overrides": f(MapOf(MapOf(Text(255, "a setting's value"))), dict),
    }), dict),
    # MS-TLS-LIBSSL-PATCHED: the first fixed openssl/libssl per Debian major release of a TLS front end
    # of the UI/API (inventory tls_frontends), as system_vms.libssl_floors ([CS-HEARTBLEED]: Debian 7)
    "tls_frontends": f(Record({
        "libssl_floors": f(Releases(VersionOrPerPackage()), lambda: {"7": "1.0.1e-2+deb7u6"}),
    }), dict),
    "backups": f(Record({
        "max_age_hours": f(Bounded(1, 8760, " of hours"), 24),                                 # [CSC-WIKI]: a backup before the upgrade
        "database_servers": f(ListOf(GLOB), list),                     # globs of cloud and cloud_usage dumps
        "management_servers": f(ListOf(GLOB), list),                   # globs of /etc/cloudstack, /var/lib/cloudstack copies
        "kvm_hosts": f(ListOf(GLOB), list),
    }), dict),
    "services": f(Record({
        # DB-SERVICE-ENABLED: the database server's unit, the first of these that exists (Debian's
        # MariaDB: mariadb; MySQL: mysql; EL's MySQL and 003's EL6: mysqld). Not from a seed.
        "database_units": f(NonEmptyList(UNIT), lambda: ["mariadb", "mysql", "mysqld"]),
    }), dict),
    "time": f(Record({
        # TIME-SYNC: how far the clock may be from NTP time, as chrony or ntpd reports it (not from a source)
        "max_offset_ms": f(Bounded(1, 3600000, " of milliseconds"), 1000),
    }), dict),
    "cluster": f(Record({
        # CLUSTER-HOMOGENEOUS: which part of the CPU the hosts of a cluster must share. `model` (003: a
        # cluster is homogeneous hardware); `vendor` where every KVM host gives its guests one named CPU
        # (agent.properties guest.cpu.mode=custom and guest.cpu.model); `off`: hypervisor and OS only.
        "cpu_match": f(Enum("model", "vendor", "off"), "model"),
    }), dict),
    "waivers": f(Record({
        # How far ahead a waiver may expire: an accepted deviation is reviewed at least this often.
        "max_days_ahead": f(Bounded(1, 3650, " of days"), 180),
    }), dict),
    "report": f(Record({
        # Evidence in full for the results that did not pass, a digest for passed ones (failing); or in full for all.
        "evidence": f(Enum(*EVIDENCE_POLICIES), "failing"),
        # report.html's passed results: one Allure result per (check, target) (each), one per check
        # listing its targets (per_check), or per check only above a size (auto).
        "passed_results": f(Enum(*PASSED_RESULTS_POLICIES), "auto"),
    }), dict),
    "limits": f(Record({
        # The most output the suite takes from one command of a target's batch (its stdout, its stderr),
        # and from all the batches over one SSH connection (a host and the system VMs behind it).
        "ssh_section_mib": f(Bounded(1, 1024, " of MiB"), 16),
        "ssh_unit_mib": f(Bounded(1, 4096, " of MiB"), 64),
        "xapi_answer_mib": f(Bounded(1, 4096, " of MiB"), 64),
        "api_answer_mib": f(Bounded(1, 1024, " of MiB"), 4),
        "api_listing_mib": f(Bounded(1, 16384, " of MiB"), 64),
        "answer_seconds": f(seconds(3600), 120),
    }), dict),
})
BACKUP_KINDS = {"database_servers": "db", "management_servers": "mgmt", "kvm_hosts": "kvm-host"}


@dataclass(frozen=True)
class Policy:
    source: str
    xenserver: XenServerPolicy
    firewall: FirewallPolicy
    libvirt: LibvirtPolicy
    system_vms: SystemVmPolicy
    database: DatabasePolicy
    management: ManagementPolicy
    backups: BackupPolicy
    waivers: WaiverPolicy
    limits: LimitsPolicy = LimitsPolicy()
    time: TimePolicy = TimePolicy()
    services: ServicesPolicy = ServicesPolicy()
    ssvm: SsvmPolicy = SsvmPolicy()
    kvm: KvmPolicy = KvmPolicy()
    ms: MsPolicy = MsPolicy()
    cks: KubernetesPolicy = KubernetesPolicy()
    admin: AdminPolicy = AdminPolicy()
    ldap: LdapPolicy = LdapPolicy()
    cluster: ClusterPolicy = ClusterPolicy()
    tls_frontends: TlsFrontendPolicy = TlsFrontendPolicy({"7": "1.0.1e-2+deb7u6"})
    report: ReportPolicy = ReportPolicy()
    sha256: str | None = None   # of the bytes of the policy file read; None for the built-in defaults


def load_policy(path: Path | None) -> Policy:
    """The policy at `path`, or the defaults when no policy file is given."""
    if path is None:
        return policy_from_data({}, "defaults")
    read = read_yaml_file(path, "fix the inventory's policy path", ConfigError)
    return replace(policy_from_data(read.data, shown_path(path)), sha256=read.sha256)


def policy_from_data(raw: object, source: str) -> Policy:
    where = f"{source}:"
    try:
        data = POLICY.check(raw, where)
    except SchemaError as err:
        raise ConfigError(str(err)) from None
    fw = data["firewall"]
    fw_at = child(where, "firewall")
    return Policy(
        source=source,
        xenserver=XenServerPolicy(**{k: tuple(v) if isinstance(v, list) else v for k, v in data["xenserver"].items()}),
        firewall=FirewallPolicy(
            tuple(fw["reject_ports"]),
            tuple(network(v, f"{child(fw_at, 'v4_exceptions')}[{i}]", 4) for i, v in enumerate(fw["v4_exceptions"])),
            None if fw["v6_management_prefix"] is None
            else network(fw["v6_management_prefix"], child(fw_at, "v6_management_prefix"), 6)),
        system_vms=SystemVmPolicy(data["system_vms"]["libssl_floors"]),
        libvirt=LibvirtPolicy(**data["libvirt"]),
        database=DatabasePolicy(**data["database"]),
        management=ManagementPolicy(**{**data["management"],
                                       "agent_endpoints": tuple(data["management"]["agent_endpoints"])}),
        ms=MsPolicy(**{**data["ms"], "selinux_modes": tuple(data["ms"]["selinux_modes"])}),
        tls_frontends=TlsFrontendPolicy(data["tls_frontends"]["libssl_floors"]),
        backups=BackupPolicy(data["backups"]["max_age_hours"], {
            BACKUP_KINDS[key]: tuple(backup_glob(g, f"{child(child(where, 'backups'), key)}[{i}]")
                                     for i, g in enumerate(data["backups"][key])) for key in BACKUP_KINDS}),
        waivers=WaiverPolicy(**data["waivers"]),
        report=ReportPolicy(**data["report"]),
        time=TimePolicy(**data["time"]),
        limits=limits(data["limits"], child(where, "limits")),
        services=ServicesPolicy(tuple(data["services"]["database_units"])),
        ssvm=SsvmPolicy(**data["ssvm"]),
        cks=KubernetesPolicy(**data["cks"]),
        cluster=ClusterPolicy(**data["cluster"]),
        kvm=KvmPolicy(tuple(data["kvm"]["packages"]), tuple(data["kvm"]["rbd_packages"]), data["kvm"]["qemu_floor"],
                      data["kvm"]["cgroup2_agent_floor"], tuple(data["kvm"]["patched_agent_versions"]),
                      data["kvm"]["ssh_user"]),
        admin=AdminPolicy(tuple(data["admin"]["default_passwords"]), data["admin"]["max_pbkdf2_rounds"],
                          data["admin"]["check_all_root_admins"]),
        ldap=LdapPolicy(tuple(data["ldap"]["domains"]), data["ldap"]["profiles"], data["ldap"]["overrides"]))


def limits(values: dict, where: str) -> LimitsPolicy:
    if values["ssh_section_mib"] > values["ssh_unit_mib"]:
        raise ConfigError(f"{child(where, 'ssh_section_mib')}: {values['ssh_section_mib']} is more than "
                          f"ssh_unit_mib ({values['ssh_unit_mib']}), the cap of a whole batch; lower it, or raise ssh_unit_mib")
    return LimitsPolicy(**values)


def backup_glob(value: str, where: str) -> str:
    if not value.startswith("/") or not set(value) <= GLOB_CHARACTERS:
        raise ConfigError(f"{where}: {shown(value)} is not an absolute path pattern of letters, digits and . _ - + @ * ?; "
                          "write it like /var/backups/cloudstack/cloud-*.sql.gz")
    return value


def network(value: str, where: str, family: int) -> str:
    try:
        net = ipaddress.ip_network(value, strict=False)
    except ValueError:
        net = None
    if net is None or net.version != family:
        raise ConfigError(f"{where}: {shown(value)} is not an IPv{family} network; write it as "
                          f"{'198.51.100.0/24' if family == 4 else '2001:db8:1::/64'}")
    return str(net)
