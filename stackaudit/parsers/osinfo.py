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


# Debian's release numbers by codename (Debian's distro-info-data, debian.csv). A testing or
# unstable system's /etc/debian_version names the next release's codename (`trixie/sid`), which
# is how Debian's lsb_release (lsb package, lsb_release.py guess_debian_release) reads it too: a
# first character that is a digit is a numbered release, anything else a codename.
DEBIAN_CODENAMES = {"wheezy": "7", "jessie": "8", "stretch": "9", "buster": "10", "bullseye": "11",
                    "bookworm": "12", "trixie": "13", "forky": "14", "duke": "15"}


@dataclass(frozen=True)
class DebianRelease:
    text: str                 # as in the file, e.g. "11.8" or "trixie/sid"
    major: str | None         # "11"; None for a codename Debian has not numbered (sid)
    testing: bool = False     # a codename/sid system: the release before it was published

    @property
    def name(self) -> str:
        if self.major is None:
            return f"Debian {self.text}"
        return f"Debian {self.major}" + (f" ({self.text})" if self.testing else "")


def parse_debian_version(text: str) -> DebianRelease:
    """/etc/debian_version (base-files): one line, a numbered release or, on testing and unstable,
    `codename/sid`.

        12.12
        7.11
        trixie/sid
    """
    value = text.strip()
    if "\n" in value:
        raise UnparsableOutput(f"/etc/debian_version: more than one line: {value[:40]!r}")
    numbered = re.fullmatch(r"([0-9]+)(?:\.[0-9]+)*", value)
    if numbered:
        return DebianRelease(value, numbered.group(1))
    codename = re.fullmatch(r"([a-z]+)(?:/sid)?", value)
    if not codename:
        raise UnparsableOutput(f"/etc/debian_version: {value[:40]!r} is neither a numbered Debian release "
                               "nor a codename such as trixie/sid")
    return DebianRelease(value, DEBIAN_CODENAMES.get(codename.group(1)), testing=True)
