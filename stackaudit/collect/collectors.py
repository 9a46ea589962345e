"""Collectors: gather a target's raw facts in as few remote round trips as possible.

An SSH target's commands run as ONE batched exec (a connection costs 0.1-0.6 s and every further
exec 0.13-0.3 s, almost all of it on the remote side); a pool's records come from one XAPI session;
a database's from one connection; the cloud's settings from the API. Each part of a target's facts
is collected on its own: a database whose SSH is refused still has its SQL facts. Text is redacted
before it leaves this module.

Raw facts are JSON: {"ssh": {"sections": {name: {exit_code, stdout, stderr}}}, "xapi": {"records"},
"sql": {"queries"}, "api": {...}}; a part that could not be collected is {"error": {type, message}}.
"""
from __future__ import annotations

import functools
import secrets
from dataclasses import asdict
from pathlib import Path

from stackaudit.errors import CollectionFailed, TargetError, Unreachable, error_record, raise_if_error
from stackaudit.collect.hostkeys import PIN_FILE_NAME, PinnedHostKeys, PinningPolicy
from stackaudit.parsers.dpkg import DPKG_QUERY_FORMAT
from stackaudit.parsers.files import EPOCH_COMMAND, STAT_FORMAT
from stackaudit.parsers.mycnf import CNF_FILES_COMMAND
from stackaudit.parsers.mysql import parse_server_version
from stackaudit.parsers.net import LISTEN_COMMAND
from stackaudit.parsers.procs import PS_COMMAND, STALE_LIBRARY_COMMAND
from stackaudit.collect.batch import build_batch_script, parse_sections
from stackaudit.parsers.units import SOCKET_UNITS_COMMAND
from stackaudit.config.redact import redact_config_rows, redact_mapping, redact_text
from stackaudit.discovery.targets import SYSTEM_VM_KINDS, Target
from stackaudit.collect.transports import cloudstack, mysql, ssh, xapi

FIREWALL_COMMANDS = {
    "os_release": "cat /etc/os-release",
    "iptables_save": "iptables-save",
    "ip6tables_save": "ip6tables-save",
    "rules_v4": "cat /etc/iptables/rules.v4",
    "rules_v6": "cat /etc/iptables/rules.v6",
    "sysconfig_iptables": "cat /etc/sysconfig/iptables",
    "sysconfig_ip6tables": "cat /etc/sysconfig/ip6tables",
    "boot_units": "ls -1 /etc/systemd/system/multi-user.target.wants",
}
SYSTEM_VM_COMMANDS = {
    "os_release": "cat /etc/os-release",
    "debian_version": "cat /etc/debian_version",
    "packages": f"dpkg-query -W -f='{DPKG_QUERY_FORMAT}' openssl 'libssl*'",
    "stale_libraries": STALE_LIBRARY_COMMAND,
    "cloudstack_release": "cat /etc/cloudstack-release",
}
SSH_COMMANDS = {
    "kvm-host": {**FIREWALL_COMMANDS,
                 "agent_properties": "cat /etc/cloudstack/agent/agent.properties",
                 "libvirtd_conf": "cat /etc/libvirt/libvirtd.conf",
                 "libvirtd_default": "cat /etc/default/libvirtd",
                 "libvirtd_sysconfig": "cat /etc/sysconfig/libvirtd",
                 "socket_units": SOCKET_UNITS_COMMAND,
                 "processes": PS_COMMAND},
    "xs-host": {**FIREWALL_COMMANDS, "xensource_inventory": "cat /etc/xensource-inventory"},
    "mgmt": {**FIREWALL_COMMANDS,
             "db_properties": "cat /etc/cloudstack/management/db.properties",
             # what `localhost`-like names and its own addresses mean on it (MS-DB-HOST-NOT-LOCAL)
             "hostname": "hostname",
             "etc_hostname": "cat /etc/hostname",
             "etc_hosts": "cat /etc/hosts",
             "ip_addresses": "ip -o addr show",
             "processes": PS_COMMAND},
    "db": {"cnf_files": CNF_FILES_COMMAND, "listening": LISTEN_COMMAND},
    **{kind: SYSTEM_VM_COMMANDS for kind in SYSTEM_VM_KINDS},
}
XAPI_CLASSES = ("pool", "host", "host_metrics", "VM", "SR", "PBD", "VDI")
SQL_QUERIES = {
    # First: "replicas" is then asked in the statement this server's version has (parsers/mysql.py).
    "server_version": "SELECT @@version AS version, @@version_comment AS version_comment",
    "variables": "SHOW GLOBAL VARIABLES WHERE Variable_name IN ('log_bin', 'binlog_format', 'server_id', "
                 "'auto_increment_increment', 'auto_increment_offset', 'bind_address', 'version', "
                 "'innodb_rollback_on_timeout', 'innodb_lock_wait_timeout', 'max_connections', 'time_zone', "
                 "'skip_name_resolve', 'port')",
    "schema_versions": "SELECT id, version, step FROM cloud.version ORDER BY id",
}
SCOPES = {"zone": "zoneid", "cluster": "clusterid", "account": "accountid", "domain": "domainid"}


