"""CloudStack events and a process's age, for MS-CONFIG-ACTIVE (not yet a registered check: see
docs/ms-build.md).

- A setting's change is a `CONFIGURATION.VALUE.EDIT` event (EventTypes). ConfigurationManagerImpl's
  updateConfiguration sets its details to `" Name: " + name + " New Value: " + value` (a name holding
  "password" gets `*****`), and ActionEventInterceptor stores the description followed by ". " and
  those details. Only the name is read; the value is never kept.
- The API writes dates as `yyyy-MM-dd'T'HH:mm:ssZ` (ApiResponseGsonHelper), e.g.
  `2024-03-05T10:15:30+0000`.
- The process's start is the target's `date +%s` less `ps -o etimes= -p PID` (seconds since it
  started; procps), so no time zone is involved.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from stackaudit.errors import UnparsableOutput
from stackaudit.parsers.numbers import read_decimal

CONFIG_EDIT = "CONFIGURATION.VALUE.EDIT"
# The name is what updateConfiguration was given, which never holds a blank; the value is not captured.
EDITED_NAME = re.compile(r"(?:^|\s)Name: (\S+) New Value:")
API_TIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}[+-][0-9]{4}")


@dataclass(frozen=True)
class SettingEdit:
    name: str
    created: datetime     # time-zone aware


def edited_setting(description: str) -> str | None:
    """The setting a CONFIGURATION.VALUE.EDIT event's description names; None when it names none."""
    match = EDITED_NAME.search(description)
    return match.group(1) if match else None


def parse_api_time(text: str, where: str) -> datetime:
    if not isinstance(text, str) or not API_TIME.fullmatch(text):
        raise UnparsableOutput(f"{where}: expected a date as yyyy-MM-dd'T'HH:mm:ssZ, got {str(text)[:40]!r}")
    try:
        return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S%z")
    except ValueError:
        raise UnparsableOutput(f"{where}: {text!r} is not a date") from None


def parse_setting_edits(rows) -> list[SettingEdit]:
    """The setting edits among listEvents rows (type, description, created); an edit event whose
    description names no setting is unparsable: it cannot be judged, so it is never skipped."""
    if not isinstance(rows, list):
        raise UnparsableOutput(f"API listEvents: expected a list of rows, got {type(rows).__name__}")
    edits = []
    for number, row in enumerate(rows, 1):
        if not isinstance(row, dict) or row.get("type") != CONFIG_EDIT:
            continue
        where = f"API listEvents: row {number} ({CONFIG_EDIT})"
        description = row.get("description")
        name = edited_setting(description) if isinstance(description, str) else None
        if name is None:
            raise UnparsableOutput(f"{where}: its description names no setting (' Name: <setting> New Value: ')")
        edits.append(SettingEdit(name, parse_api_time(row.get("created"), where)))
    return edits


def parse_elapsed_seconds(text: str) -> int:
    """`ps -o etimes= -p PID`: one number, the seconds since the process started (right-aligned)."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if len(lines) != 1:
        raise UnparsableOutput(f"ps -o etimes=: expected one line, got {len(lines)}")
    return read_decimal(lines[0], "ps -o etimes=")
