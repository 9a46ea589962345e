"""The scenario format: a cloud described as data, compliant by default.

A scenario states only how its cloud deviates from the compliant defaults below; `load_scenario`
validates it and returns the resolved scenario (plain dicts, every default filled in). Which rule
of the catalog each default satisfies is named beside it.
"""
from __future__ import annotations

from pathlib import Path

from stackaudit.config.schema import (REQUIRED, Bool, Enum, Int, ListOf, MapOf, Mapping, Optional, Record,
                               SchemaError, Str, f, read_yaml)

# [CSC-WIKI] (README, Sources): the ports CLOUDSTACK-SERVICES rejects (libvirt tcp/tls, two agent ports, 8250).
DEFAULT_REJECT_PORTS = [16509, 16514, 45335, 41047, 8250]
DEFAULT_MASKED_SOCKETS = ["libvirtd.socket", "libvirtd-ro.socket", "libvirtd-admin.socket"]
# [CSC-WIKI]'s global settings whose names and values survived in the page's text.
DEFAULT_GLOBAL_SETTINGS = {
    "allow.user.expunge.recover.vm": "true",
    "allow.user.view.destroyed.vm": "true",
    "expunge.delay": "1",
    "expunge.interval": "1",
    "network.securitygroups.defaultadding": "false",
    "allow.public.user.templates": "false",
    "network.throttling.rate": "0",
    "cpu.overprovisioning.factor": "4.0",
    "allow.user.create.projects": "false",
    "max.project.cpus": "8",
    "max.project.memory": "8192",
    "max.account.cpus": "8",
    "max.account.memory": "8192",
    "ca.plugin.root.auth.strictness": "true",
    "default.page.size": "500",
}

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
    **CAPACITY,
}

KVM_HOST = Record({
    **HOST_COMMON,
    "guid": f(Optional(Str())),         # null: derived from the address as the KVM discoverer does
    "agent_properties": f(KEY_OVERRIDES, dict),
    "libvirtd_conf": f(KEY_OVERRIDES, dict),
    "libvirtd_args": f(Str(), "--listen"),
    "masked_sockets": f(ListOf(Str()), DEFAULT_MASKED_SOCKETS),
    "backup_age_hours": BACKUP_AGE,
    # unit -> "<is-enabled> <is-active>" as systemctl answers (lab/parts/units.py); null: unknown unit.
    # KVM-AGENT-SERVICE: cloudstack-agent is "enabled active" unless overridden. init sysv: EL6's
    # chkconfig and service instead of systemctl, the words "<on|off> <running|stopped>".
    "units": f(KEY_OVERRIDES, dict),
    "init": f(Enum("systemd", "sysv"), "systemd"),
})

XENSERVER_HOST = Record({
    **HOST_COMMON,
    "installation_uuid": f(Optional(Str())),
    "symlinks": f(MapOf(Str()), dict),  # path -> target, as `ln -s target path` (chkconfig's rc links)
    "control_domain_uuid": f(Optional(Str())),
    "name_label": f(Optional(Str())),   # null: equals the hostname
    "enabled": f(Bool(), True),
    "live": f(Bool(), True),
})

POOL_VM = Record({
    "name": f(Str(), REQUIRED),
    "kind": f(Enum("vm", "template", "snapshot", "control_domain"), "vm"),
    "ha_restart_priority": f(Enum("", "restart", "best-effort"), ""),
    "power_state": f(Enum("Running", "Halted", "Paused", "Suspended"), "Running"),
})

POOL = Record({
    "ha_enabled": f(Bool(), True),
    "ha_timeout": f(Optional(Int(1)), 180),   # null: no `timeout` key in ha_configuration
    "statefile_sr_type": f(Str(), "nfs"),
    "statefile_sr_shared": f(Bool(), True),
    "statefile_unattached_on": f(ListOf(Str()), list),   # hosts whose PBD to the SR is not attached
    "master": f(Optional(Str())),            # null: the first host
    # more keys of each PBD's device_config, as an iSCSI SR keeps its `chappassword` (secrets canary)
    "pbd_device_config": f(MapOf(Str()), dict),
    "vms": f(ListOf(POOL_VM), lambda: [{"name": "i-2-10-VM"}, {"name": "i-2-11-VM"}]),
})

CLUSTER = Record({
    "name": f(Str(), REQUIRED),
    "hypervisor": f(Enum("KVM", "XenServer"), REQUIRED),
    "hosts": f(ListOf(Mapping()), REQUIRED),   # checked per hypervisor in _check_cluster
    "pool": f(POOL, dict),
})

