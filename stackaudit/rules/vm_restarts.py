"""CLOUD-VMS-RESTARTED: a stopped user VM whose last stop was CloudStack noticing it powered off out of
band (a host reboot, a crash), with nobody starting or stopping it since, is a VM the operator was
meant to restart ([CSC-WIKI]: "You are responsible for restarting them manually after the reboot").

The power-state sync records that stop as a VM.STOP event by the system user with the description
"Out of band VM power off" (VirtualMachinePowerStateSyncImpl handlePowerOffReportWithNoPendingJobsOnVM,
apache/cloudstack, [CS-CODE]); which release added it is not known, and events older than
`event.purge.delay` are gone, so a VM with no such event passes.
"""
from __future__ import annotations

from stackaudit.parsers.events import EventRow

OUT_OF_BAND = "Out of band VM power off"
POWER_EVENTS = ("VM.STOP", "VM.START")
SYSTEM_USER = "system"


def newest_power_event(vm_id: str, events: list[EventRow]) -> EventRow | None:
    """The VM's newest VM.STOP or VM.START event. Of events in the same second (`created` has no finer
    part, and the two listings cannot be ordered against each other) a user's wins: no false alarm."""
    own = [e for e in events if e.resourceid == vm_id and e.type in POWER_EVENTS and e.when is not None]
    return max(own, key=lambda e: (e.when, not out_of_band(e))) if own else None


def out_of_band(event: EventRow | None) -> bool:
    return (event is not None and event.type == "VM.STOP" and event.description == OUT_OF_BAND
            and (event.username or event.account or SYSTEM_USER) == SYSTEM_USER)


def restart_findings(vm_id: str, name: str | None, instancename: str | None, events: list[EventRow]) -> list[str]:
    event = newest_power_event(vm_id, events)
    if not out_of_band(event):
        return []
    return [f"VM {name} ({instancename or vm_id}) was powered off out of band at {event.created} (event "
            f"{event.id}: VM.STOP \"{OUT_OF_BAND}\" by the system user) and nobody has started or stopped it "
            f"since: start it again (startVirtualMachine id={vm_id})"]
