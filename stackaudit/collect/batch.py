"""One remote exec for many commands: the batch script, and splitting its output per command.

The script travels on the exec's stdin (`/bin/sh -s`), so nothing of it is on the target's command
lines (/proc/<pid>/cmdline is readable by every local user). Each command's stdout goes to the
exec's stdout and its stderr to the exec's stderr, each through its own `sed 's/^/|/'`: every line
a command prints reaches us behind a `|`, and every line the script prints itself (a frame) begins
with `@`. No output can forge a frame, whatever it holds; no random token is needed.

    stdout                          stderr
    @begin os_release               @begin os_release
    |PRETTY_NAME="Debian GNU/...    |
    |                               @end os_release
    @end os_release 0               @begin rules_v4
    @begin rules_v4                 |cat: /etc/iptables/rules.v4: No such file or directory
    |                               |
    @end rules_v4 1                 @end rules_v4

The script ends each command's output with one newline of its own, so sed only ever reads whole
lines (POSIX leaves an unterminated last line to the implementation) and the output comes back
byte for byte, with or without its own last newline. The exit code is the command's own: it is
written to a descriptor of its own (a pipeline's status is its last command's, and POSIX sh has
no pipefail). Commands read /dev/null, not the script. Only POSIX sh, sed and printf are used
(Debian's dash, XenServer dom0's bash, a system VM's dash).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from stackaudit.errors import UnparsableOutput

CONTENT = b"|"          # begins every line a command printed
NAME = re.compile(r"[a-z0-9_]+")
BEGIN = re.compile(rb"@begin ([a-z0-9_]+)\n")
END = {"stdout": re.compile(rb"@end ([a-z0-9_]+) ([0-9]{1,3})\n"), "stderr": re.compile(rb"@end ([a-z0-9_]+)()\n")}
# The end of a section's content: a newline whose next line does not begin with CONTENT.
NOT_CONTENT = re.compile(rb"\n[^|]")
# Runs one command: its stdout (fd 1) and stderr (fd 2) through a sed each, to the script's own
# stdout and stderr (saved as 4 and 5), its exit code to fd 3, the command substitution's pipe.
# That substitution ends when both seds have exited (they hold fd 3), so the end frames follow
# the last framed line. The command runs in a subshell of its own (an `exit` in it ends only
# that) and gets none of 3-6.
RUN = """rc=$( { { { (
%s
) </dev/null 3>&- 4>&- 5>&- 6>&-; echo $? >&3; echo; echo >&2; } 2>&1 1>&6 | sed 's/^/|/' >&5; } 6>&1 \
| sed 's/^/|/' >&4; } 3>&1 )"""


@dataclass(frozen=True)
class Section:
    exit_code: int
    stdout: str
    stderr: str


@dataclass(frozen=True)
class RawSection:
    """A command's output as it came, before it is decoded."""
    exit_code: int
    stdout: bytes
    stderr: bytes


def build_batch_script(commands: dict[str, str]) -> str:
    """A POSIX sh script, to be read on stdin, that runs each command once, in order, and frames its output."""
    lines = ["exec 4>&1 5>&2", "LC_ALL=C; export LC_ALL"]
    for name, command in commands.items():
        if not NAME.fullmatch(name):
            raise ValueError(f"section name {name!r}: use lower-case letters, digits and '_'")
        lines += [f"printf '@begin {name}\\n'; printf '@begin {name}\\n' >&2",
                  RUN % command,
                  f"printf '@end {name} %s\\n' \"$rc\"; printf '@end {name}\\n' >&2"]
    return "\n".join(lines) + "\n"


def split_sections(stdout: bytes, stderr: bytes, names: list[str]) -> dict[str, RawSection]:
    """The batch's output, one RawSection per command, exactly the commands asked for, in order.

    Anything else (a repeated, unexpected or missing section, a section out of order, a line
    outside any section, output cut short) is UnparsableOutput, "garbled output: <why>": a target
    whose output cannot be told apart is not checked at all. Linear in the output: each frame is
    matched where the previous one ended, each section's content found with one scan for a line
    that does not begin with `|`."""
    out = _split_stream(stdout, names, "stdout")
    err = _split_stream(stderr, names, "stderr")
    return {name: RawSection(int(out[name][1]), out[name][0], err[name][0]) for name in names}


def parse_sections(stdout: bytes, stderr: bytes, names: list[str]) -> dict[str, Section]:
    """split_sections, decoded."""
    return {name: decoded(section, name) for name, section in split_sections(stdout, stderr, names).items()}


def decoded(raw: RawSection, name: str) -> Section:
    """A section as text; output that is not UTF-8 is garbled, not decoded by guesswork."""
    return Section(raw.exit_code, _utf8(raw.stdout, name, "stdout"), _utf8(raw.stderr, name, "stderr"))


def _utf8(data: bytes, name: str, stream: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise UnparsableOutput(f"garbled output: not UTF-8 text in {stream} of section {name!r} "
                               f"(byte 0x{data[err.start]:02x} at offset {err.start})") from None


def _split_stream(text: bytes, names: list[str], stream: str) -> dict[str, tuple[bytes, bytes]]:
    sections: dict[str, tuple[bytes, bytes]] = {}
    position = 0
    for name in names:
        opened = BEGIN.match(text, position)
        if not opened or opened[1].decode() != name:
            raise _garbled(stream, _unexpected(text, position, name, names, sections))
        start = opened.end()
        last = NOT_CONTENT.search(text, start)
        if not last:
            raise _garbled(stream, f"cut short in section {name!r} ({len(sections)} of {len(names)} sections complete)")
        if not text.startswith(CONTENT, start):   # the script's own newline makes at least one line
            raise _garbled(stream, f"section {name!r} has no framed output: {_line_at(text, start)}")
        closed = END[stream].match(text, last.start() + 1)
        if not closed or closed[1].decode() != name:
            raise _garbled(stream, f"section {name!r} does not end where its output does: "
                                   f"{_line_at(text, last.start() + 1)}")
        sections[name] = (text[start + 1:last.start()].replace(b"\n|", b"\n"), closed[2])
        position = closed.end()
    if position != len(text):
        raise _garbled(stream, _unexpected(text, position, None, names, sections))
    return sections


def _unexpected(text: bytes, position: int, expected: str | None, names: list[str], seen: dict) -> str:
    """Why the text at `position` is not the beginning of section `expected` (None: after the last)."""
    if position >= len(text):
        return f"cut short before section {expected!r} ({len(seen)} of {len(names)} sections complete)"
    opened = BEGIN.match(text, position)
    found = opened[1].decode() if opened else None
    if found in seen:
        return f"section {found!r} repeated"
    if found in names:
        return f"section {found!r} out of order (expected {expected!r})"
    if found is not None:
        return f"unexpected section {found!r}"
    place = f"where section {expected!r} should begin" if expected else "after the last section"
    return f"unexpected text {place}: {_line_at(text, position)}"


def _line_at(text: bytes, position: int) -> str:
    end = text.find(b"\n", position, position + 81)
    return repr(text[position:end if end >= 0 else position + 80].decode("utf-8", "replace"))


def _garbled(stream: str, reason: str) -> UnparsableOutput:
    return UnparsableOutput(f"garbled output: {stream}: {reason}")