SYSTEM_VM = Record({
    "name": f(Str(), REQUIRED),
    "type": f(Enum("secondarystoragevm", "consoleproxy", "router"), REQUIRED),
    "host": f(Str(), REQUIRED),
    "state": f(Enum("Running", "Stopped", "Starting", "Stopping", "Error"), "Running"),
    "debian": f(Optional(Enum("7", "8", "9", "10", "11", "12", "13"))),   # null: the template's release
    "packages": f(MapOf(Optional(Str())), dict),  # package -> version (null: not installed)
    "stale_library": f(Optional(Record({
        "process": f(Str(), "apache2"),
        "library": f(Enum("libssl", "libcrypto"), "libcrypto"),
    }))),
    "agent_version": f(Optional(Str())),     # null: the cloud's version
    "cloudstack_release": f(Optional(Str())),
    "requiresupgrade": f(Bool(), False),
    # the system offering it was deployed with (listSystemVms serviceofferingid); null: the built-in one
    "service_offering": f(Optional(Str())),
    "files": f(FILES, dict),
    # a router's owner, as tenants name them (listRouters' account, guestnetworkname, networkdomain;
    # the account is listed by listAccounts too): null is the system account
    "owner": f(Optional(Record({"account": f(Str(), REQUIRED), "network": f(Str(), ""),
                                "network_domain": f(Str(), "")}))),
})

ZONE = Record({
    "name": f(Str(), REQUIRED),
    "allocationstate": f(Enum("Enabled", "Disabled"), "Enabled"),
    "pods": f(ListOf(Record({"name": f(Str(), REQUIRED), "clusters": f(ListOf(CLUSTER), REQUIRED)})),
              REQUIRED),
    "system_vms": f(ListOf(SYSTEM_VM), list),
})

DATABASE = Record({
    "name": f(Str(), REQUIRED),
    "server_id": f(Optional(Int(1))),          # null: 1, 2, ... in order
    "auto_increment_increment": f(Int(1), 2),
    "auto_increment_offset": f(Optional(Int(1))),  # null: 1, 2, ... in order
    "log_bin": f(Bool(), True),
    "binlog_format": f(Enum("ROW", "STATEMENT", "MIXED"), "ROW"),
    "bind_address": f(Optional(Str())),
    "cnf": f(KEY_OVERRIDES, dict),
    # [mysqld] lines of /etc/mysql/conf.d/zz-edited.cnf, written once the server runs: an edit its
    # next start reads ("" is a bare flag)
    "cnf_after_start": f(MapOf(Str()), dict),
    "replicate": f(Bool(), True),
    "runtime": f(MapOf(Str()), dict),          # SET GLOBAL name = value after start (not in the files)
    "backup_age_hours": BACKUP_AGE,
    "version_rows": f(Optional(ListOf(Record({"version": f(Str(), REQUIRED),
                                                "step": f(Str(), "Complete")})))),
    # Names of this server in the database machines' /etc/hosts: `aliases` are in the inventory
    # too, `unlisted_names` only in /etc/hosts (the site's DNS knows them, the inventory does not).
    "aliases": f(ListOf(Str()), list),
    "unlisted_names": f(ListOf(Str()), list),
    "source_host": f(Optional(Str())),         # how CHANGE MASTER names the peer; null: its address
    # Names this machine's /etc/hosts gives other addresses (a stale entry, another site's server); a
    # source_host among them is a source elsewhere: configured, never started (replicate: false).
    "other_hosts": f(MapOf(Str()), dict),
    "connection_name": f(Str(), ""),           # MariaDB multi-source: CHANGE MASTER 'name' TO ...
    "io_thread": f(Bool(), True),              # false: STOP SLAVE 'name' IO_THREAD after it ran
    # unit -> "<is-enabled> <is-active>" (lab/parts/units.py); null: unknown. DB-SERVICE-ENABLED:
    # mariadb is "enabled active" unless overridden; init as for KVM hosts.
    "units": f(KEY_OVERRIDES, dict),
    "init": f(Enum("systemd", "sysv"), "systemd"),
    "clock": f(CLOCK, dict),
    # DB-NO-KNOWN-PASSWORD: more accounts (password null: none; via unix_socket: no password), and
    # whether the audit user may read them (GRANT SELECT ON mysql.global_priv)
    "accounts": f(ListOf(Record({"user": f(Str(), REQUIRED), "host": f(Str(), "%"), "password": f(Optional(Str())),
                                 "via": f(Optional(Enum("unix_socket"))), "locked": f(Bool(), False)})), list),
    "audit_reads_accounts": f(Bool(), True),
    # DB-VIP-SINGLE-HOLDER: whether keepalived has put the pair's VIP on this server (null: the first
    # server holds it); the management servers that hold a session of `cloud` open to it; whether the
    # audit user has PROCESS (sees other users' sessions). keepalived's unit state is in `units`.
    "holds_vip": f(Optional(Bool())),
    "cloud_sessions": f(ListOf(Str()), list),
    "audit_sees_sessions": f(Bool(), True),
})

