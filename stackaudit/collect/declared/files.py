"""Configuration files, each read whole with cat and parsed as its program reads it; a file that
does not exist is the value None, not a broken result."""
from __future__ import annotations

from stackaudit.collect.readings import Command, Fact, cat, config_file, config_file_fact, shell
from stackaudit.collect.target_secrets import properties_secrets
from stackaudit.parsers.libvirt import parse_libvirtd_conf
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
    config_file_fact("xensource_inventory", ("xs-host",), "/etc/xensource-inventory", parse_shell_assignments),
    config_file_fact("libvirtd_conf", ("kvm-host",), "/etc/libvirt/libvirtd.conf",
                     lambda text, path: parse_libvirtd_conf(text)),
    Fact("libvirtd_defaults", ("kvm-host",), tuple(cat(section, path) for section, path in LIBVIRTD_DEFAULTS),
         libvirtd_defaults),
    Fact("socket_units", ("kvm-host",), (Command("socket_units", SOCKET_UNITS_COMMAND),),
         lambda facts: parse_socket_units(facts.section("socket_units"))),
]
