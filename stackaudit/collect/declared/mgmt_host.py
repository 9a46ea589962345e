"""A management server's host: its SELinux modes (MS-SELINUX-MODE), the program it builds config-drive
ISOs with (MS-MKISOFS), its fully qualified name and what that resolves to (MS-FQDN), and vhd-util (MS-VHDUTIL)."""
from __future__ import annotations

from stackaudit.collect.readings import Command, Fact, cat, shell
from stackaudit.parsers.fqdn import FAILED, FOUND, parse_fqdn_lookup
from stackaudit.parsers.getent import lookup_of
from stackaudit.parsers.iso_tools import ISO_TOOLS, VHD_UTIL, parse_iso_tools
from stackaudit.parsers.stat_modes import parse_stat_blocks
from stackaudit.parsers.selinux import ABSENT, CONFIG_PATH, INSTALLED, SelinuxModes, parse_getenforce, parse_selinux_config

# getenforce lives in /usr/sbin (libselinux-utils on the RHEL family, selinux-utils on Debian),
# outside a user's PATH; `command -v` tells a host without it from a getenforce that fails (broken).
GETENFORCE_COMMAND = (f"PATH=$PATH:/usr/sbin:/sbin; if command -v getenforce >/dev/null 2>&1; "
                      f"then echo '{INSTALLED}'; getenforce; else echo '{ABSENT}'; fi")

# MS-MKISOFS: each of the paths CloudStack tries that exists (`[ -e ]` follows links, as Java's
# File.exists does), with its type, mode and owner; a stat that fails is broken.
ISO_TOOLS_COMMAND = ("for p in " + shell(*ISO_TOOLS) + "; do if [ -e \"$p\" ]; then LC_ALL=C stat -L -- \"$p\" || exit 1; "
                     "fi; done")

# MS-FQDN: the name is only known on the server, so it is looked up there in the same command; a
# failing hostname --fqdn (the name does not resolve) is reported, not run further.
FQDN_COMMAND = (f"if fqdn=$(hostname --fqdn 2>&1); then printf '{FOUND}%s\\n' \"$fqdn\"; " + lookup_of('"$fqdn"')
                + f"; else printf '{FAILED}%s\\n' \"$fqdn\" | head -n 1; fi")

# MS-VHDUTIL: the file where CloudStack runs vhd-util from, if it exists (stat -L: its type and mode).
VHD_UTIL_COMMAND = (f"if [ -e {shell(VHD_UTIL)} ]; then LC_ALL=C stat -L -- {shell(VHD_UTIL)}; fi")


def selinux_modes(facts) -> SelinuxModes:
    config = facts.section("selinux_config")
    return SelinuxModes(parse_getenforce(facts.section("getenforce")), config is not None,
                        None if config is None else parse_selinux_config(config))


FACTS = [
    Fact("selinux_modes", ("mgmt",), (Command("getenforce", GETENFORCE_COMMAND), cat("selinux_config", CONFIG_PATH)),
         selinux_modes),
    Fact("iso_tools", ("mgmt",), (Command("iso_tools", ISO_TOOLS_COMMAND),),
         lambda facts: parse_iso_tools(facts.section("iso_tools"))),
    Fact("vhd_util", ("mgmt",), (Command("vhd_util", VHD_UTIL_COMMAND),),
         lambda facts: parse_stat_blocks(facts.section("vhd_util"))),
    Fact("fqdn_lookup", ("mgmt",), (Command("fqdn_lookup", FQDN_COMMAND),),
         lambda facts: parse_fqdn_lookup(facts.section("fqdn_lookup"))),
]
