"""Collectors: gather a target's raw facts in as few remote round trips as possible.

An SSH target's commands run as ONE batched exec (a connection costs 0.1-0.6 s and every further
exec 0.13-0.3 s, almost all of it on the remote side); a pool's records come from one XAPI session;
a database's from one connection. Output is redacted before it leaves this module. Raw facts are
JSON: {"sections": {name: {"exit_code", "stdout", "stderr"}}} for SSH, {"records": ...} for XAPI,
{"queries": ...} for SQL.
"""
from __future__ import annotations

import secrets
from dataclasses import asdict

from stackaudit.errors import CollectionFailed, Unreachable
from stackaudit.parsers.dpkg import DPKG_QUERY_FORMAT
from stackaudit.parsers.sections import build_batch_script, parse_sections
from stackaudit.redact import redact_text
from stackaudit.targets import SYSTEM_VM_KINDS, Target
from stackaudit.transports import mysql, ssh, xapi

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
SSH_COMMANDS = {
    "kvm-host": FIREWALL_COMMANDS,
    "xs-host": FIREWALL_COMMANDS,
    "mgmt": FIREWALL_COMMANDS,
    "ssvm": {
        "os_release": "cat /etc/os-release",
        "debian_version": "cat /etc/debian_version",
        "packages": f"dpkg-query -W -f='{DPKG_QUERY_FORMAT}' openssl 'libssl*'",
    },
}
for _kind in SYSTEM_VM_KINDS:
    SSH_COMMANDS[_kind] = SSH_COMMANDS["ssvm"]
XAPI_CLASSES = ("pool", "host", "host_metrics", "VM", "SR", "PBD", "VDI")
SQL_QUERIES = {
    "variables": "SHOW GLOBAL VARIABLES WHERE Variable_name IN ('log_bin', 'binlog_format', 'server_id', "
                 "'auto_increment_increment', 'auto_increment_offset', 'bind_address', 'version')",
}


class Collector:
    def __init__(self, inventory):
        self.inventory = inventory
        self._ssh_key = None

    def collect(self, target: Target) -> dict:
        if target.kind in SSH_COMMANDS:
            return self.collect_ssh(target)
        if target.kind == "xs-pool":
            return self.collect_pool(target)
        if target.kind == "db":
            return self.collect_database(target)
        return {}

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
            host = self.connect_ssh(target.address, target.id)
            try:
                return run_batch(host, SSH_COMMANDS[target.kind], target.id)
            finally:
                host.backend.close()
        hop_name, hop_address, vm_address, key_path = self.system_vm_route(target)
        hop = self.connect_ssh(hop_address, hop_name)
        try:
            if not vm_address:
                raise Unreachable(f"{target.id}: the API gives no address to reach it from {hop_name}")
            settings = self.inventory.ssh
            vm = ssh.connect_through(hop, vm_address, self.inventory.system_vms.port, "root", key_path,
                                     settings.known_hosts, settings.connect_timeout,
                                     label=f"{target.id} via {hop_name}", command_timeout=settings.command_timeout)
            try:
                return run_batch(vm, SSH_COMMANDS[target.kind], target.id)
            finally:
                vm.backend.close()
        finally:
            hop.backend.close()

    def system_vm_route(self, target: Target) -> tuple[str, str | None, str | None, str]:
        """(hop label, hop address, VM address, key path on the hop) for a system VM.

        XenServer and KVM: from the host it runs on, to its link-local address; VMware: from a
        management server, to its private address, with the cloud user's key (interfaces.md §5).
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
            records = {cls: xapi.call(session, target.address, f"{cls}.get_all_records") for cls in XAPI_CLASSES}
        finally:
            xapi.logout(session)
        return {"master_address": target.address, "records": records}

    # --- SQL ---------------------------------------------------------------------------------
    def collect_database(self, target: Target) -> dict:
        settings = self.inventory.databases
        conn = mysql.connect(target.address, target.attrs.get("port", 3306), settings.user, settings.password.read(),
                             self.inventory.ssh.connect_timeout)
        try:
            return {"queries": {name: [{k: _jsonable(v) for k, v in row.items()} for row in
                                       mysql.query(conn, target.id, sql)] for name, sql in SQL_QUERIES.items()}}
        finally:
            conn.close()


def run_batch(host, commands: dict[str, str], label: str) -> dict:
    token = secrets.token_hex(8)
    result = host.run("/bin/sh -c %s", build_batch_script(commands, token))
    if result.rc == 255 or not result.stdout:
        raise CollectionFailed(f"{label}: the batched commands did not run (exit {result.rc}): "
                               f"{redact_text(result.stderr.strip())[:200]}")
    sections = parse_sections(result.stdout, token)
    return {"sections": {name: {**asdict(section), "stdout": redact_text(section.stdout),
                                "stderr": redact_text(section.stderr)} for name, section in sections.items()}}


def _jsonable(value):
    if isinstance(value, bytes):
        return value.decode(errors="replace")
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)
