"""What a host runs at boot: the paths a listing of init scripts and rc links found, and which
lines of an rc.local run a given script, read as sh reads them.

The uniquifier this reads for (remibergsma/uniqueXenServer, xenserver_make_unique.sh) appends
`sh /etc/rc.local.fix >> /var/log/rc.local.fix 2>&1` to /etc/rc.local.
"""
from __future__ import annotations

import posixpath
import shlex
from dataclasses import dataclass

from stackaudit.errors import UnparsableOutput
from stackaudit.parsers.properties import without_shell_comment

# Programs that run a script file named as their first operand (`sh FILE`, `bash -x FILE`).
SHELLS = frozenset({"sh", "bash", "dash", "ash", "ksh", "zsh", "busybox"})
# Words that run the command after them (`exec sh FILE`, `nohup FILE &`).
PREFIXES = frozenset({"exec", "nohup", "command", "setsid", "nice", "env", "time"})
SEPARATORS = frozenset({";", "&", "&&", "||", "|", "(", ")", ";;", "|&"})
RESERVED = frozenset({"if", "then", "else", "elif", "do", "while", "until", "!", "{", "}"})
OPERATORS = ";&|()<>"
MAKE_UNIQUE_INIT_SCRIPT = "/etc/init.d/xenserver_make_unique"
MAKE_UNIQUE_SCRIPT = "/opt/xenserver_make_unique.sh"
RC_LOCAL_FIX = "/etc/rc.local.fix"


@dataclass(frozen=True)
class BootPaths:
    """The listing of MAKE_UNIQUE_PATHS_COMMAND (collect/declared/files.py)."""
    present: list[str]          # paths that exist (a dangling symlink counts: rc runs what it names)
    same_files: list[tuple[str, str]]   # pairs of paths that are one file (/etc/rc.local -> rc.d/rc.local)


@dataclass(frozen=True)
class ScriptRun:
    line_number: int
    line: str


@dataclass(frozen=True)
class MakeUniqueLeftovers:
    paths: BootPaths
    rc_local_runs: dict[str, list[ScriptRun]]   # rc.local path -> its lines that run RC_LOCAL_FIX


def parse_boot_paths(text: str) -> BootPaths:
    """`present<TAB>/path`, `same<TAB>/a<TAB>/b` and `unreadable<TAB>/dir` lines; an unreadable
    directory means its entries are unknown, so the listing cannot tell absence.

        present\t/etc/init.d/xenserver_make_unique
        present\t/etc/rc.d/rc3.d/S24xenserver_make_unique
        same\t/etc/rc.local\t/etc/rc.d/rc.local
    """
    present, same = [], []
    for number, line in enumerate(text.splitlines(), 1):
        fields = line.split("\t")
        if fields[0] == "unreadable" and len(fields) == 2:
            raise UnparsableOutput(f"boot script listing: directory {fields[1]} cannot be read, so what it holds "
                                   "is unknown")
        if fields[0] == "present" and len(fields) == 2 and fields[1].startswith("/"):
            present.append(fields[1])
        elif fields[0] == "same" and len(fields) == 3 and all(f.startswith("/") for f in fields[1:]):
            same.append((fields[1], fields[2]))
        elif line:
            raise UnparsableOutput(f"boot script listing line {number}: expected 'present<TAB>/path' or "
                                   f"'same<TAB>/path<TAB>/path', got {line[:80]!r}")
    return BootPaths(present, same)


def without_comment(line: str) -> str:
    return without_shell_comment(line, OPERATORS)


def simple_commands(text: str) -> list[list[str]]:
    """The words of each simple command in a line; ValueError for an unclosed quote."""
    lexer = shlex.shlex(text, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    lexer.commenters = ""
    commands, words = [], []
    for token in lexer:
        if token in SEPARATORS:
            commands.append(words)
            words = []
        else:
            words.append(token)
    return [c for c in commands + [words] if c]


def runs_script(words: list[str], script: str) -> bool:
    """Whether a simple command runs `script`: `script`, `sh [-opts] script`, `. script`,
    `source script`, `sh -c 'script'`, after assignments, reserved words and prefixes."""
    index = 0
    while index < len(words) and ("=" in words[index].split("/")[0] and not words[index].startswith("=")
                                  or words[index] in RESERVED or words[index] in PREFIXES):
        index += 1
    if index >= len(words):
        return False
    program = words[index]
    if is_path(program, script):
        return True
    operands = words[index + 1:]
    if program in (".", "source"):
        return bool(operands) and is_path(operands[0], script)
    if posixpath.basename(program) in SHELLS:
        for position, word in enumerate(operands):
            if word == "-c":
                return position + 1 < len(operands) and script_run_in(operands[position + 1], script)
            if not word.startswith("-") and not word.startswith("+"):
                return is_path(word, script)
    return False


def is_path(word: str, script: str) -> bool:
    return word.startswith("/") and posixpath.normpath(word) == script


def script_run_in(text: str, script: str) -> bool:
    try:
        return any(runs_script(words, script) for words in simple_commands(without_comment(text)))
    except ValueError:
        return script in without_comment(text)


def parse_script_runs(text: str, script: str) -> list[ScriptRun]:
    """The lines of an rc.local (a POSIX sh script) that run `script`. Comments do not run; a line
    continued with a backslash is read with the next; a line sh cannot close (an open quote) that
    names the script counts as running it, so an odd line never hides a run. A run after an
    `exit` line still counts: the file would run it once that line goes.

        #!/bin/sh
        touch /var/lock/subsys/local
        sh /etc/rc.local.fix >> /var/log/rc.local.fix 2>&1
    """
    runs = []
    lines = text.splitlines()
    number = 0
    while number < len(lines):
        start = number
        parts = [lines[number]]
        while parts[-1].endswith("\\") and number + 1 < len(lines):
            parts[-1] = parts[-1][:-1]
            number += 1
            parts.append(lines[number])
        number += 1
        logical = "".join(parts)
        if script_run_in(logical, script):
            runs.append(ScriptRun(start + 1, logical.strip()))
    return runs
