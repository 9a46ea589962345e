"""CLOUD-VMS-RESTARTED: the listEvents parser (a recorded answer), the rule, discovery's stopped VMs
and the HA scope."""
from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest
from hypothesis import HealthCheck, given, settings

from stackaudit.discovery.vms import stopped_vm_targets
from stackaudit.errors import UnparsableOutput
from stackaudit.parsers.events import EventRow, parse_events
from stackaudit.rules.scope import _vm_without_ha
from stackaudit.rules.vm_restarts import OUT_OF_BAND, newest_power_event, restart_findings
from tests.unit.hypothesis_budget import examples
from tests.unit.json_strategy import answers

RECORDED = Path(__file__).resolve().parent.parent / "data" / "recorded"
VM = "vm-1"


def event(type_: str, minute: int, by: str = "admin", description: str | None = None, vm: str = VM) -> EventRow:
    if description is None:
        description = OUT_OF_BAND if by == "system" else f"Successfully completed {type_} of Vm. Vm Id: {vm}"
    return EventRow(id=f"e-{type_}-{minute}-{by}", type=type_, description=description, state="Completed",
                    username=by, account=by, resourceid=vm, created=f"2026-11-30T02:{minute:02d}:00+0000")


def findings(*events):
    return restart_findings(VM, "web01", "i-2-100-VM", list(events))


def test_recorded_rows_parse_and_without_resource_or_time_are_no_vm_s_history():
    rows = json.loads((RECORDED / "listevents-cloudstack-pr7421.json").read_text())["event"]
    events = parse_events(rows)
    assert [e.type for e in events] == ["VM.CREATE", "USER.LOGIN", "VOLUME.CREATE", "VM.CREATE"]
    assert all(e.resourceid is None and e.when is None for e in events)
    assert newest_power_event("5d8dd74a-efc3-414b-9966-61553223a73a", events) is None


@pytest.mark.parametrize("rows, message", [
    ([{"id": "1"}], "has no field type"),
    ([{"id": "1", "type": "VM.STOP", "created": "30/11/2026 02:00"}], "created '30/11/2026 02:00' is not "
                                                                      "CloudStack's date format"),
    ([{"id": "1", "type": "VM.STOP", "resourceid": 7}], "field resourceid is int, not text"),
    ({"event": []}, "expected a list of rows"),
])
def test_bad_rows_are_unparsable_with_the_place(rows, message):
    with pytest.raises(UnparsableOutput, match=message):
        parse_events(rows)


@settings(max_examples=examples(200), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=answers(["id", "type", "description", "username", "resourceid", "created"], 6))
def test_any_answer_parses_or_is_unparsable(rows):
    try:
        events = parse_events(rows)
    except UnparsableOutput:
        return
    assert isinstance(findings(*events), list)


def test_a_vm_left_off_after_an_out_of_band_power_off_fails():
    assert findings(event("VM.START", 0), event("VM.STOP", 1, "system")) == [
        'VM web01 (i-2-100-VM) was powered off out of band at 2026-11-30T02:01:00+0000 (event e-VM.STOP-1-system: '
        'VM.STOP "Out of band VM power off" by the system user) and nobody has started or stopped it since: '
        'start it again (startVirtualMachine id=vm-1)']


@pytest.mark.parametrize("events", [
    [],                                                                     # purged, or an older release
    [event("VM.START", 0), event("VM.STOP", 1)],                           # its owner stopped it
    [event("VM.STOP", 0, "system"), event("VM.START", 1), event("VM.STOP", 2)],
    [event("VM.STOP", 0, "system"), event("VM.STOP", 1)],
    [event("VM.STOP", 3, "system", vm="vm-2"), event("VM.STOP", 1)],       # another VM's power-off
    [event("VM.STOP", 3, "admin", OUT_OF_BAND)],                           # the words, by a user
    [event("VM.STOP", 2, "system"), event("VM.START", 2)],                 # the same second: no false alarm
])
def test_what_passes(events):
    assert findings(*events) == []


def test_the_newest_counts_whatever_the_listing_order():
    assert findings(event("VM.STOP", 5, "system"), event("VM.STOP", 4), event("VM.START", 3))


def test_discovery_keeps_stopped_vms_by_uuid_and_notes_rows_without_id():
    notes: list[str] = []
    rows = [{"id": "u-1", "name": "web", "instancename": "i-2-3-VM", "state": "Stopped", "zonename": "zone1",
             "haenable": True, "account": 7}, {"name": "no-id", "state": "Stopped"},
            {"id": "u-2", "name": "web", "state": "Running", "zonename": "zone1"}]
    [target] = stopped_vm_targets(rows, notes)
    assert (target.id, target.attrs.name, target.attrs.haenable, target.attrs.account) == (
        "vm://zone1/u-1", "web", True, None)
    assert notes == ["CloudStack API: listVirtualMachines state=Stopped: row 2 has no id; not a target"]


def test_ha_enabled_vms_are_out_of_scope():
    vm = SimpleNamespace(attrs=SimpleNamespace(name="db", haenable=True))
    assert _vm_without_ha(vm, None, None, None) == "VM db has HA enabled: CloudStack restarts it itself"
    assert _vm_without_ha(SimpleNamespace(attrs=SimpleNamespace(name="db", haenable=False)), None, None, None) is None
