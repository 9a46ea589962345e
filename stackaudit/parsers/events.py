"""CloudStack events as `listEvents` lists them (CLOUD-VMS-RESTARTED).

Shape: Apache CloudStack's EventResponse (https://github.com/apache/cloudstack); recorded rows in
tests/data/recorded/listevents-cloudstack-pr7421.json:

    {"id": "e55c9bf2-...", "type": "VM.CREATE", "state": "Completed", "username": "admin",
     "description": "Successfully completed deploying Vm. Vm Id: 5d8dd74a-...",
     "resourceid": "5d8dd74a-...", "resourcetype": "VirtualMachine", "created": "2023-05-08T10:11:12+0000"}

`created` is CloudStack's API date format (yyyy-MM-dd'T'HH:mm:ssZ, e.g. +0000), read into an aware
datetime; an event without one, or without `resourceid`, cannot be placed in a VM's history.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from stackaudit.errors import UnparsableOutput
from stackaudit.parsers.api_rows import _rows

API_DATE = "%Y-%m-%dT%H:%M:%S%z"
# What that format writes (ApiResponseGsonHelper's yyyy-MM-dd'T'HH:mm:ssZ): ASCII digits, a numeric
# offset; strptime alone would also take other scripts' digits and `Z`.
API_DATE_SHAPE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}[+-][0-9]{4}")


@dataclass(frozen=True)
class EventRow:
    id: str
    type: str
    description: str | None = None
    state: str | None = None
    username: str | None = None
    account: str | None = None
    resourceid: str | None = None
    created: str | None = None

    @property
    def when(self) -> datetime | None:
        return None if self.created is None else datetime.strptime(self.created, API_DATE)


def parse_events(rows, call: str = "API listEvents") -> list[EventRow]:
    parsed = _rows(call, EventRow, rows, {"id", "type", "description", "state", "username", "account",
                                          "resourceid", "created"})
    for number, event in enumerate(parsed, 1):
        try:
            if event.created is not None and not API_DATE_SHAPE.fullmatch(event.created):
                raise ValueError(event.created)
            event.when
        except ValueError:
            raise UnparsableOutput(f"{call}: row {number} (event {event.id}): created {event.created!r} is not "
                                   "CloudStack's date format (e.g. 2025-03-02T10:11:12+0000)") from None
    return parsed