class Collector:
    def __init__(self, inventory, policy, snapshot, reports_dir: Path = Path("reports")):
        self.inventory = inventory
        self.policy = policy
        self.snapshot = snapshot
        self._ssh_key = None
        self.host_key_pins = PinnedHostKeys(reports_dir / PIN_FILE_NAME)

    def collect(self, target: Target) -> dict:
        parts = {}
        if target.kind in SSH_COMMANDS:
            parts["ssh"] = guarded(self.collect_ssh, target)
        if target.kind == "xs-pool":
            parts["xapi"] = guarded(self.collect_pool, target)
        if target.kind == "db":
            parts["sql"] = guarded(self.collect_database, target)
        if target.kind == "cloud":
            parts["api"] = guarded(self.collect_cloud_settings, target)
        return parts

    def commands(self, target: Target) -> dict[str, str]:
        commands = dict(SSH_COMMANDS[target.kind])
        globs = self.policy.backups.locations.get(target.kind, ())
        if globs:
            commands["backups"] = backup_listing_command(globs)
            commands["clock"] = EPOCH_COMMAND
        return commands

    # --- SSH ---------------------------------------------------------------------------------
    def ssh_key(self):
        if self._ssh_key is None:
            self._ssh_key = ssh.load_private_key(self.inventory.ssh.private_key)
        return self._ssh_key

    def connect_ssh(self, address: str | None, label: str):
        settings = self.inventory.ssh
        if not address:
            raise Unreachable(f"{label}: no SSH address (not in the API, not in the inventory)")
        return ssh.connect(address, settings.port, settings.user, self.ssh_key(), settings.known_hosts,
                           settings.connect_timeout, label=label, command_timeout=settings.command_timeout)

    def collect_ssh(self, target: Target) -> dict:
        if target.kind not in SYSTEM_VM_KINDS:
            address = target.attrs.get("ssh_address", target.address) if target.kind == "db" else target.address
            host = self.connect_ssh(address, target.id)
            try:
                return run_batch(host, self.commands(target), target.id)
            finally:
                host.backend.close()
        hop_name, hop_address, vm_address, key_path = self.system_vm_route(target)
        hop = self.connect_ssh(hop_address, hop_name)
        try:
            if not vm_address:
                raise Unreachable(f"{target.id}: the API gives no address to reach it from {hop_name}")
            settings = self.inventory.ssh
            pinning = self.system_vm_key_policy(target)
            vm = ssh.connect_through(hop, vm_address, self.inventory.system_vms.port, "root", key_path,
                                     settings.known_hosts, settings.connect_timeout,
                                     label=f"{target.id} via {hop_name}", command_timeout=settings.command_timeout,
                                     host_key_policy=pinning)
            try:
                facts = run_batch(vm, self.commands(target), target.id)
            finally:
                vm.backend.close()
            if pinning is not None:
                facts["host_key"] = pinning.note
            return facts
        finally:
            hop.backend.close()

    def system_vm_key_policy(self, target: Target) -> PinningPolicy | None:
        """Pinned by CloudStack id (the default), or None: checked against known_hosts by address."""
        if self.inventory.system_vms.host_keys == "known_hosts":
            return None
        vm_id = target.attrs["id"]
        row = next((r for r in self.snapshot.api.get("listSystemVms", []) + self.snapshot.api.get("listRouters", [])
                    if r.get("id") == vm_id), {})
        template = row.get("templatename") or row.get("templateid")
        return PinningPolicy(functools.partial(self.host_key_pins.verify, vm_id, target.id, template))

    def system_vm_route(self, target: Target) -> tuple[str, str | None, str | None, str]:
        """(hop label, hop address, VM address, key path on the hop) for a system VM.

        XenServer and KVM: from the host it runs on, to its link-local address; VMware: from a
        management server, to its private address, with the cloud user's key ([CS-DOCS-SYSTEMVM]).
        """
        access = self.inventory.system_vms
        if target.attrs.get("hypervisor") == "VMware":
            jump = access.vmware_jump_host
            if jump is None:
                raise Unreachable(f"{target.id}: a VMware system VM is reached through a management server; "
                                  "set system_vms.vmware_jump_host in the inventory")
            address = next(m.ssh_address for m in self.inventory.management_servers if m.name == jump)
            return f"management server {jump}", address, target.attrs.get("privateip"), access.key_on_jump_host
        return (f"host {target.attrs.get('host')}", target.attrs.get("host_address"), target.address,
                access.key_on_host)

    # --- XAPI --------------------------------------------------------------------------------
    def collect_pool(self, target: Target) -> dict:
        settings = self.inventory.xenserver
        if settings is None or not target.address:
            raise Unreachable(f"{target.id}: {target.attrs.get('reason', 'no reachable pool master')}")
        session = xapi.login(target.address, settings.port, settings.username, settings.password.read(),
                             settings.ca_file, settings.timeout)
        try:
            records = {cls: redact_mapping(xapi.call(session, target.address, f"{cls}.get_all_records"))
                       for cls in XAPI_CLASSES}
        finally:
            xapi.logout(session)
        return {"master_address": target.address, "records": records}

    # --- SQL ---------------------------------------------------------------------------------
    def collect_database(self, target: Target) -> dict:
        settings = self.inventory.databases
        conn = mysql.connect(target.address, target.attrs.get("port", 3306), settings.user, settings.password.read(),
                             self.inventory.ssh.connect_timeout)
        try:
            queries = {name: mysql.query_or_error(conn, target.id, sql) for name, sql in SQL_QUERIES.items()}
            version = queries["server_version"]
            try:
                raise_if_error(version)
                statement = parse_server_version(version["rows"]).replica_status_statement
            except TargetError as err:
                queries["replicas"] = error_record(CollectionFailed(
                    f"{target.id}: replication status not read: the server's version is unknown ({err})"))
            else:
                queries["replicas"] = {**mysql.query_or_error(conn, target.id, statement), "statement": statement}
            return {"queries": queries}
        finally:
            conn.close()

    # --- CloudStack API ----------------------------------------------------------------------
    def collect_cloud_settings(self, target: Target) -> dict:
        """Global settings, each scope's own values, LDAP configurations, domains and accounts."""
        settings = self.inventory.api
        api = cloudstack.client(settings.endpoint, settings.key.read(), settings.secret.read(), settings.verify,
                                self.inventory.ssh.connect_timeout)
        domains = redact_mapping(cloudstack.list_all(api, "listDomains", listall="true"))
        accounts = redact_mapping(cloudstack.list_all(api, "listAccounts", listall="true"))
        scope_objects = {"zone": self.snapshot.api.get("listZones", []),
                         "cluster": self.snapshot.api.get("listClusters", []), "account": accounts,
                         "domain": domains}
        scoped = {scope: {obj["id"]: {"name": obj.get("name"), "settings": redact_config_rows(
                      cloudstack.list_all(api, "listConfigurations", **{SCOPES[scope]: obj["id"]}))}
                          for obj in objects} for scope, objects in scope_objects.items()}
        return {"configurations": redact_config_rows(cloudstack.list_all(api, "listConfigurations")),
                "scoped": scoped,
                "ldap": redact_mapping(cloudstack.list_all(api, "listLdapConfigurations", listall="true")),
                "domains": domains, "accounts": accounts}


def guarded(collect, target: Target) -> dict:
    """One part of a target's facts, or the reason it could not be collected."""
    try:
        return collect(target)
    except TargetError as err:
        return error_record(err)


def backup_listing_command(globs: tuple[str, ...]) -> str:
    """`stat` of every file matching the policy's globs (validated: absolute, no shell syntax)."""
    # -L: a "latest" symlink is judged by the dump it points to, not by when the link was made
    return " ".join(["for f in", *globs, f'; do [ -e "$f" ] && stat -L -c \'{STAT_FORMAT}\' "$f"; done; true'])


def run_batch(host, commands: dict[str, str], label: str) -> dict:
    token = secrets.token_hex(8)
    result = host.run("/bin/sh -c %s", build_batch_script(commands, token))
    if result.rc == 255 or not result.stdout:
        raise_collection_failed(label, result)
    sections = parse_sections(result.stdout, token)
    return {"sections": {name: {**asdict(section), "stdout": redact_text(section.stdout),
                                "stderr": redact_text(section.stderr)} for name, section in sections.items()}}


def raise_collection_failed(label: str, result) -> None:
    raise CollectionFailed(f"{label}: the batched commands did not run (exit {result.rc}): "
                           f"{redact_text(result.stderr.strip())[:200]}")
