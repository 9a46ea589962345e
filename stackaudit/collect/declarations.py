"""Every fact a check can read, declared once: its name, the target kinds it is read on, how it is
read (a shell command, an SQL statement, an XAPI class, a CloudStack API call), what counts as
"absent" rather than "broken", and how its raw text becomes the typed value a check sees.

The collector runs, per target, only the readings of the facts the selected checks declare (see
`needed_readings`); `Facts` (facts.py) resolves `target.facts.<name>` to the declaration here.
Shell commands are built from argv lists quoted with shlex.quote; the few that are small shell
programs (loops over /proc or unit directories) are written out once below, whole.
"""
from __future__ import annotations

import ipaddress
import shlex
from dataclasses import dataclass
from typing import Any, Callable

from stackaudit.errors import CollectionFailed, NotCheckable, TargetError, UnparsableOutput
from stackaudit.parsers.api_rows import (parse_configurations, parse_ldap_configurations, parse_schema_versions,
                                         parse_scoped_settings)
from stackaudit.parsers.cloudstack import parse_cloudstack_release
from stackaudit.parsers.dpkg import parse_dpkg_query
from stackaudit.parsers.files import parse_epoch, parse_stat_lines
from stackaudit.parsers.getent import is_host_name, lookup_command, parse_lookups
from stackaudit.parsers.iptables import parse_iptables_save
from stackaudit.parsers.iptables_legacy import legacy_problem, legacy_save_line
from stackaudit.parsers.libvirt import parse_libvirtd_conf
from stackaudit.parsers.localnames import OwnNames, parse_etc_hosts, parse_hostname, parse_ip_addresses
from stackaudit.parsers.mycnf import mysqld_options, parse_tail_files
from stackaudit.parsers.mysql import parse_global_variables, parse_replica_status, parse_server_version
from stackaudit.parsers.net import parse_ss_listening
from stackaudit.parsers.osinfo import parse_debian_version, parse_os_release
from stackaudit.parsers.procs import USER_COLUMNS, parse_pids, parse_ps, parse_ps_names, parse_stale_mappings
from stackaudit.parsers.properties import parse_environment_file, parse_java_properties_file, parse_shell_assignments
from stackaudit.parsers.units import LIBVIRTD_SOCKETS, UNIT_DIRS, parse_socket_units
from stackaudit.parsers.xapi import parse_pool_ha
from stackaudit.parsers.xapi_records import XapiPool, parse_xapi_records
from stackaudit.targets import SYSTEM_VM_KINDS
from stackaudit.collect.target_secrets import option_file_secrets, properties_secrets
from stackaudit.rules.management import MANAGEMENT_MARKERS_ERE, MANAGEMENT_PROGRAMS, management_server_processes


def shell(*argv: str) -> str:
    """One command line from its arguments, each quoted for sh."""
    return " ".join(shlex.quote(arg) for arg in argv)


# --- How a fact is read ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Command:
    """A shell command run over SSH, in the target's one batched exec; its output is section `name`."""
    name: str
    line: str | Callable[[Any, str], str | None]   # or (policy, kind) -> line; None: not asked of this target
    absent_if_missing_file: bool = False   # a failure saying "No such file" means the file is absent
    ok_exit_codes: tuple[int, ...] = (0,)   # exit codes that still mean a complete output
    # (stdout) -> the secret values the file holds under known secret keys (collect/target_secrets.py)
    secrets: Callable[[str], list[str]] | None = None
    # an SQL answer this command is built from: `line` is then (answer) -> line; the target's SQL part
    # is read before its commands run
    after_query: str | None = None

    def line_for(self, policy, kind: str, queries: dict | None = None) -> str | None:
        if self.after_query:
            answer = (queries or {}).get(self.after_query)
            return self.line(answer) if isinstance(answer, dict) and "rows" in answer else None
        return self.line(policy, kind) if callable(self.line) else self.line