MANAGEMENT_SERVER = Record({
    "name": f(Str(), REQUIRED),
    "version": f(Optional(Str())),
    "state": f(Enum("Up", "Down", "PreparingForMaintenance", "Maintenance"), "Up"),
    "process_user": f(Str(), "cloud"),
    "java_args": f(ListOf(Str()), list),      # more JVM arguments before the main class (e.g. -D...Password=)
    "db_properties": f(KEY_OVERRIDES, dict),
    # `key=value` lines an operator appended to db.properties by hand, written as given (a trailing
    # blank kept); Properties keeps the last of a key given twice
    "db_properties_appended": f(MapOf(Str()), dict),
    "firewall": f(FIREWALL, dict),
    "files": f(FILES, dict),
    "backup_age_hours": BACKUP_AGE,
    "clock": f(CLOCK, dict),
})

LDAP = Record({
    "domain": f(Str(), "ROOT"),
    "hostname": f(Str(), "ldap.lab.example"),
    "port": f(Int(1), 636),
    "truststore": f(Str(), "/etc/cloudstack/management/ldap-truststore.jks"),
    "truststore_password": f(Str(), "set"),   # any non-empty value: the setting is set
})

SCOPED_SETTING = Record({
    "name": f(Str(), REQUIRED),
    "scope": f(Enum("zone", "cluster", "account", "domain"), REQUIRED),
    "target": f(Str(), REQUIRED),   # the zone, cluster, account or domain name
    "value": f(Str(), REQUIRED),
})

# What a scenario breaks, on purpose: the detection matrix asserts that exactly these (check, target)
# results are not passed, and every other one is.
SEEDED = Record({
    "case": f(Str(), REQUIRED),              # the violation's name, e.g. ha_timeout_missing
    "check": f(Str(), REQUIRED),
    "targets": f(ListOf(Str()), REQUIRED),   # target ids, e.g. xs-pool://zone1/xen-pool1
    # not applicable: out of the rule's scope, so never collected (stackaudit/applicability.py)
    "outcome": f(Enum("failed", "broken", "not applicable"), "failed"),
    "severity": f(Optional(Enum("blocker", "critical", "normal", "minor", "trivial"))),  # when not the record's
    "mentions": f(ListOf(Str()), list),      # text the result's message must name
    "omits": f(ListOf(Str()), list),         # text it must not (e.g. what the rule excludes)
})

# A system offering created by an operator (createServiceOffering issystem=true); the built-in ones
# (lab/records_cloudstack.py BUILT_IN_OFFERINGS) are always listed.
SYSTEM_OFFERING = Record({
    "name": f(Str(), REQUIRED),
    "id": f(Optional(Str())),                  # null: a uuid derived from the name
    "systemvmtype": f(Enum("secondarystoragevm", "consoleproxy", "domainrouter"), "secondarystoragevm"),
    "cpunumber": f(Int(1), 1),
    "cpuspeed": f(Int(1), 500),
    "memory": f(Int(1), 512),
})

SCENARIO = Record({
    "name": f(Str(), REQUIRED),
    "description": f(Str(), ""),
    "seeded": f(ListOf(SEEDED), list),
    "policy": f(Mapping(), dict),            # the lab site's policy, over the lab's own (lab/inventory.py)
    "cloudstack_version": f(Str(), "4.19.1.0"),
    "global_settings": f(MapOf(Optional(Str())), dict),
    "scoped_settings": f(ListOf(SCOPED_SETTING), list),
    "system_offerings": f(ListOf(SYSTEM_OFFERING), list),
    "ldap": f(ListOf(LDAP), lambda: [{}]),
    # the admin user's keys in listAccounts' `user` rows, as CloudStack before 4.16 answered (secrets canary)
    "admin_user_keys": f(Optional(Record({"apikey": f(Str(), REQUIRED), "secretkey": f(Str(), REQUIRED)}))),
    "zones": f(ListOf(ZONE), REQUIRED),
    "databases": f(ListOf(DATABASE), lambda: [{"name": "db1"}, {"name": "db2"}]),
    "management_servers": f(ListOf(MANAGEMENT_SERVER), lambda: [{"name": "ms1"}, {"name": "ms2"}]),
})


def load_scenario(path: Path) -> dict:
    raw = read_yaml(path, "check the scenario's path")
    return resolve_scenario(raw, str(path))


