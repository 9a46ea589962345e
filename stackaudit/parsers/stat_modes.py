"""Files' types, permission bits and owners from GNU stat's default output (`LC_ALL=C stat -L`):

      File: /usr/bin/awk
      Size: 713152    	Blocks: 1400       IO Block: 4096   regular file
    Device: 254,0	Inode: 2170914     Links: 1
    Access: (0755/-rwxr-xr-x)  Uid: (    0/    root)   Gid: (    0/    root)
    ...

One block per file, each starting with `  File:`; coreutils before 8.26 quotes the name (‘a’).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from stackaudit.errors import UnparsableOutput

FILE_LINE = re.compile(r"\s*File: (.*)")
TYPE_LINE = re.compile(r"\s*Size: .*IO Block: [0-9]+\s+(\S.*?)\s*")
ACCESS_LINE = re.compile(r"Access: \(([0-7]{4})/[-a-zA-Z]{10}\)\s+Uid: \(\s*([0-9]+)/\s*(\S+)\)\s+"
                         r"Gid: \(\s*([0-9]+)/\s*(\S+)\)")
QUOTES = (("\u2018", "\u2019"), ("'", "'"), ('"', '"'))


@dataclass(frozen=True)
class FileMode:
    path: str
    kind: str       # stat's %F: regular file, regular empty file, directory, ...
    mode: int       # permission bits, e.g. 0o755
    user: str
    group: str

    @property
    def regular(self) -> bool:
        return self.kind in ("regular file", "regular empty file")

    def executable_by(self, user: str) -> bool:
        """Whether `user` (known by name only, not its other groups) may execute it: the owner's bit
        for the owner, the group's for the file's group of the same name, the others' bit otherwise."""
        if self.user == user:
            return bool(self.mode & 0o100)
        if self.group == user:
            return bool(self.mode & 0o010)
        return bool(self.mode & 0o001)


def unquoted(name: str) -> str:
    for left, right in QUOTES:
        if len(name) >= 2 and name.startswith(left) and name.endswith(right):
            return name[1:-1]
    return name


def parse_stat_blocks(text: str) -> list[FileMode]:
    """Each file's block of `stat -L` output; a block missing its type or access line is unparsable."""
    blocks: list[list[str]] = []
    for line in text.splitlines():
        if FILE_LINE.fullmatch(line):
            blocks.append([line])
        elif blocks:
            blocks[-1].append(line)
        elif line.strip():
            raise UnparsableOutput(f"stat: expected a `File:` line first, got {line[:80]!r}")
    return [file_mode(block) for block in blocks]


def file_mode(block: list[str]) -> FileMode:
    path = unquoted(FILE_LINE.fullmatch(block[0])[1])
    kinds = [m[1] for m in map(TYPE_LINE.fullmatch, block[1:]) if m]
    access = [m for m in map(ACCESS_LINE.match, block[1:]) if m]
    if len(kinds) != 1 or len(access) != 1:
        raise UnparsableOutput(f"stat of {path[:80]!r}: expected one Size line with the file type and one "
                               "Access line with the mode, owner and group")
    return FileMode(path, kinds[0], int(access[0][1], 8), access[0][3], access[0][5])
