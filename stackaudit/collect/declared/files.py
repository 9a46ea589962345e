"""Configuration files, each read whole with cat and parsed as its program reads it; a file that
does not exist is the value None, not a broken result."""
from __future__ import annotations

from stackaudit.collect.readings import Command, Fact, cat, config_file, config_file_fact, shell
from stackaudit.collect.target_secrets import properties_secrets
from stackaudit.parsers.boot_scripts import (MAKE_UNIQUE_INIT_SCRIPT, MAKE_UNIQUE_SCRIPT, RC_LOCAL_FIX,
                                             MakeUniqueLeftovers, parse_boot_paths, parse_script_runs)
from stackaudit.parsers.libvirt import parse_libvirtd_conf
from stackaudit.parsers.log4j import parse_log4j_config
from stackaudit.parsers.war_layout import parse_war_layout
from stackaudit.parsers.properties import parse_environment_file, parse_java_properties_file, parse_shell_assignments
from stackaudit.parsers.units import LIBVIRTD_SOCKETS, UNIT_DIRS, parse_socket_units

# For each libvirtd socket unit: its name, where its mask link points (empty: no link), and the
# first unit file systemd would load (empty: none); see parsers/units.py for the search path.
SOCKET_UNITS_COMMAND = (
    "for u in " + shell(*LIBVIRTD_SOCKETS) + "; do "
    "printf '%s\\t%s\\t%s\\n' \"$u\" "
    "\"$(if [ -L /etc/systemd/system/$u ] || [ -e /etc/systemd/system/$u ]; then readlink /etc/systemd/system/$u; "
    "else readlink /run/systemd/system/$u; fi)\" "
    "\"$(ls -d " + " ".join(d + "/$u" for d in UNIT_DIRS) + " 2>/dev/null | head -n 1)\"; done")
LIBVIRTD_DEFAULTS = (("libvirtd_default", "/etc/default/libvirtd"), ("libvirtd_sysconfig", "/etc/sysconfig/libvirtd"))


# XS-HOST-NO-MAKE-UNIQUE: the first-boot uniquifier of remibergsma/uniqueXenServer ([BERGSMA-UNIQUE-XS]):
# its init script, the rc links `chkconfig xenserver_make_unique on` makes (S24 in 2345; `off`
# leaves K20 links), the script it runs, and the fix script it leaves for rc.local. A dangling link
# is listed too (`-L`). A glob that matches nothing stays literal and is not there; a directory
# that exists but cannot be listed is named, so absence is never guessed.
RC_LOCALS = (("rc_local", "/etc/rc.local"), ("rc_d_rc_local", "/etc/rc.d/rc.local"))
MAKE_UNIQUE_PATHS_COMMAND = (
    "for p in " + shell(MAKE_UNIQUE_INIT_SCRIPT) + " /etc/rc.d/rc[0-6].d/[SK]*xenserver_make_unique "
    + shell(MAKE_UNIQUE_SCRIPT, RC_LOCAL_FIX) + "; do "
    "if [ -e \"$p\" ] || [ -L \"$p\" ]; then printf 'present\\t%s\\n' \"$p\"; fi; done; "
    "for d in /etc/init.d /etc/rc.d /etc/rc.d/rc[0-6].d /opt; do "
    "if [ -d \"$d\" ] && ! { [ -r \"$d\" ] && [ -x \"$d\" ]; }; then printf 'unreadable\\t%s\\n' \"$d\"; fi; done; "
    "if [ /etc/rc.local -ef /etc/rc.d/rc.local ]; then printf 'same\\t/etc/rc.local\\t/etc/rc.d/rc.local\\n'; fi")

# MS-WAR-LAYOUT: where /etc/cloudstack/management leads, whether it holds db.properties, the MySQL
# connector, and user tomcat's home with its db/ (parsers/war_layout.py reads the lines).
WAR_LAYOUT_COMMAND = r"""d=/etc/cloudstack/management
if [ -L "$d" ]; then printf 'config_link\t%s\n' "$(readlink "$d")"; fi
if [ -d "$d" ]; then echo config_dir; fi
if [ -f "$d/db.properties" ]; then echo db_properties; fi
if [ -e /usr/share/java/mysql-connector-java.jar ]; then echo connector; fi
home=$(getent passwd tomcat | cut -d: -f6)
printf 'tomcat_home\t%s\n' "$home"
if [ -n "$home" ] && [ -d "$home/db" ]; then echo tomcat_db; fi"""


def make_unique_leftovers(facts) -> MakeUniqueLeftovers:
    """What is left of the uniquifier; an rc.local that is the other one's link is read once."""
    paths = parse_boot_paths(facts.section("make_unique_paths"))
    linked = {b for pair in paths.same_files for b in pair[1:]}
    runs = {}
    for section, path in RC_LOCALS:
        text = facts.section(section)
        if text is not None and path not in linked:
            runs[path] = parse_script_runs(text, RC_LOCAL_FIX)
    return MakeUniqueLeftovers(paths, runs)


def libvirtd_defaults(facts) -> tuple[str, dict[str, str]] | None:
    """(path, assignments) of the distribution's libvirtd defaults file, read as systemd reads
    libvirtd.service's EnvironmentFile= (not as a shell would source it)."""
    for section, path in LIBVIRTD_DEFAULTS:
        values = config_file(facts, section, path, parse_environment_file)
        if values is not None:
            return path, values
    return None


FACTS = [
    config_file_fact("agent_properties", ("kvm-host",), "/etc/cloudstack/agent/agent.properties",
                     parse_java_properties_file, properties_secrets),
    config_file_fact("db_properties", ("mgmt",), "/etc/cloudstack/management/db.properties",
                     parse_java_properties_file, properties_secrets),
    config_file_fact("server_properties", ("mgmt",), "/etc/cloudstack/management/server.properties",
                     parse_java_properties_file, properties_secrets),
    config_file_fact("log4j_config", ("mgmt",), "/etc/cloudstack/management/log4j-cloud.xml",
                     lambda text, path: parse_log4j_config(text)),
    # MS-WAR-LAYOUT: Tomcat's settings, read as EL7's tomcat.service reads its EnvironmentFile=
    config_file_fact("tomcat_sysconfig", ("mgmt",), "/etc/sysconfig/tomcat", parse_environment_file),
    Fact("war_layout", ("mgmt",), (Command("war_layout", WAR_LAYOUT_COMMAND),),
         lambda facts: parse_war_layout(facts.section("war_layout"))),
    config_file_fact("xensource_inventory", ("xs-host",), "/etc/xensource-inventory", parse_shell_assignments),
    config_file_fact("libvirtd_conf", ("kvm-host",), "/etc/libvirt/libvirtd.conf",
                     lambda text, path: parse_libvirtd_conf(text)),
    Fact("libvirtd_defaults", ("kvm-host",), tuple(cat(section, path) for section, path in LIBVIRTD_DEFAULTS),
         libvirtd_defaults),
    Fact("make_unique_leftovers", ("xs-host",),
         (Command("make_unique_paths", MAKE_UNIQUE_PATHS_COMMAND), *(cat(s, p) for s, p in RC_LOCALS)),
         make_unique_leftovers),
    Fact("socket_units", ("kvm-host",), (Command("socket_units", SOCKET_UNITS_COMMAND),),
         lambda facts: parse_socket_units(facts.section("socket_units"))),
]
