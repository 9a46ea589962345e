"""The scenario format: a cloud described as data, compliant by default.

A scenario states only how its cloud deviates from the compliant defaults below; `load_scenario`
validates it and returns the resolved scenario (plain dicts, every default filled in). Which rule
of the catalog each default satisfies is named beside it.
"""
from __future__ import annotations

from pathlib import Path

from lab.scenario_common import BACKUP_AGE, CLOCK, DEFAULT_MASKED_SOCKETS, FILES, HOST_COMMON, KEY_OVERRIDES
from lab.scenario_management import MANAGEMENT_SERVER
from lab.scenario_events import EVENT
from lab.scenario_networks import NETWORK, REDUNDANT_STATE, SERVES, VPC, check_served
from lab.scenario_workloads import KUBERNETES_CLUSTER, STOPPED_VM, SYSTEM_TEMPLATE
from lab.scenario_tls import TLS_FRONTEND
from stackaudit.config.schema import (REQUIRED, Bool, Enum, Int, ListOf, MapOf, Mapping, Optional, Record,
                               SchemaError, Str, f, read_yaml)

# A zone as the setup wizard leaves it with one physical network: Management, Public and Guest
# labelled with the bridge agent.properties names, Storage unlabelled (apache/cloudstack-go issue 126).
DEFAULT_TRAFFIC_LABELS = {"Management": "cloudbr0", "Public": "cloudbr0", "Guest": "cloudbr0", "Storage": None}

KVM_HOST = Record({
    **HOST_COMMON,
    "guid": f(Optional(Str())),         # null: derived from the address as the KVM discoverer does
    "agent_properties": f(KEY_OVERRIDES, dict),
    "libvirtd_conf": f(KEY_OVERRIDES, dict),
    "libvirtd_args": f(Str(), "--listen"),
    "masked_sockets": f(ListOf(Str()), DEFAULT_MASKED_SOCKETS),
    "backup_age_hours": BACKUP_AGE,
    # KVM-BRIDGES: Linux bridges in the host's namespace, each "up" or "down" (ip link set); plain
    # devices (a veth each, as a bond or NIC would be); Open vSwitch bridges, which the host's stand-in
    # ovs-vsctl lists, each with its internal device (a veth, no sysfs bridge directory)
    "bridges": f(MapOf(Enum("up", "down")), lambda: {"cloudbr0": "up"}),
    "devices": f(MapOf(Enum("up", "down")), dict),
    "ovs_bridges": f(MapOf(Enum("up", "down")), dict),
    # KVM-PACKAGES: package -> version over the host's defaults (lab/parts/kvm_host.py); null: not installed
    "packages": f(MapOf(Optional(Str())), dict),
    # KVM-CGROUP2-CPU-WEIGHT: the file system mounted at /sys/fs/cgroup (lab/parts/kvm_host.py CGROUP_MOUNTS)
    "cgroup_fs": f(Enum("cgroup2", "tmpfs", "ramfs"), "cgroup2"),
    # SVM-SSVM-MTU: a bridge's MTU (ip link set NAME mtu N); a bridge not named keeps the kernel's 1500
    "bridge_mtus": f(MapOf(Int(68)), dict),
    # unit -> "<is-enabled> <is-active>" as systemctl answers (lab/parts/units.py); null: unknown unit.
    # KVM-AGENT-SERVICE: cloudstack-agent is "enabled active" unless overridden. init sysv: EL6's
    # chkconfig and service instead of systemctl, the words "<on|off> <running|stopped>".
    "units": f(KEY_OVERRIDES, dict),
    "init": f(Enum("systemd", "sysv"), "systemd"),
    # KVM-CS-USER: the user CloudStack added the host with (cloud.host_details `username` in the lab
    # database; null: no such row), the users the host has besides its system ones, and its
    # /etc/sudoers (null: Debian's file with the two lines of [CSC-WIKI], lab/parts/kvm_host.py).
    "ssh_user": f(Optional(Str()), "cloudstack"),
    "local_users": f(ListOf(Str()), lambda: ["cloudstack"]),
    "sudoers": f(Optional(Str())),
    # CLUSTER-HOMOGENEOUS: listHosts details Host.OS and Host.OS.Version, as the agent reports them
    # when it connects (null: the detail is not listed)
    "host_os": f(Optional(Str()), "Debian"),
    "host_os_version": f(Optional(Str()), "12"),
})

