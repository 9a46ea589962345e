"""MS-VHDUTIL: vhd-util, which CloudStack's XenServer support runs from the management server's scripts
directory, is there as a regular file executable by its owner, group and others. The install guide
("Downloading vhd-util") copies it into that directory; ShapeBlue's Ansible role installs it with
`mode=0755` (apache/cloudstack-documentation, developersguide/ansible.rst). It is not packaged, and
the upgrade notes ask for it to be copied again.
"""
from __future__ import annotations

from stackaudit.parsers.iso_tools import VHD_UTIL
from stackaudit.parsers.stat_modes import FileMode


def vhd_util_findings(found: list[FileMode]) -> tuple[list[str], dict]:
    evidence = {f.path: f"{f.kind}, mode {f.mode:04o}, {f.user}:{f.group}" for f in found}
    if not found:
        return [f"{VHD_UTIL} is missing: XenServer volume, snapshot and template operations from this server fail; "
                "download vhd-util there and chmod 755 it"], evidence
    tool = found[0]
    if not tool.regular:
        return [f"{VHD_UTIL} is a {tool.kind}, not a program"], evidence
    if tool.mode & 0o111 != 0o111:
        return [f"{VHD_UTIL} has mode {tool.mode:04o}: not executable by owner, group and others; chmod 755 it"], evidence
    return [], evidence
