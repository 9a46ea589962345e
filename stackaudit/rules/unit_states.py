"""KVM-AGENT-SERVICE and DB-SERVICE-ENABLED: a service starts at boot and runs now.

Only systemd's `enabled` starts a unit at the next boot by itself (systemd, systemctl(1),
is-enabled's table): `enabled-runtime` is a link in /run, gone after a reboot; `static`,
`linked`, `masked` and `disabled` are not started at boot. `alias`, `indirect`, `generated` and
`transient` depend on another unit or a generator, which is-enabled does not show: those are not
judged (broken), never passed. On SysV (EL6) a service starts at boot where chkconfig has it on
at runlevel 3, the multi-user level CloudStack's hosts run at.
"""
from __future__ import annotations

from stackaudit.errors import NotCheckable
from stackaudit.parsers.unit_states import UnitState

NOT_AT_BOOT = {
    "disabled": "is disabled: it does not start at boot",
    "enabled-runtime": "is enabled only until the next reboot (enabled-runtime: a link under /run)",
    "linked": "is only linked, not enabled: it does not start at boot",
    "linked-runtime": "is only linked until the next reboot, not enabled: it does not start at boot",
    "masked": "is masked: it cannot be started at all",
    "masked-runtime": "is masked until the next reboot: it cannot be started now",
    "static": "is static (no [Install] section): it starts at boot only if another unit pulls it in",
    "bad": "has a unit file systemd cannot read (bad)",
}
NOT_JUDGED = ("alias", "indirect", "generated", "transient")
RUNNING = ("active", "reloading", "refreshing", "running")


def service_findings(state: UnitState) -> list[str]:
    """What keeps this existing unit from starting at boot and running now (empty: it does)."""
    if not state.manager:
        raise NotCheckable(f"{state.unit}: the host has neither systemctl nor chkconfig; verify its init by hand")
    if state.boot in NOT_JUDGED:
        raise NotCheckable(f"systemctl is-enabled {state.unit} says {state.boot}: whether it starts at boot "
                           "depends on another unit; name the unit itself in the policy or verify by hand")
    findings = []
    if state.manager == "sysv" and state.boot != "on":
        findings.append(f"{state.unit} is off at runlevel 3 (chkconfig --list): it does not start at boot")
    elif state.manager == "systemd" and state.boot != "enabled":
        findings.append(f"{state.unit} {NOT_AT_BOOT[state.boot]}")
    if state.running not in RUNNING:
        findings.append(f"{state.unit} is not running ({state.running})")
    return findings


def agent_service_findings(states: dict[str, UnitState], unit: str) -> list[str]:
    """KVM-AGENT-SERVICE: an unknown agent unit is a failure (the agent is not installed)."""
    state = states[unit]
    if state.manager and not state.exists:
        return [f"{unit} is not installed: the host knows no unit {unit}"]
    return service_findings(state)


def database_unit(states: dict[str, UnitState], units: tuple[str, ...]) -> UnitState | None:
    """The first of `units` that exists (None: none does)."""
    for unit in units:
        if states[unit].exists:
            return states[unit]
    return None


def database_service_findings(states: dict[str, UnitState], units: tuple[str, ...]) -> list[str]:
    """DB-SERVICE-ENABLED: the first existing unit of the policy's list starts at boot and runs."""
    state = database_unit(states, units)
    if state is None:
        return [f"none of the units {', '.join(units)} exists (policy services.database_units)"]
    return service_findings(state)
