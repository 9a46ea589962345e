"""What a check sees of its target: parsed facts, each attached as evidence when the check reads it.

A check never touches commands or raw output; it asks `target.facts.<fact>`. Reading a fact
attaches the raw text or record it was parsed from to the result (Allure attachment), so every
result carries what it was judged on. Secrets were removed at collection.
"""
from __future__ import annotations

import json
from dataclasses import dataclass

import allure

from stackaudit.errors import CollectionFailed
from stackaudit.parsers.dpkg import parse_dpkg_query
from stackaudit.parsers.iptables import parse_iptables_save
from stackaudit.parsers.mysql import parse_global_variables
from stackaudit.parsers.osinfo import parse_debian_version, parse_os_release
from stackaudit.parsers.xapi import parse_pool_ha
from stackaudit.targets import Target

PERSISTED_PATHS = {("debian", 4): "/etc/iptables/rules.v4", ("debian", 6): "/etc/iptables/rules.v6",
                   ("rhel", 4): "/etc/sysconfig/iptables", ("rhel", 6): "/etc/sysconfig/ip6tables"}
PERSISTED_SECTIONS = {"/etc/iptables/rules.v4": "rules_v4", "/etc/iptables/rules.v6": "rules_v6",
                      "/etc/sysconfig/iptables": "sysconfig_iptables", "/etc/sysconfig/ip6tables": "sysconfig_ip6tables"}
BOOT_UNITS = {("debian", 4): "netfilter-persistent.service", ("debian", 6): "netfilter-persistent.service",
              ("rhel", 4): "iptables.service", ("rhel", 6): "ip6tables.service"}


@dataclass(frozen=True)
class Firewall:
    family: int
    running: object                 # parsers.iptables.Ruleset
    persisted_path: str
    persisted: object | None        # Ruleset, or None when the file does not exist
    boot_unit: str
    loaded_at_boot: bool


class Facts:
    def __init__(self, target: Target, store):
        self.target = target
        self._store = store
        self._attached: set[str] = set()

    @property
    def raw(self) -> dict:
        return self._store.raw(self.target)

    def attach(self, name: str, content, as_json: bool = False) -> None:
        if name in self._attached:
            return
        self._attached.add(name)
        if as_json:
            allure.attach(json.dumps(content, indent=1, sort_keys=True), name, allure.attachment_type.JSON)
        else:
            allure.attach(content, name, allure.attachment_type.TEXT)

    # --- SSH sections ----------------------------------------------------------------------
    def section(self, name: str, allow_missing_file: bool = False, ok_exit_codes: tuple = (0,)) -> str | None:
        """A command's output; None for a file that does not exist (when allowed); else broken."""
        section = self.raw["sections"].get(name)
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
        return Firewall(family, running, path, None if text is None else parse_iptables_save(text), unit,
                        unit in units.split())

    # --- system VMs --------------------------------------------------------------------------
    @property
    def debian_release(self):
        return parse_debian_version(self.section("debian_version"))

    @property
    def packages(self) -> dict:
        # dpkg-query exits 1 when one of its patterns matches nothing; the rest is still listed.
        return parse_dpkg_query(self.section("packages", ok_exit_codes=(0, 1)))

    # --- XAPI ----------------------------------------------------------------------------------
    @property
    def pool_record(self) -> dict:
        pools = self.raw["records"]["pool"]
        if len(pools) != 1:
            raise CollectionFailed(f"{self.target.id}: XAPI lists {len(pools)} pool records, expected 1")
        (record,) = pools.values()
        self.attach("pool record (XAPI pool.get_all_records)", record, as_json=True)
        return record

    @property
    def ha(self):
        return parse_pool_ha(self.pool_record)

    # --- SQL -----------------------------------------------------------------------------------
    @property
    def variables(self) -> dict[str, str]:
        rows = self.raw["queries"]["variables"]
        self.attach("SHOW GLOBAL VARIABLES", rows, as_json=True)
        return parse_global_variables(rows)
