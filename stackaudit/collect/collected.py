"""What a channel returned for one reading, typed, and the one place it is written to and read from
a target's raw facts (JSON).

The collectors make a `Collected` of each reading they run and store it with `store`; the facts'
value functions get it back with `load` (through `Facts.reading`), never by key names. The JSON
keeps the layout the fact store and its masking (config/redact.py) read (docs/facts.md):

    {"ssh": {"sections": {name: {exit_code, stdout, stderr, used, read_at}}},
     "sql": {"queries": {name: {rows, used, read_at} | {error, used, read_at}}},
     "xapi": {"records": {class: {ref: record}}, "read": {class: {used, read_at}}},
     "api": {name: answer, "read": {name: {used, read_at}}}}

A part that could not be collected at all is {"error": {type, message}} (errors.error_record).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

# Where each channel keeps its readings' outputs in its part (None: at the part's top level)
OUTPUTS = {"ssh": "sections", "sql": "queries", "xapi": "records", "api": None}


@dataclass(frozen=True)
class Collected:
    """One reading's answer: the text (SSH), rows (SQL), records (XAPI) or answer (API), with the
    command line, statement or call actually used, when it was read, and its error if it failed."""
    channel: str
    name: str
    output: Any = None
    used: str | None = None         # the command line, SQL statement, XAPI or API call
    read_at: str | None = None      # UTC, ISO 8601, to the second
    exit_code: int | None = None    # SSH only
    stderr: str = ""                # SSH only
    error: dict | None = None       # {"type", "message"} (errors.error_record) when this reading failed


def utc_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def store(channel: str, readings: list[Collected], **part) -> dict:
    """A channel's part of a target's raw facts, from its readings (all of that channel), with
    the part's own notes (tls, master_address, host_key, ...) in `part`."""
    outputs: dict[str, Any] = {}
    read: dict[str, dict] = {}
    for reading in readings:
        meta = {"used": reading.used, "read_at": reading.read_at}
        if channel == "ssh":
            outputs[reading.name] = {"exit_code": reading.exit_code, "stdout": reading.output,
                                     "stderr": reading.stderr, **meta}
        elif channel == "sql":
            answer = {"error": reading.error} if reading.error else {"rows": reading.output}
            outputs[reading.name] = {**answer, **meta}
        else:
            outputs[reading.name] = reading.output
            read[reading.name] = meta
    place = OUTPUTS[channel]
    stored = {place: outputs} if place else outputs
    if read:
        stored["read"] = read
    return {**stored, **part}


def load(channel: str, name: str, part: dict) -> Collected | None:
    """Reading `name` of a channel's part (errors already raised for the part as a whole); None:
    it was not read."""
    place = OUTPUTS[channel]
    outputs = part.get(place, {}) if place else part
    if name not in outputs or (place is None and name == "read"):
        return None
    entry = outputs[name]
    if channel in ("ssh", "sql") and not isinstance(entry, dict):
        entry = {}      # a record not of this shape: no output, which every reader refuses
    if channel == "ssh":
        return Collected(channel, name, entry.get("stdout"), entry.get("used"), entry.get("read_at"),
                         entry.get("exit_code"), entry.get("stderr", ""))
    if channel == "sql":
        return Collected(channel, name, entry.get("rows"), entry.get("used"), entry.get("read_at"),
                         error=entry.get("error"))
    meta = part.get("read", {}).get(name, {})
    return Collected(channel, name, entry, meta.get("used"), meta.get("read_at"))


def load_all(channel: str, part: dict | None) -> dict[str, Collected]:
    """Every reading of a channel that keeps its outputs under one key (ssh, sql, xapi), by name;
    {} for a part that failed as a whole or is absent."""
    if not isinstance(part, dict) or "error" in part or not isinstance(part.get(OUTPUTS[channel], {}), dict):
        return {}
    return {name: load(channel, name, part) for name in part.get(OUTPUTS[channel], {})}
