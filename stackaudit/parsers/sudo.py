"""A user's entry in `getent passwd` and what `sudo -l -U <user>`, run as root, says that user may do.

`sudo -l -U cloudstack` (sudo 1.9.13, Debian 12; tests/data/recorded/sudo-l-U-*.txt):

    Matching Defaults entries for cloudstack on kvm01:
        env_reset, mail_badpass,
        secure_path=/usr/local/sbin\\:/usr/local/bin\\:/usr/sbin\\:/usr/bin\\:/sbin\\:/bin,
        use_pty, !requiretty

    User cloudstack may run the following commands on kvm01:
        (ALL) NOPASSWD: ALL

sudo wraps each block at the terminal's width (80 without one), inside a quoted value too
(`env_keep="COLORS DISPLAY` / `INPUTRC KDEDIR"`), so a block is read as one text, split at commas
outside quotes. A rule's continuation lines are indented deeper than its first. Under script(1)'s
pty the lines end in CR LF. A user without any rule: `User cloudstack is not allowed to run sudo on kvm01.`
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from stackaudit.config.kinds import USER_NAME_PATTERN
from stackaudit.errors import UnparsableOutput

USER_NAME = re.compile(USER_NAME_PATTERN)
DEFAULTS_HEADER = re.compile(r"Matching Defaults entries for (\S+) on (.+):")
SPECIFIC_HEADER = re.compile(r"Runas and Command-specific defaults for (\S+):")
RULES_HEADER = re.compile(r"User (\S+) may run the following commands on (.+):")
NOT_ALLOWED = re.compile(r"User (\S+) is not allowed to run sudo on (.+)\.")
# Printed before the listing where the host's own name does not resolve; it changes nothing listed.
RESOLVE_WARNING = re.compile(r"sudo: unable to resolve host ")
RUNAS = re.compile(r"\(([^)]*)\)\s*")
TAG = re.compile(r"(NOPASSWD|PASSWD|NOEXEC|EXEC|SETENV|NOSETENV|LOG_INPUT|NOLOG_INPUT|LOG_OUTPUT|NOLOG_OUTPUT|"
                 r"MAIL|NOMAIL|FOLLOW|NOFOLLOW|INTERCEPT|NOINTERCEPT):\s*")


def is_user_name(text: str) -> bool:
    return bool(USER_NAME.fullmatch(text))


@dataclass(frozen=True)
class SudoCommand:
    runas: str               # "ALL", "ALL : ALL", "root"
    tags: tuple[str, ...]    # in force for this command: "NOPASSWD", "SETENV", ...
    command: str             # "ALL", "/usr/bin/cloudstack-setup-agent"


@dataclass(frozen=True)
class SudoList:
    user: str
    defaults: tuple[str, ...]            # "Matching Defaults entries", in order: "env_reset", "!requiretty"
    specific_defaults: tuple[str, ...]   # "Runas and Command-specific defaults"
    commands: tuple[SudoCommand, ...]    # empty: the user is not allowed to run sudo


def parse_getent_passwd(text: str | None, user: str) -> tuple[str, ...] | None:
    """The user's seven passwd fields, or None when getent found nothing (it exits 2, printing nothing)."""
    lines = [line for line in (text or "").splitlines() if line.strip()]
    if not lines:
        return None
    fields = tuple(lines[0].split(":"))
    if len(lines) != 1 or len(fields) != 7 or fields[0] != user:
        raise UnparsableOutput(f"getent passwd {user}: expected one line name:x:uid:gid:gecos:home:shell "
                               f"for {user}, got {lines[0][:80]!r}")
    return fields


def split_entries(block: str) -> list[str]:
    """`a, b="x, y", c` -> ["a", 'b="x, y"', "c"]: commas inside double quotes belong to the value."""
    entries, current, quoted, escaped = [], [], False, False
    for char in block:
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == '"':
            quoted = not quoted
        elif char == "," and not quoted:
            entries.append("".join(current).strip())
            current = []
            continue
        current.append(char)
    entries.append("".join(current).strip())
    return [e for e in entries if e]


def parse_rule(text: str) -> list[SudoCommand]:
    """One rule's text, `(ALL : ALL) SETENV: NOPASSWD: /usr/bin/a, /usr/bin/b` -> its commands; a tag
    holds for the commands after it until another tag replaces it (sudoers(5), "Tag_Spec")."""
    runas = ""
    match = RUNAS.match(text)
    if match:
        runas, text = " ".join(match.group(1).split()), text[match.end():]
    tags: dict[str, str] = {}
    commands = []
    for entry in split_entries(text):
        while (tag := TAG.match(entry)) is not None:
            tags[tag_family(tag.group(1))] = tag.group(1)
            entry = entry[tag.end():]
        if not entry:
            raise UnparsableOutput(f"sudo -l: a rule ends in a tag with no command: {text[:80]!r}")
        commands.append(SudoCommand(runas, tuple(tags.values()), entry))
    return commands


def tag_family(name: str) -> str:
    """NOPASSWD and PASSWD replace each other, as NOEXEC and EXEC do."""
    return "PASSWD" if name == "NOPASSWD" else name.removeprefix("NO")


def parse_sudo_list(text: str, user: str) -> SudoList:
    lines = [line.rstrip("\r\n") for line in text.replace("\r\n", "\n").split("\n")]
    lines = [line for line in lines if line.strip() and not RESOLVE_WARNING.match(line)]
    if not lines:
        raise UnparsableOutput(f"sudo -l -U {user}: no output")
    if len(lines) == 1 and (match := NOT_ALLOWED.fullmatch(lines[0].strip())):
        check_user(match.group(1), user)
        return SudoList(user, (), (), ())
    blocks: dict[str, list[str]] = {}
    current = None
    for line in lines:
        stripped = line.strip()
        for name, header in (("defaults", DEFAULTS_HEADER), ("specific", SPECIFIC_HEADER), ("rules", RULES_HEADER)):
            match = header.fullmatch(stripped)
            if match:
                check_user(match.group(1), user)
                current = name
                blocks[name] = []
                break
        else:
            if current is None or not line.startswith((" ", "\t")):
                raise UnparsableOutput(f"sudo -l -U {user}: unexpected line {stripped[:80]!r}")
            blocks[current].append(line)
    if "rules" not in blocks:
        raise UnparsableOutput(f"sudo -l -U {user}: no \"User {user} may run the following commands\" block")
    return SudoList(user, tuple(split_entries(" ".join(l.strip() for l in blocks.get("defaults", ())))),
                    tuple(split_entries(" ".join(l.strip() for l in blocks.get("specific", ())))),
                    tuple(c for rule in rules_of(blocks["rules"]) for c in parse_rule(rule)))


def rules_of(lines: list[str]) -> list[str]:
    """The rules block's lines -> one text per rule: a line indented deeper than the block's first
    continues the rule before it."""
    indent = len(lines[0]) - len(lines[0].lstrip())
    rules: list[str] = []
    for line in lines:
        if len(line) - len(line.lstrip()) > indent and rules:
            rules[-1] += " " + line.strip()
        else:
            rules.append(line.strip())
    return rules


def check_user(listed: str, user: str) -> None:
    if listed != user:
        raise UnparsableOutput(f"sudo -l -U {user}: the listing is for {listed!r}")
