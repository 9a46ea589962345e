"""System VM templates as the CloudStack API lists them (CLOUD-SYSTEMVM-TEMPLATE).

Shapes: Apache CloudStack's TemplateResponse (api/src/main/java/org/apache/
cloudstack/api/response/, https://github.com/apache/cloudstack). `listTemplates templatefilter=system`
lists one row per template and zone, e.g. (tests/data/recorded/listtemplates-cloudstack-issue2821.json,
there of templatefilter=self):

    {"id": "a50873bf-...", "name": "ansible-template-sufix", "hypervisor": "Simulator", "isready": false,
     "templatetype": "USER", "zoneid": "a68287cf-...", "zonename": "Sandbox-simulator-basic", ...}
"""
from __future__ import annotations

from dataclasses import dataclass

from stackaudit.errors import UnparsableOutput
from stackaudit.parsers.api_rows import _rows


@dataclass(frozen=True)
class TemplateRow:
    id: str
    name: str
    isready: bool
    zoneid: str | None = None          # absent for a cross-zone template not yet in any zone
    hypervisor: str | None = None
    templatetype: str | None = None
    created: str | None = None


def parse_templates(rows, call: str = "API listTemplates templatefilter=system") -> list[TemplateRow]:
    parsed = _rows(call, TemplateRow, rows, {"id", "name", "zoneid", "hypervisor", "templatetype", "created"})
    for number, row in enumerate(parsed, 1):
        if not isinstance(row.isready, bool):
            raise UnparsableOutput(f"{call}: row {number} ({row.name!r}): field isready is "
                                   f"{type(row.isready).__name__}, not a boolean")
    return parsed

