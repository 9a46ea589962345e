"""/etc/os-release and /etc/debian_version."""
from __future__ import annotations

import re
from dataclasses import dataclass

from stackaudit.errors import UnparsableOutput
from stackaudit.parsers.properties import parse_shell_assignments


def parse_os_release(text: str) -> dict[str, str]:
    """os-release(5): shell-style KEY=value lines, values optionally quoted.

        PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"
        VERSION_ID="12"
        ID=debian
    """
    return parse_shell_assignments(text, "os-release")


@dataclass(frozen=True)
class DebianRelease:
    text: str     # as in the file, e.g. "11.8"
    major: str    # "11"


def parse_debian_version(text: str) -> DebianRelease:
    """/etc/debian_version: `7.11`, `10.13`, `12.12` (a testing system says `trixie/sid`: no major)."""
    value = text.strip()
    match = re.fullmatch(r"(\d+)(\.\d+)*", value)
    if not match:
        raise UnparsableOutput(f"/etc/debian_version: {value[:40]!r} is not a numbered Debian release")
    return DebianRelease(value, match.group(1))
