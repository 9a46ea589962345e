"""CloudStack API list rows as the suite reads them: one dataclass per list command, built where the
rows enter a check (Facts.api_rows), like tempest's clients validate each response.

CloudStack serializes a response object's fields that are set and leaves out those that are null
(ApiResponseSerializer with Gson, apache/cloudstack server/src/main/java/com/cloud/api/
ApiResponseSerializer.java): a field the suite only reads when present is None when absent. A
field every row of the command has (`name`) missing, or a field of the wrong JSON type, is not
what CloudStack sends: UnparsableOutput names the command, the row and the field.
"""
from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from stackaudit.errors import UnparsableOutput

@dataclass(frozen=True)
class ManagementServerRow:
    name: str
    state: str | None = None
    version: str | None = None


@dataclass(frozen=True)
class HostRow:
    name: str
    state: str | None = None
    resourcestate: str | None = None
    version: str | None = None
    # capacities as the API gives them (numbers or numeric strings); read by rules/gate.py
    cpuwithoverprovisioning: Any = None
    cpuallocatedvalue: Any = None
    memorywithoverprovisioning: Any = None
    memorytotal: Any = None
    memoryallocatedbytes: Any = None
    memoryallocated: Any = None


@dataclass(frozen=True)
class SystemVmRow:
    name: str
    state: str | None = None
    systemvmtype: str | None = None


ROWS = {"listManagementServers": ManagementServerRow, "listHosts": HostRow, "listSystemVms": SystemVmRow}
TEXT_FIELDS = {"name", "state", "resourcestate", "version", "systemvmtype"}


def parse_api_rows(command: str, rows) -> list:
    """A list command's rows (JSON objects) as its dataclass."""
    cls = ROWS[command]
    if not isinstance(rows, list):
        raise UnparsableOutput(f"API {command}: expected a list of rows, got {type(rows).__name__}")
    parsed = []
    for number, row in enumerate(rows, 1):
        if not isinstance(row, dict):
            raise UnparsableOutput(f"API {command}: row {number} is not an object")
        label = f"API {command}: row {number} ({row.get('name', 'no name')!r})"
        values = {}
        for field in fields(cls):
            if field.name not in row:
                if field.default is not None:
                    raise UnparsableOutput(f"{label} has no field {field.name}")
                continue
            value = row[field.name]
            if field.name in TEXT_FIELDS and not isinstance(value, str):
                raise UnparsableOutput(f"{label}: field {field.name} is {type(value).__name__}, not text")
            values[field.name] = value
        parsed.append(cls(**values))
    return parsed


@dataclass(frozen=True)
class SchemaVersionRow:
    """A row of cloud.version (SELECT id, version, step FROM cloud.version)."""
    id: int
    version: str
    step: str


def parse_schema_versions(rows) -> list[SchemaVersionRow]:
    """`SELECT id, version, step FROM cloud.version ORDER BY id` rows (PyMySQL DictCursor dicts)."""
    if not isinstance(rows, list):
        raise UnparsableOutput(f"SQL schema_versions: expected rows, got {type(rows).__name__}")
    parsed = []
    for number, row in enumerate(rows, 1):
        if not isinstance(row, dict):
            raise UnparsableOutput(f"SQL schema_versions: row {number} is not a row")
        missing = [name for name in ("id", "version", "step") if name not in row]
        if missing:
            raise UnparsableOutput(f"SQL schema_versions: row {number} has no field {missing[0]}")
        identifier = row["id"]
        if isinstance(identifier, bool) or not (isinstance(identifier, int) or
                                                (isinstance(identifier, str) and identifier.isascii()
                                                 and identifier.isdigit())):
            raise UnparsableOutput(f"SQL schema_versions: row {number}: id {identifier!r} is not a number")
        parsed.append(SchemaVersionRow(int(identifier), str(row["version"]), str(row["step"])))
    return parsed
