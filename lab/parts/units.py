"""A machine's service units as its init reports them, from a state directory: each unit with a
state has a file /etc/lab-units/UNIT holding two words; a unit without one is unknown.

- systemd (the default): a stand-in `systemctl` over the machine's /usr/bin view answers
  `is-enabled` and `is-active` as systemd 252 (Debian 12) prints them; the words are
  "<is-enabled> <is-active>". Exit codes follow systemctl(1) (systemd project, systemctl(1)
  manual page, is-enabled's output table, https://www.freedesktop.org/software/systemd/man/latest/systemctl.html):
  is-enabled exits 0 for enabled, enabled-runtime, static, alias, indirect, generated and
  transient, 1 otherwise; is-active 0 for active and reloading, 3 otherwise. For an unknown unit
  systemd 252 prints "Failed to get unit file state for UNIT.service: No such file or directory"
  (exit 1) and `inactive` (exit 3), as the Debian 12 systemctl recorded in tests/data/recorded/ does.
  `show -p MainPID UNIT` prints `MainPID=<pid>` from the PID file the lab's service wrote
  (/run/UNIT.pid, as the packaged cloudstack-management.service's PIDFile=), `MainPID=0` without one,
  as systemd prints it for a unit with no running main process.
- sysv (EL6): no systemctl (hidden), and stand-ins for `chkconfig --list UNIT` and `service UNIT
  status` in /usr/sbin; the words are "<on|off> <running|stopped>". chkconfig prints the name
  padded to 15 columns and `\\t<level>:on|off` for levels 0-6 (on at 2-5 when on); service exits
  with the LSB status codes (0 running, 3 stopped; Linux Foundation, LSB Core 5.0, "Init Script
  Actions", 2015, https://refspecs.linuxfoundation.org/LSB_5.0.0/LSB-Core-generic/LSB-Core-generic/iniscrptact.html).
"""
from __future__ import annotations

from lab.machine import WHITEOUT

STATE_DIR = "/etc/lab-units"
SYSTEMCTL = "/usr/bin/systemctl"
CHKCONFIG = "/usr/sbin/chkconfig"
SERVICE = "/usr/sbin/service"


def read_state(unit: str) -> str:
    """The stand-in's start: the unit named by its argument `unit`, its two words if it has a state."""
    return f"""#!/bin/sh
unit={unit}
state={STATE_DIR}/$unit
[ ! -f "$state" ] || read -r first second < "$state"
"""


SYSTEMCTL_STANDIN = read_state("${2%.service}") + """case $1 in
  is-enabled)
    if [ ! -f "$state" ]; then
      echo "Failed to get unit file state for $unit.service: No such file or directory" >&2; exit 1
    fi
    echo "$first"
    case $first in enabled|enabled-runtime|static|alias|indirect|generated|transient) exit 0;; esac; exit 1 ;;
  is-active)
    if [ ! -f "$state" ]; then echo inactive; exit 3; fi
    echo "$second"
    case $second in active|reloading) exit 0;; esac; exit 3 ;;
  show)
    if [ "$2" = -p ] && [ "$3" = MainPID ]; then
      unit=${4%.service}; pid=0
      [ ! -f "/run/$unit.pid" ] || read -r pid < "/run/$unit.pid"
      echo "MainPID=$pid"; exit 0
    fi ;;
esac
echo "lab systemctl answers only is-enabled, is-active and show -p MainPID" >&2
exit 1
"""
CHKCONFIG_STANDIN = read_state("$2") + """if [ "$1" != --list ] || [ ! -f "$state" ]; then
  echo "error reading information on service $unit: No such file or directory" >&2; exit 1
fi
printf '%-15s\\t0:off\\t1:off\\t2:%s\\t3:%s\\t4:%s\\t5:%s\\t6:off\\n' "$unit" "$first" "$first" "$first" "$first"
"""
SERVICE_STANDIN = read_state("$1") + """if [ "$2" != status ] || [ ! -f "$state" ]; then echo "$unit: unrecognized service" >&2; exit 1; fi
if [ "$second" = running ]; then echo "$unit (pid  2177) is running..."; exit 0; fi
echo "$unit is stopped"; exit 3
"""
STANDIN_VIEWS = ("/usr/bin", "/usr/sbin")     # the views the stand-ins lie in
STANDINS = {"systemd": {SYSTEMCTL: SYSTEMCTL_STANDIN},
            "sysv": {SYSTEMCTL: WHITEOUT, CHKCONFIG: CHKCONFIG_STANDIN, SERVICE: SERVICE_STANDIN}}


COMPLIANT = {"systemd": "enabled active", "sysv": "on running"}


def unit_files(unit: str | tuple[str, ...], facts: dict) -> tuple[dict[str, str | None], dict[str, int]]:
    """(files, modes) for the machine's `init` and `units` (scenario facts): the stand-ins and one
    state file per unit, `unit` (or each of several) enabled and running unless the facts say
    otherwise; a unit whose state is null is left unknown."""
    init = facts["init"]
    compliant = {name: COMPLIANT[init] for name in ((unit,) if isinstance(unit, str) else unit)}
    states = {name: state for name, state in {**compliant, **facts["units"]}.items() if state is not None}
    standins = STANDINS[init]
    files = {**standins, **{f"{STATE_DIR}/{unit}": state + "\n" for unit, state in states.items()}}
    return files, {path: 0o755 for path, content in standins.items() if content is not WHITEOUT}