@dataclass(frozen=True)
class Query:
    """An SQL statement, asked as the read-only audit user. No statement: the collector chooses it."""
    name: str
    statement: str | None
    after: tuple[str, ...] = ()    # queries whose answer this one needs


@dataclass(frozen=True)
class Records:
    """`<xapi_class>.get_all_records` on the pool master."""
    xapi_class: str

    @property
    def name(self) -> str:
        return self.xapi_class


@dataclass(frozen=True)
class ApiCall:
    """One of the cloud's settings lists from the CloudStack API (collectors.collect_cloud_settings)."""
    name: str
    after: tuple[str, ...] = ()


Reading = Command | Query | Records | ApiCall
CHANNELS = {Command: "ssh", Query: "sql", Records: "xapi", ApiCall: "api"}


@dataclass(frozen=True)
class Fact:
    name: str
    kinds: tuple[str, ...]
    reads: tuple[Reading, ...]
    parse: Callable[[Any], Any]        # (facts) -> the typed value; facts gives the raw readings
    uses: tuple[str, ...] = ()         # other facts `parse` reads


def cat(name: str, path: str, secrets: Callable[[str], list[str]] | None = None) -> Command:
    return Command(name, shell("cat", path), absent_if_missing_file=True, secrets=secrets)


def config_file(facts, section: str, path: str, parser):
    """A configuration file's parsed content; None when the file does not exist."""
    text = facts.section(section)
    return None if text is None else parser(text, path)


# --- SSH: firewalls --------------------------------------------------------------------------------
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
FIREWALLED = ("kvm-host", "xs-host", "mgmt")


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


# --- SSH: programs too long for one command line ---------------------------------------------------
# For each process, the libssl*/libcrypto* files that /proc/PID/maps shows as " (deleted)": the
# library was replaced on disk (dpkg renames the new file over the old one) but the process still
# runs the old code. The maps fields before the path are "addr perms offset dev inode" and
# padding. A process that exits mid-scan, or a maps file that cannot be read, is skipped.
STALE_LIBRARY_COMMAND = r"""for maps in /proc/[0-9]*/maps; do
  found=$(grep -E '/lib(ssl|crypto)[^/]* \(deleted\)$' "$maps" 2>/dev/null) || continue
  dir=${maps%/maps}
  comm=$(cat "$dir/comm" 2>/dev/null) || continue
  printf '%s\n' "$found" | sed -E 's/^([^ ]+ +){5}//; s/ \(deleted\)$//' | sort -u |
  while IFS= read -r path; do printf '%s\t%s\t%s\n' "${dir#/proc/}" "$comm" "$path"; done
done"""
# For each libvirtd socket unit: its name, where its mask link points (empty: no link), and the
# first unit file systemd would load (empty: none); see parsers/units.py for the search path.
SOCKET_UNITS_COMMAND = (
    "for u in " + shell(*LIBVIRTD_SOCKETS) + "; do "
    "printf '%s\\t%s\\t%s\\n' \"$u\" "
    "\"$(if [ -L /etc/systemd/system/$u ] || [ -e /etc/systemd/system/$u ]; then readlink /etc/systemd/system/$u; "
    "else readlink /run/systemd/system/$u; fi)\" "
    "\"$(ls -d " + " ".join(d + "/$u" for d in UNIT_DIRS) + " 2>/dev/null | head -n 1)\"; done")
