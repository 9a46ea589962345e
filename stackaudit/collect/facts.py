"""What a check sees of its target: parsed facts, each attached as evidence when the check reads it.

A check never touches commands or raw output; it asks `target.facts.<fact>`. Reading a fact
attaches the raw text or record it was parsed from to the result (Allure attachment), so every
result carries what it was judged on. Secrets were removed at collection. A group check (the
cloud, a pool) reads its members' facts through `facts.of(member)`: collected once per run, shared
by every worker through the fact store.
"""
from __future__ import annotations

import json
from functools import cached_property

import allure

from stackaudit.errors import CollectionFailed, TargetError, UnparsableOutput, raise_if_error
from stackaudit.parsers.dpkg import parse_dpkg_query
from stackaudit.parsers.files import parse_epoch, parse_stat_lines
from stackaudit.parsers.iptables import parse_iptables_save
from stackaudit.parsers.libvirt import parse_libvirtd_conf
from stackaudit.parsers.localnames import OwnNames, parse_etc_hosts, parse_hostname, parse_ip_addresses
from stackaudit.parsers.mycnf import mysqld_options, parse_tail_files
from stackaudit.parsers.mysql import parse_global_variables, parse_replica_status, parse_server_version
from stackaudit.parsers.net import parse_ss_listening
from stackaudit.parsers.osinfo import parse_debian_version, parse_os_release
from stackaudit.parsers.procs import parse_ps, parse_stale_mappings
from stackaudit.parsers.properties import parse_environment_file, parse_java_properties, parse_shell_assignments
from stackaudit.parsers.cloudstack import parse_cloudstack_release
from stackaudit.parsers.units import parse_socket_units
from stackaudit.parsers.xapi import parse_pool_ha
from stackaudit.discovery.targets import Target

PERSISTED_PATHS = {("debian", 4): "/etc/iptables/rules.v4", ("debian", 6): "/etc/iptables/rules.v6",
                   ("rhel", 4): "/etc/sysconfig/iptables", ("rhel", 6): "/etc/sysconfig/ip6tables"}
PERSISTED_SECTIONS = {"/etc/iptables/rules.v4": "rules_v4", "/etc/iptables/rules.v6": "rules_v6",
                      "/etc/sysconfig/iptables": "sysconfig_iptables", "/etc/sysconfig/ip6tables": "sysconfig_ip6tables"}
BOOT_UNITS = {("debian", 4): "netfilter-persistent.service", ("debian", 6): "netfilter-persistent.service",
              ("rhel", 4): "iptables.service", ("rhel", 6): "ip6tables.service"}
MYCNF_ROOTS = ("/etc/mysql/my.cnf", "/etc/my.cnf")


class Firewall:
    def __init__(self, family, running, persisted_path, persisted, boot_unit, loaded_at_boot, persisted_error=None):
        self.family, self.running, self.persisted_path = family, running, persisted_path
        self.persisted, self.boot_unit, self.loaded_at_boot = persisted, boot_unit, loaded_at_boot
        self.persisted_error = persisted_error   # why iptables-restore would refuse the file, if it would


