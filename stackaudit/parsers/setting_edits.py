"""MS-CONFIG-ACTIVE's readings: the settings CloudStack's events say were changed, and when the
management server's process started and its start-only files were last modified.

- A setting's change is a `CONFIGURATION.VALUE.EDIT` event (EventTypes). ConfigurationManagerImpl's
  updateConfiguration sets its details to `" Name: " + name + " New Value: " + value` (a name holding
  "password" gets `*****`), and ActionEventInterceptor stores the description followed by ". " and
  those details. Only the name is read; the value is never kept.
- The API writes dates as `yyyy-MM-dd'T'HH:mm:ssZ` (ApiResponseGsonHelper), e.g.
  `2024-03-05T10:15:30+0000`.
- Recorded: the event rows of a CloudStack 2.2.14 database (tests/data/recorded/SOURCES.md) hold
  `Successfully completed updating configuration.  Name: instance.name New Value: st`; listEvents
  gives an event's stored description as its `description`. No listEvents answer holding such an
  event was found, so an edit event whose description names no setting is unparsable (broken),
  never skipped.
- The process's start is the target's `date +%s` less `ps -o etimes= -p PID` (seconds since it
  started; procps), so no time zone is involved (START_COMMAND, collect/declared/processes.py).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from stackaudit.errors import UnparsableOutput
from stackaudit.parsers.events import parse_events
from stackaudit.parsers.files import parse_epoch
from stackaudit.parsers.jvm import MAIN_PID_PREFIX
from stackaudit.parsers.numbers import read_decimal, shown
from stackaudit.parsers.procs import read_pid

CONFIG_EDIT = "CONFIGURATION.VALUE.EDIT"
# Read once at start (log4j-cloud.xml is not: log4j2 rereads it every 60 s).
START_ONLY_FILES = tuple(f"/etc/cloudstack/management/{name}"
                         for name in ("db.properties", "server.properties", "key", "environment.properties"))
# The name is what updateConfiguration was given, which never holds a blank; the value is not captured.
EDITED_NAME = re.compile(r"(?:^|\s)Name: (\S+) New Value:")


@dataclass(frozen=True)
class SettingEdit:
    name: str
    created: datetime     # time-zone aware


def edited_setting(description: str) -> str | None:
    """The setting a CONFIGURATION.VALUE.EDIT event's description names; None when it names none."""
    match = EDITED_NAME.search(description)
    return match.group(1) if match else None


def parse_setting_edits(rows) -> list[SettingEdit]:
    """The setting edits among listEvents rows (parsers/events.py reads the rows); an edit event whose
    description names no setting, or that has no date, is unparsable: it cannot be judged, so it is
    never skipped."""
    edits = []
    for number, event in enumerate(parse_events(rows), 1):
        if event.type != CONFIG_EDIT:
            continue
        where = f"API listEvents: row {number} ({CONFIG_EDIT})"
        name = edited_setting(event.description) if event.description is not None else None
        if name is None:
            raise UnparsableOutput(f"{where}: its description names no setting (' Name: <setting> New Value: ')")
        if event.when is None:
            raise UnparsableOutput(f"{where}: it has no created date")
        edits.append(SettingEdit(name, event.when))
    return edits


def parse_elapsed_seconds(text: str) -> int:
    """`ps -o etimes= -p PID`: one number, the seconds since the process started (right-aligned)."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if len(lines) != 1:
        raise UnparsableOutput(f"ps -o etimes=: expected one line, got {len(lines)}")
    return read_decimal(lines[0], "ps -o etimes=")


@dataclass(frozen=True)
class ServerStart:
    main_pid: int | None                 # None: systemd has no main process (MainPID=0: not running)
    started: int | None = None           # epoch seconds, the target's clock less the process's age
    file_mtimes: tuple[tuple[str, int | None], ...] = ()   # START_ONLY_FILES' mtimes; None: no such file


def parse_server_start(text: str) -> ServerStart:
    """START_COMMAND's output: `systemctl show -p MainPID`'s line, then for a running unit the
    target's `date +%s`, the main process's `ps -o etimes=`, and one line per start-only file:

        MainPID=8412
        now 1733500000
        etimes 86461
        mtime 1733400000 /etc/cloudstack/management/db.properties
        absent /etc/cloudstack/management/key
    """
    lines = text.splitlines()
    if not lines or not lines[0].startswith(MAIN_PID_PREFIX):
        raise UnparsableOutput(f"server start line 1: expected {MAIN_PID_PREFIX}<pid>, got "
                               f"{shown(lines[0] if lines else '')}")
    if lines[0] == MAIN_PID_PREFIX + "0":
        if len(lines) > 1:
            raise UnparsableOutput(f"server start line 2: output after {MAIN_PID_PREFIX}0: {shown(lines[1])}")
        return ServerStart(None)
    pid = read_pid(lines[0][len(MAIN_PID_PREFIX):], "server start line 1")
    expected = ["now", "etimes", *(["file"] * len(START_ONLY_FILES))]
    if len(lines) != 1 + len(expected):
        raise UnparsableOutput(f"server start: expected {1 + len(expected)} lines for PID {pid}, got {len(lines)}")
    now = parse_epoch(labelled(lines[1], "now", 2))
    elapsed = parse_elapsed_seconds(labelled(lines[2], "etimes", 3))
    mtimes = tuple((path, file_mtime(line, path, number))
                   for number, (line, path) in enumerate(zip(lines[3:], START_ONLY_FILES), start=4))
    return ServerStart(pid, now - elapsed, mtimes)


def labelled(line: str, label: str, number: int) -> str:
    if not line.startswith(label + " "):
        raise UnparsableOutput(f"server start line {number}: expected '{label} <number>', got {shown(line)}")
    return line[len(label) + 1:]


def file_mtime(line: str, path: str, number: int) -> int | None:
    """`mtime <seconds> <path>` (stat -c %Y) or `absent <path>`, for the file expected at that line."""
    if line == f"absent {path}":
        return None
    head, _, rest = line.partition(" ")
    seconds, _, named = rest.partition(" ")
    if head != "mtime" or named != path:
        raise UnparsableOutput(f"server start line {number}: expected 'mtime <seconds> {path}' or "
                               f"'absent {path}', got {shown(line)}")
    return parse_epoch(seconds)