# Every regular file of the option-file trees of Debian (/etc/mysql) and RHEL (/etc/my.cnf,
# /etc/my.cnf.d), symlinks followed, each after a `==> PATH <==` header (tail -v). Paths that do
# not exist are left out before find, so its status is not spoiled; -r: no file, no tail.
CNF_FILES_COMMAND = (
    "set --; for p in /etc/mysql /etc/my.cnf /etc/my.cnf.d; do [ -e \"$p\" ] && set -- \"$@\" \"$p\"; done; "
    "[ $# -eq 0 ] || find -L \"$@\" -type f -print0 | LC_ALL=C sort -z | xargs -0 -r tail -v -n +1"
)
# Processes: only what the rules read, never every command line (`ps -eo args` carried any process's
# `mysql -pX` or `-Djavax.net.ssl.keyStorePassword=X` into the evidence). `ps -C` selects by
# process name; it and pgrep exit 1 when nothing matches.
# - KVM-LIBVIRTD-LISTEN: libvirtd's own command line;
LIBVIRTD_PROCESS = Command("libvirtd_process", shell("ps", "-C", "libvirtd", "-o", f"user:{USER_COLUMNS},pid,args",
                                                     "--no-headers"), ok_exit_codes=(0, 1))
# - MS-RUNS-AS-CLOUD: user, pid and name of the management programs' processes, and the PIDs whose
#   command line holds the server's markers (pgrep -f prints PIDs only).
PROGRAM_PROCESSES = Command("program_processes", shell("ps", "-C", ",".join(MANAGEMENT_PROGRAMS), "-o",
                                                       f"user:{USER_COLUMNS},pid,comm", "--no-headers"),
                            ok_exit_codes=(0, 1))
SERVER_PIDS = Command("server_pids", shell("pgrep", "-f", MANAGEMENT_MARKERS_ERE), ok_exit_codes=(0, 1))
# ${Status} and ${Version} are understood by every dpkg-query back to Debian 7 (dpkg 1.16).
DPKG_QUERY_FORMAT = r"${Package}\t${Status}\t${Version}\n"
STAT_FORMAT = "%Y %s %n"    # modification time (epoch seconds), size in bytes, name as given
EPOCH_COMMAND = shell("date", "+%s")
MYCNF_ROOTS = ("/etc/mysql/my.cnf", "/etc/my.cnf")


def backup_listing_command(globs: tuple[str, ...]) -> str:
    """`stat` of every file matching the policy's globs (validated: absolute, no shell syntax, and
    left unquoted: the shell expands them)."""
    # -L: a "latest" symlink is judged by the dump it points to, not by when the link was made
    return " ".join(["for f in", *globs, '; do [ -e "$f" ] && stat -L -c', shlex.quote(STAT_FORMAT),
                     '"$f"; done; true'])


def backup_listing(policy, kind: str) -> str | None:
    globs = policy.backups.locations.get(kind, ()) if policy is not None else ()
    return backup_listing_command(globs) if globs else None


def backup_clock(policy, kind: str) -> str | None:
    return EPOCH_COMMAND if backup_listing(policy, kind) else None


def backup_files(facts):
    """(files matching the policy's globs, the target's clock), or None if the policy names none."""
    if "backups" not in facts.part("ssh")["sections"]:
        return None
    return parse_stat_lines(facts.section("backups")), parse_epoch(facts.section("clock"))


def own_names(facts) -> OwnNames:
    """This server's host names, its interfaces' addresses and /etc/hosts."""
    names = {parse_hostname(facts.section("hostname"), "hostname")}
    etc_hostname = facts.section("etc_hostname")
    if etc_hostname is not None:
        names.add(parse_hostname(etc_hostname, "/etc/hostname"))
    hosts_file = facts.section("etc_hosts") or ""
    addresses = frozenset(address for _, address in parse_ip_addresses(facts.section("ip_addresses")))
    return OwnNames(frozenset(names), addresses, tuple(parse_etc_hosts(hosts_file)))


def libvirtd_defaults(facts) -> tuple[str, dict[str, str]] | None:
    """(path, assignments) of the distribution's libvirtd defaults file, read as systemd reads
    libvirtd.service's EnvironmentFile= (not as a shell would source it)."""
    for section, path in (("libvirtd_default", "/etc/default/libvirtd"),
                          ("libvirtd_sysconfig", "/etc/sysconfig/libvirtd")):
        values = config_file(facts, section, path, parse_environment_file)
        if values is not None:
            return path, values
    return None