class Facts:
    def __init__(self, target: Target, store, snapshot=None, evidence_prefix: str = ""):
        self.target = target
        self.snapshot = snapshot
        self._store = store
        self._prefix = evidence_prefix
        self._attached: set[str] = set()

    def of(self, member: Target) -> "Facts":
        """Another target's facts, attached as evidence under its id."""
        return Facts(member, self._store, self.snapshot, f"{member.id}: ")

    def attach(self, name: str, content, as_json: bool = False) -> None:
        name = self._prefix + name
        if name in self._attached:
            return
        self._attached.add(name)
        if as_json:
            allure.attach(json.dumps(content, indent=1, sort_keys=True, default=str), name,
                          allure.attachment_type.JSON)
        else:
            allure.attach(content, name, allure.attachment_type.TEXT)

    def part(self, name: str) -> dict:
        """One part of the raw facts (ssh, xapi, sql, api); raises the error its collection ended in."""
        data = self._store.raw(self.target).get(name)
        if data is None:
            raise CollectionFailed(f"{self.target.id}: no {name} facts are collected for a {self.target.kind}")
        raise_if_error(data)
        if data.get("host_key"):
            # A system VM's key, pinned by its CloudStack id: every result judged on it says how.
            self.attach("host key", data["host_key"])
        return data

    # --- SSH sections ----------------------------------------------------------------------
    def section(self, name: str, allow_missing_file: bool = False, ok_exit_codes: tuple = (0,)) -> str | None:
        """A command's output; None for a file that does not exist (when allowed); else broken."""
        section = self.part("ssh")["sections"].get(name)
        if section is None:
            raise CollectionFailed(f"{self.target.id}: no output for {name}")
        if section["exit_code"] not in ok_exit_codes:
            if allow_missing_file and "No such file" in section["stderr"]:
                self.attach(name, f"(absent) {section['stderr'].strip()}")
                return None
            raise CollectionFailed(f"{self.target.id}: {name} exited {section['exit_code']}: "
                                   f"{section['stderr'].strip()[:200]}")
        self.attach(name, section["stdout"])
        return section["stdout"]

    @property
    def os_family(self) -> str:
        os_release = parse_os_release(self.section("os_release"))
        ids = {os_release.get("ID", "")} | set(os_release.get("ID_LIKE", "").split())
        return "rhel" if ids & {"rhel", "centos", "fedora", "xenenterprise"} else "debian"

    def firewall(self, family: int) -> Firewall:
        os_family = self.os_family
        running = parse_iptables_save(self.section("iptables_save" if family == 4 else "ip6tables_save"))
        path = PERSISTED_PATHS[(os_family, family)]
        text = self.section(PERSISTED_SECTIONS[path], allow_missing_file=True)
        units = self.section("boot_units", allow_missing_file=True) or ""
        unit = BOOT_UNITS[(os_family, family)]
        persisted, refused = None, None
        if text is not None:
            # The file is read as iptables-restore reads it at boot: what it refuses is a finding.
            try:
                persisted = parse_iptables_save(text, path)
            except UnparsableOutput as err:
                refused = str(err).removeprefix(path + ": ").removeprefix(path + " ")   # the path is named once
        return Firewall(family, running, path, persisted, unit, unit in units.split(), refused)

    def config_file(self, section: str, path: str, parser):
        """A configuration file's parsed content; None when the file does not exist."""
        text = self.section(section, allow_missing_file=True)
        return None if text is None else parser(text, path)

    @property
    def agent_properties(self) -> dict[str, str] | None:
        return self.config_file("agent_properties", "/etc/cloudstack/agent/agent.properties", parse_java_properties)

    @property
    def db_properties(self) -> dict[str, str] | None:
        return self.config_file("db_properties", "/etc/cloudstack/management/db.properties", parse_java_properties)

    @property
    def own_names(self) -> OwnNames:
        """This server's host names, its interfaces' addresses and /etc/hosts."""
        names = {parse_hostname(self.section("hostname"), "hostname")}
        etc_hostname = self.section("etc_hostname", allow_missing_file=True)
        if etc_hostname is not None:
            names.add(parse_hostname(etc_hostname, "/etc/hostname"))
        hosts_file = self.section("etc_hosts", allow_missing_file=True) or ""
        addresses = frozenset(address for _, address in parse_ip_addresses(self.section("ip_addresses")))
        return OwnNames(frozenset(names), addresses, tuple(parse_etc_hosts(hosts_file)))

    @property
    def xensource_inventory(self) -> dict[str, str] | None:
        return self.config_file("xensource_inventory", "/etc/xensource-inventory", parse_shell_assignments)

    @property
    def libvirtd_conf(self) -> dict | None:
        text = self.section("libvirtd_conf", allow_missing_file=True)
        return None if text is None else parse_libvirtd_conf(text)

    @property
    def libvirtd_defaults(self) -> tuple[str, dict[str, str]] | None:
        """(path, assignments) of the distribution's libvirtd defaults file, read as systemd reads
        libvirtd.service's EnvironmentFile= (not as a shell would source it)."""
        for section, path in (("libvirtd_default", "/etc/default/libvirtd"),
                              ("libvirtd_sysconfig", "/etc/sysconfig/libvirtd")):
            values = self.config_file(section, path, parse_environment_file)
            if values is not None:
                return path, values
        return None

    @property
    def socket_units(self):
        return parse_socket_units(self.section("socket_units"))

    @property
    def processes(self):
        return parse_ps(self.section("processes"))

    # --- system VMs --------------------------------------------------------------------------
    @property
    def debian_release(self):
        return parse_debian_version(self.section("debian_version"))

    @property
    def packages(self) -> dict:
        # dpkg-query exits 1 when one of its patterns matches nothing; the rest is still listed.
        return parse_dpkg_query(self.section("packages", ok_exit_codes=(0, 1)))

    @property
    def stale_mappings(self):
        return parse_stale_mappings(self.section("stale_libraries"))

    @property
    def cloudstack_release(self) -> str | None:
        text = self.section("cloudstack_release", allow_missing_file=True)
        return None if text is None else parse_cloudstack_release(text)

    # --- database servers --------------------------------------------------------------------
    @cached_property
    def mysqld_options(self):
        files = parse_tail_files(self.section("cnf_files"))
        root = next((r for r in MYCNF_ROOTS if r in files), None)
        if root is None:
            raise CollectionFailed(f"{self.target.id}: neither {' nor '.join(MYCNF_ROOTS)} exists")
        return mysqld_options(files, root, self.server_group_version)

    @property
    def server_group_version(self) -> str | None:
        """"10.11" for [mariadb-10.11]: the only version group the running server reads; None (every
        version group counts) when its version could not be read."""
        try:
            numbers = parse_server_version(self.sql("server_version")).numbers
        except TargetError:
            return None
        return f"{numbers[0]}.{numbers[1]}"

    @property
    def listeners(self):
        return parse_ss_listening(self.section("listening"))

    def sql(self, name: str) -> list[dict]:
        result = self.part("sql")["queries"][name]
        raise_if_error(result)
        self.attach(f"SQL {name}", result["rows"], as_json=True)
        return result["rows"]

    @property
    def variables(self) -> dict[str, str]:
        return parse_global_variables(self.sql("variables"))

    @property
    def replica_channels(self):
        """Replication status, asked in the statement the server's version calls for (collectors.py)."""
        rows = self.sql("replicas")
        return parse_replica_status(rows, self.part("sql")["queries"]["replicas"].get("statement", "SHOW SLAVE STATUS"))

    # --- backups -------------------------------------------------------------------------------
    @property
    def backup_files(self):
        """(files matching the policy's globs, the target's clock), or None if the policy names none."""
        if "backups" not in self.part("ssh")["sections"]:
            return None
        return parse_stat_lines(self.section("backups")), parse_epoch(self.section("clock"))

    # --- XAPI ----------------------------------------------------------------------------------
    def records(self, xapi_class: str) -> dict[str, dict]:
        records = self.part("xapi")["records"][xapi_class]
        self.attach(f"XAPI {xapi_class}.get_all_records", records, as_json=True)
        return records

    @property
    def pool_record(self) -> dict:
        pools = self.records("pool")
        if len(pools) != 1:
            raise CollectionFailed(f"{self.target.id}: XAPI lists {len(pools)} pool records, expected 1")
        return next(iter(pools.values()))

    @property
    def ha(self):
        return parse_pool_ha(self.pool_record)

    # --- CloudStack API (the cloud target) -------------------------------------------------------
    def api(self, name: str):
        value = self.part("api")[name]
        self.attach(f"API {name}", value, as_json=True)
        return value

    def api_rows(self, command: str, **where) -> list[dict]:
        """Rows of a list command as discovery saw them, those whose fields equal `where`."""
        rows = [r for r in self.snapshot.api.get(command, []) if all(r.get(k) == v for k, v in where.items())]
        self.attach(f"API {command}" + "".join(f" {k}={v}" for k, v in where.items()), rows, as_json=True)
        return rows
