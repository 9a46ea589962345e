"""MS-MKISOFS: the program CloudStack would build config-drive ISOs with exists and user cloud may run it.

CloudStack takes the first of /usr/bin/genisoimage, /usr/bin/mkisofs, /usr/local/bin/mkisofs that
exists and fails when that one is not executable, even if a later one is ("Cannot create iso for
config drive using: <path>"): so the first that exists is judged, not any of them. The server runs
as `cloud` (MS-RUNS-AS-CLOUD); its other groups are not read, so a file only its group may run is
judged by the others' bit unless the group is named cloud.
"""
from __future__ import annotations

from stackaudit.parsers.iso_tools import ISO_TOOLS
from stackaudit.parsers.stat_modes import FileMode

SERVER_USER = "cloud"


def iso_tool_findings(found: list[FileMode]) -> tuple[list[str], dict]:
    evidence = {f.path: f"{f.kind}, mode {f.mode:04o}, {f.user}:{f.group}" for f in found}
    tried = ", ".join(ISO_TOOLS)
    if not found:
        return [f"none of {tried} exists: CloudStack cannot build config-drive ISOs (\"Cannot create iso for "
                "config drive using any know tool\"); install genisoimage"], evidence
    tool = found[0]
    if not tool.regular:
        return [f"{tool.path} is a {tool.kind}, not a program, and CloudStack takes it: it is the first of {tried} "
                "that exists"], evidence
    if not tool.executable_by(SERVER_USER):
        return [f"{tool.path} (mode {tool.mode:04o}, {tool.user}:{tool.group}) is not executable by user "
                f"{SERVER_USER}: CloudStack takes it, the first of {tried} that exists, and fails (\"Cannot create "
                f"iso for config drive using: {tool.path}\"); chmod 0755 it"], evidence
    return [], evidence