XENSERVER_HOST = Record({
    **HOST_COMMON,
    "installation_uuid": f(Optional(Str())),
    "symlinks": f(MapOf(Str()), dict),  # path -> target, as `ln -s target path` (chkconfig's rc links)
    "control_domain_uuid": f(Optional(Str())),
    "name_label": f(Optional(Str())),   # null: equals the hostname
    "enabled": f(Bool(), True),
    "live": f(Bool(), True),
    # host.software_version's product (null: the key is absent). XS-POOL-HA-LICENSED applies to pools
    # with a member on XenServer before 6.2: by default every pool is one, licensed (below), so the
    # check runs, and passes, wherever a scenario has a pool.
    "product_brand": f(Optional(Str()), "XenServer"),
    "product_version": f(Optional(Str()), "6.1.0"),
    # host.license_params: enable_xha as sent (null: no key); expiry `never` (null) or this many days
    # from the lab's start (negative: expired)
    "enable_xha": f(Optional(Str()), "true"),
    "licence_expiry_days": f(Optional(Int()), None),
    # XS-POOL-CS-MEMBERSHIP: listed false, a pool member CloudStack does not list. xapi_pool, the pool
    # the host's XAPI is a member of: null, its cluster's; "own", a pool of its own (a host that left its
    # pool); or another XenServer cluster's name, that cluster's pool (one cluster's hosts in two pools)
    "listed": f(Bool(), True),
    "xapi_pool": f(Optional(Str())),
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
    # SVM-SSVM-MTU: XAPI networks by name label, each with its MTU and a PIF (eth1) on every member,
    # at the network's MTU unless pif_mtus names the host
    "networks": f(MapOf(Record({"mtu": f(Int(68), 1500), "pif_mtus": f(MapOf(Int(68)), dict)})), dict),
})

CLUSTER = Record({
    "name": f(Str(), REQUIRED),
    "hypervisor": f(Enum("KVM", "XenServer"), REQUIRED),
    "hosts": f(ListOf(Mapping()), REQUIRED),   # checked per hypervisor in _check_cluster
    "pool": f(POOL, dict),
    # the type listStoragePools gives the cluster's primary pool (CloudStack's Storage.StoragePoolType)
    "primary_storage_type": f(Enum("NetworkFilesystem", "RBD"), "NetworkFilesystem"),
    # CLOUD-ALLOCATION-ENABLED: listClusters allocationstate (Grouping.AllocationState) and managedstate
    # (Managed.ManagedState)
    "allocationstate": f(Enum("Enabled", "Disabled"), "Enabled"),
    # CLOUD-ZONE-RESOURCES: the state of the cluster's primary pool (CloudStack's StoragePoolStatus)
    "primary_storage_state": f(Enum("Up", "Initial", "Initialized", "Creating", "Attaching", "PrepareForMaintenance",
                                    "ErrorInMaintenance", "CancelMaintenance", "Maintenance", "Disabled", "Removed"),
                               "Up"),
    "managedstate": f(Enum("Managed", "PrepareUnmanaged", "Unmanaged", "PrepareUnmanagedError"), "Managed"),
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
    # a secondary storage VM's boot line (/var/cache/cloud/cmdline): words over the ones the lab
    # writes as SecondaryStorageManagerImpl does (mtu= from secstorage.vm.mtu.size, vmpassword=, no
    # storageip=); null removes a word
    "boot_args": f(KEY_OVERRIDES, dict),
    # its eth3's MTU; null: the boot line's mtu= where it has storageip= (no eth3 without one); 0: no eth3
    "eth3_mtu": f(Optional(Int(0))),
    # a router's owner, as tenants name them (listRouters' account, guestnetworkname, networkdomain;
    # the account is listed by listAccounts too): null is the system account
    "owner": f(Optional(Record({"account": f(Str(), REQUIRED), "network": f(Str(), ""),
                                "network_domain": f(Str(), "")}))),
    "serves": f(SERVES),                                  # a router's network or VPC
    "redundant_state": f(REDUNDANT_STATE, "UNKNOWN"),     # listRouters redundantstate
})