def resolve_scenario(raw: object, source: str) -> dict:
    if not isinstance(raw, dict):
        raise SchemaError(f"{source}: the scenario must be a mapping with keys {', '.join(SCENARIO.fields)}")
    scenario = SCENARIO.check(raw, f"{source}:")
    for zi, zone in enumerate(scenario["zones"]):
        for pi, pod in enumerate(zone["pods"]):
            for ci, cluster in enumerate(pod["clusters"]):
                where = f"{source}: zones[{zi}].pods[{pi}].clusters[{ci}]"
                kind = KVM_HOST if cluster["hypervisor"] == "KVM" else XENSERVER_HOST
                cluster["hosts"] = [kind.check(h, f"{where}.hosts[{hi}]")
                                    for hi, h in enumerate(cluster["hosts"])]
                if not cluster["hosts"]:
                    raise SchemaError(f"{where}.hosts: empty; expected at least one host")
    _check_names(scenario, source)
    return scenario


def _check_names(scenario: dict, source: str) -> None:
    """Machine names become namespace names and target ids: they must be unique and plain."""
    seen: dict[str, str] = {}

    def claim(name: str, where: str) -> None:
        if not name.replace("-", "").replace("_", "").isalnum() or len(name) > 40:
            raise SchemaError(f"{source}: {where}.name: {name!r} is not a plain name; "
                                "use letters, digits, '-' and '_' (at most 40)")
        if name in seen:
            raise SchemaError(f"{source}: {where}.name: {name!r} is already used at {seen[name]}; "
                                "machine names must be unique")
        seen[name] = where

    offerings = {o["name"] for o in scenario["system_offerings"]}
    for zi, zone in enumerate(scenario["zones"]):
        hosts = set()
        for pi, pod in enumerate(zone["pods"]):
            for ci, cluster in enumerate(pod["clusters"]):
                for hi, host in enumerate(cluster["hosts"]):
                    claim(host["name"], f"zones[{zi}].pods[{pi}].clusters[{ci}].hosts[{hi}]")
                    hosts.add(host["name"])
                master = cluster["pool"]["master"]
                if master is not None and master not in {h["name"] for h in cluster["hosts"]}:
                    raise SchemaError(f"{source}: zones[{zi}].pods[{pi}].clusters[{ci}].pool.master: "
                                        f"{master!r} is not a host of this cluster")
        for si, svm in enumerate(zone["system_vms"]):
            claim(svm["name"], f"zones[{zi}].system_vms[{si}]")
            if svm["host"] not in hosts:
                raise SchemaError(f"{source}: zones[{zi}].system_vms[{si}].host: {svm['host']!r} is not "
                                    f"a host of zone {zone['name']!r}; expected one of {', '.join(sorted(hosts))}")
            if svm["service_offering"] is not None and svm["service_offering"] not in offerings:
                raise SchemaError(f"{source}: zones[{zi}].system_vms[{si}].service_offering: "
                                  f"{svm['service_offering']!r} is not one of system_offerings' names")
    for i, db in enumerate(scenario["databases"]):
        claim(db["name"], f"databases[{i}]")
    for i, ms in enumerate(scenario["management_servers"]):
        claim(ms["name"], f"management_servers[{i}]")
    if len(scenario["databases"]) not in (0, 2):
        raise SchemaError(f"{source}: databases: {len(scenario['databases'])} servers; expected none or "
                            "exactly two (a master-master pair)")
    for i, db in enumerate(scenario["databases"]):
        peer = scenario["databases"][1 - i]
        known = [peer["name"], *peer["aliases"], *peer["unlisted_names"]]
        if db["source_host"] in db["other_hosts"] and db["replicate"]:
            raise SchemaError(f"{source}: databases[{i}].source_host: {db['source_host']!r} resolves elsewhere "
                                "(other_hosts); set replicate: false")
        if db["source_host"] is not None and db["source_host"] not in [*known, *db["other_hosts"]]:
            raise SchemaError(f"{source}: databases[{i}].source_host: {db['source_host']!r} does not resolve to "
                                f"the peer; expected one of {', '.join(known)}")
        if not db["connection_name"].replace("-", "").replace("_", "").isalnum() and db["connection_name"]:
            raise SchemaError(f"{source}: databases[{i}].connection_name: {db['connection_name']!r}; use "
                                "letters, digits, '-' and '_'")
    managers = {ms["name"] for ms in scenario["management_servers"]}
    for i, db in enumerate(scenario["databases"]):
        unknown = [name for name in db["cloud_sessions"] if name not in managers]
        if unknown:
            raise SchemaError(f"{source}: databases[{i}].cloud_sessions: {unknown[0]!r} is not a management "
                              f"server; expected one of {', '.join(sorted(managers))}")
    if not scenario["management_servers"]:
        raise SchemaError(f"{source}: management_servers: empty; expected at least one management server")
