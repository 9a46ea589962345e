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
    """Split the batch script's output into one Section per command.

    Each marker is looked up once with str.find, from where the last one ended: linear in the
    output, whatever it holds (a regex with lazy groups rescans the rest of the output at every
    marker-like line of a garbled output)."""
    begin = re.compile(rf"@@{token} begin (\w+)@@\n")
    end_of_stdout = re.compile(rf"([0-9]+)@@\n@@{token} stderr (\w+)@@\n")
    sections: dict[str, Section] = {}
    position = 0
    while position < len(text):
        opened = begin.match(text, position)
        if not opened:
            first = text.find(f"@@{token} begin ", position)
            if first > position and (later := begin.match(text, first)):
                raise UnparsableOutput(f"batch output: unexpected text before section {later[1]!r}: "
                                       f"{text[position:first][:80]!r}")
            break
        name, stdout_start = opened[1], opened.end()
        end = text.find(f"\n@@{token} end {name} ", stdout_start)
        closing = end_of_stdout.match(text, end + len(f"\n@@{token} end {name} ")) if end >= 0 else None
        if closing and closing[2] != name:
            closing = None
        done = text.find(f"@@{token} done {name}@@", closing.end()) if closing else -1
        if done < 0:
            break
        stderr = text[closing.end():done]
        stderr = stderr[:-1] if stderr.endswith("\n") else stderr
        sections[name] = Section(int(closing[1]), text[stdout_start:end], stderr)
        position = done + len(f"@@{token} done {name}@@")
        position += text.startswith("\n", position)
    if position != len(text):
        raise UnparsableOutput(f"batch output: cut short or garbled after {len(sections)} sections: "
                               f"{text[position:position + 80]!r}")
    return sections