# --- SQL -------------------------------------------------------------------------------------------
SERVER_VERSION = Query("server_version", "SELECT @@version AS version, @@version_comment AS version_comment")
VARIABLES = Query("variables", "SHOW GLOBAL VARIABLES WHERE Variable_name IN ('log_bin', 'binlog_format', "
                  "'server_id', 'auto_increment_increment', 'auto_increment_offset', 'bind_address', 'version', "
                  "'innodb_rollback_on_timeout', 'innodb_lock_wait_timeout', 'max_connections', 'time_zone', "
                  "'skip_name_resolve', 'port')")
# Asked in the statement the server's version has (parsers/mysql.py), so after server_version.
REPLICAS = Query("replicas", None, after=("server_version",))
SCHEMA_VERSIONS = Query("schema_versions", "SELECT id, version, step FROM cloud.version ORDER BY id")


def server_group_version(facts) -> str | None:
    """"10.11" for [mariadb-10.11]: the only version group the running server reads; None (every
    version group counts) when its version could not be read."""
    try:
        numbers = parse_server_version(facts.sql("server_version")).numbers
    except TargetError:
        return None
    return f"{numbers[0]}.{numbers[1]}"


def mysqld_options_of(facts):
    files = parse_tail_files(facts.section("cnf_files"))
    root = next((r for r in MYCNF_ROOTS if r in files), None)
    if root is None:
        raise CollectionFailed(f"{facts.target.id}: neither {' nor '.join(MYCNF_ROOTS)} exists")
    return mysqld_options(files, root, facts.server_group_version)


def replica_channels(facts):
    """Replication status, asked in the statement the server's version calls for (collectors.py)."""
    rows = facts.sql("replicas")
    return parse_replica_status(rows, facts.part("sql")["queries"]["replicas"].get("statement", "SHOW SLAVE STATUS"))


def source_names(channels) -> list[str]:
    """The replica's sources given as host names (not addresses), each once, in order."""
    names = [c.source_host.strip() for c in channels if not is_ip_literal(c.source_host.strip())]
    return [n for n in dict.fromkeys(names) if is_host_name(n)]


def is_ip_literal(text: str) -> bool:
    try:
        ipaddress.ip_address(text.strip("[]"))
    except ValueError:
        return False
    return True


def source_lookup_line(answer: dict) -> str | None:
    """getent ahosts of each source host name the replication status names, on the replica's host."""
    try:
        names = source_names(parse_replica_status(answer["rows"], answer.get("statement", "SHOW SLAVE STATUS")))
    except UnparsableOutput:
        return None
    return lookup_command(names) if names else None


# DB-REPLICATION-HEALTHY: a source named by host name is resolved as the replica resolves it.
SOURCE_LOOKUPS = Command("source_lookups", source_lookup_line, after_query="replicas")


def source_addresses(facts) -> dict[str, tuple[str, ...] | None]:
    """Each source host name of the replica -> the addresses its own host resolves it to (None: not found)."""
    names = source_names(facts.replica_channels)
    return parse_lookups(facts.section("source_lookups"), names) if names else {}


# --- XAPI ------------------------------------------------------------------------------------------
def raw_pool_record(facts) -> dict:
    pools = facts.records("pool")
    if len(pools) != 1:
        raise CollectionFailed(f"{facts.target.id}: XAPI lists {len(pools)} pool records, expected 1")
    return next(iter(pools.values()))


def pool_record(facts) -> XapiPool:
    raw_pool_record(facts)   # exactly one
    return next(iter(parse_xapi_records("pool", facts.records("pool")).values()))


def xapi_records(name: str, xapi_class: str) -> Fact:
    return Fact(name, ("xs-pool",), (Records(xapi_class),),
                lambda facts: parse_xapi_records(xapi_class, facts.records(xapi_class)))


