"""Programs CloudStack runs from the management server's file system, as its stat shows them: the
ones it builds config-drive ISOs with, and vhd-util for XenServer (VHD_UTIL, MS-VHDUTIL).

CloudStack's ConfigDriveBuilder.getProgramToGenerateIso (apache/cloudstack,
engine/storage/configdrive/.../ConfigDriveBuilder.java) takes the first of these paths that exists
(File.exists) and then requires it to be executable (File.canExecute), so the order matters.
"""
from __future__ import annotations

from stackaudit.errors import UnparsableOutput
from stackaudit.parsers.stat_modes import FileMode, parse_stat_blocks

ISO_TOOLS = ("/usr/bin/genisoimage", "/usr/bin/mkisofs", "/usr/local/bin/mkisofs")
# where the install guide puts vhd-util ("Download and install vhd-util") and CloudStack runs it from
VHD_UTIL = "/usr/share/cloudstack-common/scripts/vm/hypervisor/xenserver/vhd-util"


def parse_iso_tools(text: str) -> list[FileMode]:
    """The paths of ISO_TOOLS that exist, in CloudStack's order (stat -L of each; none: empty)."""
    found = parse_stat_blocks(text)
    paths = [f.path for f in found]
    if any(p not in ISO_TOOLS for p in paths) or paths != [p for p in ISO_TOOLS if p in paths]:
        raise UnparsableOutput(f"stat named {paths}, expected some of {', '.join(ISO_TOOLS)} in that order")
    return found