ZONE = Record({
    "name": f(Str(), REQUIRED),
    "allocationstate": f(Enum("Enabled", "Disabled"), "Enabled"),
    "pods": f(ListOf(Record({"name": f(Str(), REQUIRED), "clusters": f(ListOf(CLUSTER), REQUIRED),
                             "allocationstate": f(Enum("Enabled", "Disabled"), "Enabled")})), REQUIRED),
    "system_vms": f(ListOf(SYSTEM_VM), list),
    # CLOUD-ZONE-RESOURCES: listImageStores `readonly` of the zone's one image store; null: no such
    # field, as before read-only stores (apache/cloudstack pull request 4053)
    "image_store_readonly": f(Optional(Bool()), False),
    # KVM-BRIDGES: the zone's physical network and the KVM label of each traffic type on it
    # (listTrafficTypes kvmnetworklabel); null: no label, so the agent's default bridge
    "traffic_labels": f(MapOf(Optional(Str())), lambda: dict(DEFAULT_TRAFFIC_LABELS)),
    # the XenServer label of a traffic type named in traffic_labels (listTrafficTypes xennetworklabel)
    "xen_traffic_labels": f(MapOf(Str()), dict),
    "networks": f(ListOf(NETWORK), list),
    "vpcs": f(ListOf(VPC), list),
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
    # MS-ADMIN-DEFAULT-PASSWORD: cloud.user id 2's stored password verbatim (null: PBKDF2 of a random
    # string), its state, whether it is removed, and whether the audit user may read cloud.user
    "admin_password": f(Optional(Str())),
    "admin_state": f(Enum("enabled", "disabled", "locked"), "enabled"),
    "admin_removed": f(Bool(), False),
    "audit_reads_users": f(Bool(), True),
    # more CloudStack users (ids from 3), each the only user of an account of its own: a root admin's
    # (type 1) or a user's (type 0); stored password verbatim (null: PBKDF2 of a random string)
    "cloud_users": f(ListOf(Record({"name": f(Str(), REQUIRED), "password": f(Optional(Str())),
                                    "root_admin": f(Bool(), True), "removed": f(Bool(), False)})), list),
    # DB-VIP-SINGLE-HOLDER: whether keepalived has put the pair's VIP on this server (null: the first
    # server holds it); the management servers that hold a session of `cloud` open to it; whether the
    # audit user has PROCESS (sees other users' sessions). keepalived's unit state is in `units`.
    "holds_vip": f(Optional(Bool())),
    "cloud_sessions": f(ListOf(Str()), list),
    "audit_sees_sessions": f(Bool(), True),
})

LDAP = Record({
    "domain": f(Str(), "ROOT"),
    "hostname": f(Str(), "ldap.lab.example"),
    "port": f(Int(1), 636),
    "truststore": f(Str(), "/etc/cloudstack/management/ldap-truststore.jks"),
    "truststore_password": f(Str(), "set"),   # any non-empty value: the setting is set
    # MS-LDAP-ATTRIBUTES: the domain's own ldap.basedn and bind account ("": empty), and other ldap.*
    # settings at its scope (the rest keep CloudStack's defaults)
    "basedn": f(Str(), "dc=lab,dc=example"),
    "bind_principal": f(Str(), "cn=cloudstack,ou=services,dc=lab,dc=example"),
    "bind_password": f(Str(), "set"),
    "settings": f(MapOf(Str()), dict),
})

