"""SELinux's running mode as getenforce prints it, and its mode at the next boot as libselinux reads
/etc/selinux/config (SELinuxProject/selinux, libselinux/src/selinux_config.c `selinux_getenforcemode`)."""
from __future__ import annotations

from dataclasses import dataclass

from stackaudit.errors import UnparsableOutput

MODES = ("enforcing", "permissive", "disabled")
GETENFORCE_WORDS = {"Enforcing": "enforcing", "Permissive": "permissive", "Disabled": "disabled"}
CONFIG_PATH = "/etc/selinux/config"
# What the command prints before getenforce's own answer (collect/declared/mgmt_host.py).
INSTALLED, ABSENT = "getenforce installed", "getenforce absent"
C_SPACE = " \t\n\v\f\r"     # isspace() in the C locale


@dataclass(frozen=True)
class SelinuxModes:
    running: str | None     # enforcing, permissive or disabled; None: no getenforce
    config_present: bool    # /etc/selinux/config exists
    persisted: str | None   # its mode; None: missing, or no line libselinux takes


def parse_getenforce(text: str) -> str | None:
    """The running mode, lower case; None when getenforce is not installed. libselinux's getenforce
    prints exactly one of Enforcing, Permissive, Disabled (e.g. `Disabled` on Debian 12 without
    SELinux); anything else cannot be judged."""
    lines = text.splitlines()
    if lines == [ABSENT]:
        return None
    if len(lines) == 2 and lines[0] == INSTALLED and lines[1] in GETENFORCE_WORDS:
        return GETENFORCE_WORDS[lines[1]]
    said = lines[1] if len(lines) > 1 and lines[0] == INSTALLED else text
    raise UnparsableOutput(f"getenforce printed {said[:80]!r}, not Enforcing, Permissive or Disabled")


def ascii_lower(text: str) -> str:
    """strncasecmp's folding: A-Z only (Python's lower() also folds the Kelvin sign and others)."""
    return "".join(chr(ord(c) + 32) if "A" <= c <= "Z" else c for c in text)


def parse_selinux_config(text: str) -> str | None:
    """The mode /etc/selinux/config gives the next boot, read as libselinux 3.x does: the first line
    that starts with `SELINUX=` exactly (no blank before it, case-sensitive) and whose value, after
    blanks, starts with enforcing, permissive or disabled in any case; a line with another value is
    passed over. None: no line names a mode (libselinux then fails to read the mode)."""
    for line in text.split("\n"):
        if not line.startswith("SELINUX="):
            continue
        value = ascii_lower(line[len("SELINUX="):].lstrip(C_SPACE))
        for mode in MODES:
            if value.startswith(mode):
                return mode
    return None
