"""The host firewall: the running rules per address family, the rules file the host loads at boot,
and whether its boot unit is enabled (HOST-IPTABLES-V4/V6, HOST-FIREWALL-PERSISTED)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from stackaudit.collect.readings import Command, Fact, cat, shell
from stackaudit.errors import NotCheckable, UnparsableOutput
from stackaudit.parsers.iptables import parse_iptables_save
from stackaudit.parsers.iptables_legacy import legacy_problem, legacy_save_line
from stackaudit.parsers.osinfo import parse_os_release
from stackaudit.targets import FIREWALLED_KINDS

OS_RELEASE = Command("os_release", shell("cat", "/etc/os-release"))
PERSISTED_PATHS = {("debian", 4): "/etc/iptables/rules.v4", ("debian", 6): "/etc/iptables/rules.v6",
                   ("rhel", 4): "/etc/sysconfig/iptables", ("rhel", 6): "/etc/sysconfig/ip6tables"}
PERSISTED_SECTIONS = {"/etc/iptables/rules.v4": "rules_v4", "/etc/iptables/rules.v6": "rules_v6",
                      "/etc/sysconfig/iptables": "sysconfig_iptables",
                      "/etc/sysconfig/ip6tables": "sysconfig_ip6tables"}
PERSISTED = {key: cat(PERSISTED_SECTIONS[path], path) for key, path in PERSISTED_PATHS.items()}
BOOT_UNITS = {("debian", 4): "netfilter-persistent.service", ("debian", 6): "netfilter-persistent.service",
              ("rhel", 4): "iptables.service", ("rhel", 6): "ip6tables.service"}
BOOT_UNITS_LISTING = Command("boot_units", shell("ls", "-1", "/etc/systemd/system/multi-user.target.wants"),
                             absent_if_missing_file=True)
RUNNING_RULES = {4: Command("iptables_save", shell("iptables-save")),
                 6: Command("ip6tables_save", shell("ip6tables-save"))}
# The legacy tables iptables-nft leaves out of its output (parsers/iptables_legacy.py): read only
# where they exist.
LEGACY_RULES = {4: Command("iptables_legacy_save", legacy_save_line("ip_tables_names", "iptables-legacy-save")),
                6: Command("ip6tables_legacy_save", legacy_save_line("ip6_tables_names", "ip6tables-legacy-save"))}


@dataclass
class Firewall:
    family: int
    running: Any
    persisted_path: str
    persisted: Any
    boot_unit: str
    loaded_at_boot: bool
    persisted_error: str | None = None   # why iptables-restore would refuse the file, if it would


def os_family(facts) -> str:
    os_release = parse_os_release(facts.section("os_release"))
    ids = {os_release.get("ID", "")} | set(os_release.get("ID_LIKE", "").split())
    return "rhel" if ids & {"rhel", "centos", "fedora", "xenenterprise"} else "debian"


def firewall(family: int):
    def parse(facts) -> Firewall:
        family_of_os = facts.os_family
        running_text = facts.section(RUNNING_RULES[family].name)
        # a chain's rules are read when a check asks for them: a host in a security-group zone holds
        # tens of thousands in chains that no connection to the host meets
        running = parse_iptables_save(running_text, family=family, defer=True)
        # never judge half the rules: legacy tables that hold rules make the firewall not checked
        half = legacy_problem(running_text, facts.section(LEGACY_RULES[family].name), family)
        if half:
            raise NotCheckable(half)
        path = PERSISTED_PATHS[(family_of_os, family)]
        text = facts.section(PERSISTED_SECTIONS[path])
        units = facts.section("boot_units") or ""
        unit = BOOT_UNITS[(family_of_os, family)]
        persisted, refused = None, None
        if text is not None:
            # The file is read as iptables-restore reads it at boot: what it refuses is a finding.
            try:
                persisted = parse_iptables_save(text, path, family, defer=running.deferred)
            except UnparsableOutput as err:
                refused = str(err).removeprefix(path + ": ").removeprefix(path + " ")   # the path is named once
        return Firewall(family, running, path, persisted, unit, unit in units.split(), refused)
    return parse


FACTS = [
    Fact("os_family", FIREWALLED_KINDS, (OS_RELEASE,), os_family),
    *(Fact(f"firewall_v{family}", FIREWALLED_KINDS,
           (RUNNING_RULES[family], LEGACY_RULES[family], PERSISTED[("debian", family)], PERSISTED[("rhel", family)],
            BOOT_UNITS_LISTING),
           firewall(family), uses=("os_family",)) for family in (4, 6)),
]
