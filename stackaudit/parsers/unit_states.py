"""Whether a service starts at boot and runs now, as systemd or a SysV init (EL6) reports it.

The collecting program (collect/declared/unit_states.py) asks, per unit, `systemctl is-enabled`
and `systemctl is-active` where systemctl exists, else `chkconfig --list` and `service UNIT
status`, in the C locale, and prints one line per probe: `UNIT<TAB>PROBE<TAB>EXIT<TAB>OUTPUT`,
the output being stdout and stderr together, its lines joined with `|`; systemctl's state is the
last of them (a SysV script on a systemd host: "X.service is not a native service, redirecting to
systemd-sysv-install.|Executing: ... is-enabled X|enabled", Lompik/helm-systemd pull request 6):

    cloudstack-agent\tis-enabled\t0\tenabled
    cloudstack-agent\tis-active\t3\tinactive
    mysqld\tchkconfig\t0\tmysqld          0:off 1:off 2:on 3:on 4:on 5:on 6:off
    mysqld\tservice\t3\tmysqld is stopped

The words are systemd's own (systemd, systemctl(1), "is-enabled" output table and "is-active",
https://www.freedesktop.org/software/systemd/man/latest/systemctl.html). An unknown unit is told
by `not-found` (newer systemd) or "Failed to get unit file state for X: No such file or
directory" (older, e.g. systemd 215: systemd/systemd issue 937); chkconfig says "error reading
information on service X: No such file or directory", EL6's service "X: unrecognized service".
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from stackaudit.errors import UnparsableOutput

# systemctl(1), is-enabled's table. Only `enabled` starts the unit at the next boot by itself:
# `enabled-runtime`/`linked-runtime`/`masked-runtime` live in /run and are gone after a reboot.
ENABLED_STATES = {"enabled", "enabled-runtime", "linked", "linked-runtime", "alias", "masked", "masked-runtime",
                  "static", "indirect", "disabled", "generated", "transient", "bad"}
# systemctl(1), is-active (the unit's ActiveState); `unknown` was printed for unknown units by old systemd.
ACTIVE_STATES = {"active", "reloading", "refreshing", "inactive", "failed", "activating", "deactivating",
                 "maintenance", "unknown"}
UNKNOWN_UNIT = re.compile(r"No such file or directory|does not exist|not-found|unrecognized service|"
                          r"not loaded|could not be found")
# chkconfig --list: the name padded to 15 columns, then `\t<level>:on|off` for the levels 0 to 6.
CHKCONFIG_LINE = re.compile(r"(\S+)\s+0:(on|off)\s+1:(on|off)\s+2:(on|off)\s+3:(on|off)\s+4:(on|off)\s+5:(on|off)"
                            r"\s+6:(on|off)")
# LSB init-script status exit codes (Linux Standard Base Core 5.0, "Init Script Actions").
SERVICE_STATUS = {0: "running", 1: "dead, its pid file left", 2: "dead, its lock file left", 3: "stopped"}
PROBES = {"systemd": ("is-enabled", "is-active"), "sysv": ("chkconfig", "service")}


@dataclass(frozen=True)
class UnitState:
    unit: str
    manager: str          # "systemd", "sysv", or "" when the host has neither systemctl nor chkconfig
    exists: bool
    boot: str = ""        # is-enabled's word, or the runlevel-3 setting ("on"/"off") from chkconfig
    running: str = ""     # is-active's word, or service status's meaning of its exit code

    @property
    def described(self) -> str:
        how = {"systemd": "systemctl is-enabled/is-active", "sysv": "chkconfig --list/service status"}
        return f"{self.unit}: {self.boot or '?'}, {self.running or '?'} ({how.get(self.manager, 'no service manager')})"


def parse_unit_states(text: str) -> dict[str, UnitState]:
    """One UnitState per unit, in the order the units were asked."""
    probes: dict[str, dict[str, tuple[int, str]]] = {}
    for number, line in enumerate(text.splitlines(), 1):
        fields = line.split("\t")
        if len(fields) != 4 or not fields[2].isascii() or not fields[2].isdigit():
            raise UnparsableOutput(f"unit states line {number}: expected 'unit<TAB>probe<TAB>exit<TAB>output', "
                                   f"got {line[:80]!r}")
        unit, probe, code, output = fields
        probes.setdefault(unit, {})[probe] = (int(code), output.strip())
    return {unit: unit_state(unit, answers) for unit, answers in probes.items()}


def unit_state(unit: str, answers: dict[str, tuple[int, str]]) -> UnitState:
    if set(answers) == {"none"}:
        return UnitState(unit, "", True)
    manager = next((m for m, names in PROBES.items() if set(answers) == set(names)), None)
    if manager is None:
        raise UnparsableOutput(f"unit states of {unit}: unexpected probes {sorted(answers)}")
    first, second = (answers[name] for name in PROBES[manager])
    if UNKNOWN_UNIT.search(first[1]) and first[0] != 0:
        return UnitState(unit, manager, False)
    if manager == "systemd":
        return UnitState(unit, manager, True, systemd_word(unit, "is-enabled", first, ENABLED_STATES),
                         systemd_word(unit, "is-active", second, ACTIVE_STATES))
    return UnitState(unit, manager, True, chkconfig_level3(unit, first), service_status(unit, second))


def systemd_word(unit: str, probe: str, answer: tuple[int, str], words: set[str]) -> str:
    last = answer[1].rsplit("|", 1)[-1].split()
    word = last[0] if last else ""
    if word not in words:
        raise UnparsableOutput(f"systemctl {probe} {unit}: not one of systemctl's states: {answer[1][:80]!r} "
                               f"(exit {answer[0]})")
    return word


def chkconfig_level3(unit: str, answer: tuple[int, str]) -> str:
    found = CHKCONFIG_LINE.search(answer[1])
    if answer[0] != 0 or found is None or found.group(1) != unit:
        raise UnparsableOutput(f"chkconfig --list {unit}: expected '{unit} 0:off ... 6:off', got {answer[1][:80]!r} "
                               f"(exit {answer[0]})")
    return found.group(5)


def service_status(unit: str, answer: tuple[int, str]) -> str:
    if answer[0] not in SERVICE_STATUS:
        raise UnparsableOutput(f"service {unit} status: exit {answer[0]} tells no state (LSB: 0 running, "
                               f"1-3 not running, 4 unknown): {answer[1][:80]!r}")
    return SERVICE_STATUS[answer[0]]
