"""A machine's service units as systemctl reports them: a stand-in `systemctl` over the machine's
/usr/bin view that answers `is-enabled` and `is-active` from a state directory, as systemd 252
(Debian 12) prints them. Each unit with a state has a file /etc/lab-units/UNIT holding
"<is-enabled word> <is-active word>"; a unit without one is unknown to it.

The exit codes follow systemctl(1) (systemd project, systemctl(1) manual page, is-enabled's output
table, https://www.freedesktop.org/software/systemd/man/latest/systemctl.html): is-enabled exits 0
for enabled, enabled-runtime, static, alias, indirect, generated and transient, 1 otherwise;
is-active exits 0 for active and reloading, 3 otherwise. For an unknown unit systemd 252 prints
"Failed to get unit file state for UNIT.service: No such file or directory" (exit 1) and
`inactive` (exit 3), as the Debian 12 systemctl recorded in tests/data/recorded/ does.
"""
from __future__ import annotations

STATE_DIR = "/etc/lab-units"
SYSTEMCTL = "/usr/bin/systemctl"
SYSTEMCTL_STANDIN = f"""#!/bin/sh
unit=${{2%.service}}
state={STATE_DIR}/$unit
case $1 in
  is-enabled)
    if [ ! -f "$state" ]; then
      echo "Failed to get unit file state for $unit.service: No such file or directory" >&2; exit 1
    fi
    read -r enabled active < "$state"; echo "$enabled"
    case $enabled in enabled|enabled-runtime|static|alias|indirect|generated|transient) exit 0;; esac; exit 1 ;;
  is-active)
    if [ ! -f "$state" ]; then echo inactive; exit 3; fi
    read -r enabled active < "$state"; echo "$active"
    case $active in active|reloading) exit 0;; esac; exit 3 ;;
esac
echo "lab systemctl answers only is-enabled and is-active" >&2
exit 1
"""


def unit_files(defaults: dict[str, str], overrides: dict[str, str | None]) -> tuple[dict[str, str], dict[str, int]]:
    """(files, modes): the stand-in and one state file per unit; an override of None leaves a unit unknown."""
    states = {unit: state for unit, state in {**defaults, **overrides}.items() if state is not None}
    files = {SYSTEMCTL: SYSTEMCTL_STANDIN, **{f"{STATE_DIR}/{unit}": state + "\n" for unit, state in states.items()}}
    return files, {SYSTEMCTL: 0o755}