# --- the facts -------------------------------------------------------------------------------------
SVM = SYSTEM_VM_KINDS
DECLARED = [
    Fact("os_family", FIREWALLED, (OS_RELEASE,), os_family),
    *(Fact(f"firewall_v{family}", FIREWALLED,
           (RUNNING_RULES[family], LEGACY_RULES[family], PERSISTED[("debian", family)], PERSISTED[("rhel", family)],
            BOOT_UNITS_LISTING),
           firewall(family), uses=("os_family",)) for family in (4, 6)),
    Fact("agent_properties", ("kvm-host",),
         (cat("agent_properties", "/etc/cloudstack/agent/agent.properties", properties_secrets),),
         lambda facts: config_file(facts, "agent_properties", "/etc/cloudstack/agent/agent.properties",
                                   parse_java_properties_file)),
    Fact("db_properties", ("mgmt",),
         (cat("db_properties", "/etc/cloudstack/management/db.properties", properties_secrets),),
         lambda facts: config_file(facts, "db_properties", "/etc/cloudstack/management/db.properties",
                                   parse_java_properties_file)),
    # what `localhost`-like names and its own addresses mean on it (MS-DB-HOST-NOT-LOCAL)
    Fact("own_names", ("mgmt",), (Command("hostname", shell("hostname")), cat("etc_hostname", "/etc/hostname"),
                                  cat("etc_hosts", "/etc/hosts"),
                                  Command("ip_addresses", shell("ip", "-o", "addr", "show"))), own_names),
    Fact("xensource_inventory", ("xs-host",), (cat("xensource_inventory", "/etc/xensource-inventory"),),
         lambda facts: config_file(facts, "xensource_inventory", "/etc/xensource-inventory",
                                   parse_shell_assignments)),
    Fact("libvirtd_conf", ("kvm-host",), (cat("libvirtd_conf", "/etc/libvirt/libvirtd.conf"),),
         lambda facts: config_file(facts, "libvirtd_conf", "/etc/libvirt/libvirtd.conf",
                                   lambda text, path: parse_libvirtd_conf(text))),
    Fact("libvirtd_defaults", ("kvm-host",), (cat("libvirtd_default", "/etc/default/libvirtd"),
                                              cat("libvirtd_sysconfig", "/etc/sysconfig/libvirtd")),
         libvirtd_defaults),
    Fact("socket_units", ("kvm-host",), (Command("socket_units", SOCKET_UNITS_COMMAND),),
         lambda facts: parse_socket_units(facts.section("socket_units"))),
    Fact("libvirtd_process", ("kvm-host",), (LIBVIRTD_PROCESS,),
         lambda facts: parse_ps(facts.section("libvirtd_process"))),
    Fact("management_processes", ("mgmt",), (PROGRAM_PROCESSES, SERVER_PIDS),
         lambda facts: management_server_processes(parse_ps_names(facts.section("program_processes")),
                                                    parse_pids(facts.section("server_pids")))),
    Fact("debian_release", SVM, (Command("debian_version", shell("cat", "/etc/debian_version")),),
         lambda facts: parse_debian_version(facts.section("debian_version"))),
    # dpkg-query exits 1 when one of its patterns matches nothing; the rest is still listed.
    Fact("packages", SVM, (Command("packages", shell("dpkg-query", "-W", "-f=" + DPKG_QUERY_FORMAT, "openssl",
                                                     "libssl*"), ok_exit_codes=(0, 1)),),
         lambda facts: parse_dpkg_query(facts.section("packages"))),
    Fact("stale_mappings", SVM, (Command("stale_libraries", STALE_LIBRARY_COMMAND),),
         lambda facts: parse_stale_mappings(facts.section("stale_libraries"))),
    Fact("cloudstack_release", SVM, (cat("cloudstack_release", "/etc/cloudstack-release"),),
         lambda facts: config_file(facts, "cloudstack_release", "/etc/cloudstack-release",
                                   lambda text, path: parse_cloudstack_release(text))),
    Fact("server_group_version", ("db",), (SERVER_VERSION,), server_group_version),
    Fact("mysqld_options", ("db",), (Command("cnf_files", CNF_FILES_COMMAND, secrets=option_file_secrets),),
         mysqld_options_of, uses=("server_group_version",)),
    # -l listening, -t TCP, -n numeric addresses and ports. No -H: iproute2 added it in 4.13 and
    # CentOS 7 ships 4.11 ("ss: invalid option -- 'H'"); the header line is skipped instead.
    Fact("listeners", ("db", "kvm-host"), (Command("listening", shell("ss", "-ltn")),),
         lambda facts: parse_ss_listening(facts.section("listening"))),
    Fact("variables", ("db",), (VARIABLES,), lambda facts: parse_global_variables(facts.sql("variables"))),
    Fact("replica_channels", ("db",), (SERVER_VERSION, REPLICAS), replica_channels),
    Fact("source_addresses", ("db",), (SERVER_VERSION, REPLICAS, SOURCE_LOOKUPS), source_addresses,
         uses=("replica_channels",)),
    Fact("schema_versions", ("db",), (SCHEMA_VERSIONS,),
         lambda facts: parse_schema_versions(facts.sql("schema_versions"))),
    Fact("backup_files", ("db", "mgmt", "kvm-host"),
         (Command("backups", backup_listing), Command("clock", backup_clock)), backup_files),
    Fact("pool_record", ("xs-pool",), (Records("pool"),), pool_record),
    Fact("ha", ("xs-pool",), (Records("pool"),), lambda facts: parse_pool_ha(raw_pool_record(facts))),
    *(xapi_records(f"pool_{name}", cls) for name, cls in (("hosts", "host"), ("host_metrics", "host_metrics"),
                                                           ("vms", "VM"), ("srs", "SR"), ("pbds", "PBD"),
                                                           ("vdis", "VDI"))),
    Fact("configurations", ("cloud",), (ApiCall("configurations"),),
         lambda facts: parse_configurations(facts.api("configurations"))),
    Fact("scoped_settings", ("cloud",), (ApiCall("scoped", after=("domains", "accounts")),),
         lambda facts: parse_scoped_settings(facts.api("scoped"))),
    Fact("ldap_configurations", ("cloud",), (ApiCall("ldap"),),
         lambda facts: parse_ldap_configurations(facts.api("ldap"))),
]
FACTS: dict[str, Fact] = {fact.name: fact for fact in DECLARED}
# SSH section -> how the secret values of the file it reads are found (collect/target_secrets.py)
SECRET_READERS = {reading.name: reading.secrets for fact in DECLARED for reading in fact.reads
                  if isinstance(reading, Command) and reading.secrets is not None}


def closure(names) -> set[str]:
    """These facts and every fact their parsing reads."""
    found, pending = set(), list(names)
    while pending:
        name = pending.pop()
        if name not in found:
            found.add(name)
            pending += FACTS[name].uses
    return found


def readings_of(names, kind: str) -> list[Reading]:
    """The readings of these facts (and the facts they use) on a target of `kind`, in declaration order."""
    wanted = {name for name in closure(names) if kind in FACTS[name].kinds}
    readings: dict[tuple[str, str], Reading] = {}
    for fact in DECLARED:
        if fact.name in wanted:
            for reading in fact.reads:
                readings.setdefault((CHANNELS[type(reading)], reading.name), reading)
    return list(readings.values())


def all_facts_of(kind: str) -> set[str]:
    return {fact.name for fact in DECLARED if kind in fact.kinds}


def command_reading(name: str) -> Command:
    """The declaration of SSH section `name` (how its absence is told from a failure)."""
    for fact in DECLARED:
        for reading in fact.reads:
            if isinstance(reading, Command) and reading.name == name:
                return reading
    raise KeyError(name)
