"""One remote exec for many commands: the batch script, and splitting its output per command.

Every command's stdout goes straight through between two marker lines; its stderr is captured in
a shell variable and printed after the end marker, so the two are kept apart without writing a
temporary file on the target (the suite only reads). The markers carry a random token per run, so
no collected text can forge one.

    @@a1b2c3 begin iptables_save@@
    *filter
    ...
    @@a1b2c3 end iptables_save 0@@
    @@a1b2c3 stderr iptables_save@@
    @@a1b2c3 done iptables_save@@
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from stackaudit.errors import UnparsableOutput


@dataclass(frozen=True)
class Section:
    exit_code: int
    stdout: str
    stderr: str


def build_batch_script(commands: dict[str, str], token: str) -> str:
    """A POSIX sh script that runs each command once, in order, and frames its output."""
    lines = ["exec 3>&1", "LC_ALL=C; export LC_ALL"]
    for name, command in commands.items():
        if not re.fullmatch(r"[a-z0-9_]+", name):
            raise ValueError(f"section name {name!r}: use lower-case letters, digits and '_'")
        lines += [
            f"printf '%s\\n' '@@{token} begin {name}@@'",
            f"err=$( {{ {command} ; }} 2>&1 1>&3 3>&- ); rc=$?",
            f"printf '\\n%s\\n' \"@@{token} end {name} $rc@@\"",
            f"printf '%s\\n' '@@{token} stderr {name}@@' \"$err\" '@@{token} done {name}@@'",
        ]
    return "\n".join(lines) + "\n"


def parse_sections(text: str, token: str) -> dict[str, Section]:
    """Split the batch script's output into one Section per command."""
    pattern = re.compile(
        rf"@@{token} begin (?P<name>\w+)@@\n(?P<stdout>.*?)\n@@{token} end (?P=name) (?P<rc>\d+)@@\n"
        rf"@@{token} stderr (?P=name)@@\n(?P<stderr>.*?)\n?@@{token} done (?P=name)@@\n?", re.S)
    sections: dict[str, Section] = {}
    position = 0
    for match in pattern.finditer(text):
        if match.start() != position:
            raise UnparsableOutput(f"batch output: unexpected text before section {match['name']!r}: "
                                   f"{text[position:match.start()][:80]!r}")
        sections[match["name"]] = Section(int(match["rc"]), match["stdout"], match["stderr"])
        position = match.end()
    if position != len(text):
        raise UnparsableOutput(f"batch output: cut short or garbled after {len(sections)} sections: "
                               f"{text[position:position + 80]!r}")
    return sections