# MS-LDAP-DOMAIN-LINK: users besides admin and system (listUsers), each in a domain, by its source
USER = Record({
    "name": f(Str(), REQUIRED),
    "domain": f(Str(), "ROOT"),
    "source": f(Enum("native", "ldap", "saml2"), "native"),
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
    # MS-CONFIG-ACTIVE: settings listConfigurations marks isdynamic false; the cloud's events
    "static_settings": f(ListOf(Str()), list),
    "events": f(ListOf(EVENT), list),
    "system_offerings": f(ListOf(SYSTEM_OFFERING), list),
    "ldap": f(ListOf(LDAP), lambda: [{}]),
    "kubernetes_clusters": f(ListOf(KUBERNETES_CLUSTER), list),
    "system_templates": f(ListOf(SYSTEM_TEMPLATE), list),
    "stopped_vms": f(ListOf(STOPPED_VM), list),
    "users": f(ListOf(USER), list),
    # the admin user's keys in listAccounts' `user` rows, as CloudStack before 4.16 answered (secrets canary)
    "admin_user_keys": f(Optional(Record({"apikey": f(Str(), REQUIRED), "secretkey": f(Str(), REQUIRED)}))),
    "zones": f(ListOf(ZONE), REQUIRED),
    "databases": f(ListOf(DATABASE), lambda: [{"name": "db1"}, {"name": "db2"}]),
    "management_servers": f(ListOf(MANAGEMENT_SERVER), lambda: [{"name": "ms1"}, {"name": "ms2"}]),
    "tls_frontends": f(ListOf(TLS_FRONTEND), list),
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
    xen_clusters = {c["name"] for z in scenario["zones"] for p in z["pods"] for c in p["clusters"]
                    if c["hypervisor"] == "XenServer"}
    for zi, zone in enumerate(scenario["zones"]):
        hosts = set()
        for pi, pod in enumerate(zone["pods"]):
            for ci, cluster in enumerate(pod["clusters"]):
                for hi, host in enumerate(cluster["hosts"]):
                    claim(host["name"], f"zones[{zi}].pods[{pi}].clusters[{ci}].hosts[{hi}]")
                    if host.get("xapi_pool") not in (None, "own", *xen_clusters):
                        raise SchemaError(f"{source}: zones[{zi}].pods[{pi}].clusters[{ci}].hosts[{hi}].xapi_pool: "
                                          f"{host['xapi_pool']!r}; expected own or a XenServer cluster's name")
                    hosts.add(host["name"])
                master = cluster["pool"]["master"]
                if master is not None and master not in {h["name"] for h in cluster["hosts"]}:
                    raise SchemaError(f"{source}: zones[{zi}].pods[{pi}].clusters[{ci}].pool.master: "
                                        f"{master!r} is not a host of this cluster")
                if not any(h.get("listed", True) and h.get("xapi_pool") is None for h in cluster["hosts"]):
                    raise SchemaError(f"{source}: zones[{zi}].pods[{pi}].clusters[{ci}].hosts: none is both "
                                      "listed and in its cluster's pool; expected at least one")
        check_served(zone, zi, source)
        for si, svm in enumerate(zone["system_vms"]):
            claim(svm["name"], f"zones[{zi}].system_vms[{si}]")
            if svm["host"] not in hosts:
                raise SchemaError(f"{source}: zones[{zi}].system_vms[{si}].host: {svm['host']!r} is not "
                                    f"a host of zone {zone['name']!r}; expected one of {', '.join(sorted(hosts))}")
            if svm["service_offering"] is not None and svm["service_offering"] not in offerings:
                raise SchemaError(f"{source}: zones[{zi}].system_vms[{si}].service_offering: "
                                  f"{svm['service_offering']!r} is not one of system_offerings' names")
    for section in ("databases", "management_servers", "tls_frontends"):
        for i, machine in enumerate(scenario[section]):
            claim(machine["name"], f"{section}[{i}]")
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
