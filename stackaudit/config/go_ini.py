"""INI text read as the Go library gopkg.in/ini.v1 reads it, with the options CloudMonkey uses.

CloudMonkey (`cmk`, apache/cloudstack-cloudmonkey 6.4, config/config.go `readConfig`) loads its
config with ini.v1 v1.67.0 (vendor/modules.txt) and `LoadOptions{IgnoreInlineComment: true}`; this is
that parser (parser.go `parse`, `readKeyName`, `readValue`, `readContinuationLines`) and its key
lookup (section.go `GetKey`, key.go `transformValue`) for those options:
- keys before any `[section]` belong to the section DEFAULT (a `[DEFAULT]` header is the same one);
- a line starting with `#` or `;` is a comment; a `#` after a value is part of the value;
- `key = value` or `key: value`, both sides trimmed; a value wrapped in one pair of "..." or '...' is
  unwrapped, `\"\"\"...\"\"\"` and backquotes may span lines; a trailing backslash continues the value;
- a key written twice keeps the last value; a section written twice is one section;
- names are case-sensitive; a key missing from [a.b] is looked up in [a]; `%(name)s` in a value is
  replaced by that key of the same section, or else of DEFAULT.
Whitespace is Go's unicode.IsSpace. Anything else ini.v1 refuses is a GoIniError with its line.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

DEFAULT = "DEFAULT"
# Go's unicode.IsSpace: Latin-1's spaces and the other White_Space characters (not U+001C..U+001F,
# which Python's str.strip also removes).
GO_SPACE = "\t\n\v\f\r \x85\xa0\u1680" + "".join(map(chr, range(0x2000, 0x200B))) + "\u2028\u2029\u202f\u205f\u3000"
_VARIABLE = re.compile(r"%\(([^)]+)\)s")
_MAX_SUBSTITUTIONS = 99     # ini.v1's depthValues


class GoIniError(Exception):
    """Text ini.v1 refuses; the message names the line, never its text (it may hold a secret)."""


@dataclass
class GoIni:
    sections: dict[str, dict[str, str]] = field(default_factory=lambda: {DEFAULT: {}})

    def has_section(self, name: str) -> bool:
        return (name or DEFAULT) in self.sections

    def value(self, section: str, name: str) -> str | None:
        """The key's value as ini.v1's Key.String() gives it, or None when the section has no such key."""
        owner = self._owner(section or DEFAULT, name)
        if owner is None:
            return None
        text = self.sections[owner][name]
        for _ in range(_MAX_SUBSTITUTIONS):
            if "%" not in text:
                break
            found = _VARIABLE.search(text)
            if found is None:
                break
            other = self._owner(owner, found.group(1))
            if other is None or (other, found.group(1)) == (owner, name):
                other = self._owner(DEFAULT, found.group(1))
                if other is None:
                    break
            text = text.replace(found.group(0), self.sections[other][found.group(1)])
        return text

    def _owner(self, section: str, name: str) -> str | None:
        """The section that holds `name` for `section`: itself, or its nearest parent ([a] for [a.b])."""
        while True:
            if section in self.sections and name in self.sections[section]:
                return section
            if "." not in section:
                return None
            section = section.rsplit(".", 1)[0]


def parse_go_ini(text: str) -> GoIni:
    ini = GoIni()
    lines = re.findall(r"[^\n]*\n|[^\n]+$", text)
    current = ini.sections[DEFAULT]
    index = 0
    while index < len(lines):
        number, line = index + 1, lines[index].lstrip(GO_SPACE)
        index += 1
        if not line or line[0] in "#;":
            continue
        if line[0] == "[":
            close = line.rfind("]")
            if close == -1:
                raise GoIniError(f"line {number}: a [section] without its closing ]")
            name = line[1:close]
            if not name:
                raise GoIniError(f"line {number}: an empty section name []")
            current = ini.sections.setdefault(name, {})
            continue
        name, offset = key_name(line, number)
        value, index = read_value(line[offset:], lines, index, number)
        current[name] = value
    return ini


def key_name(line: str, number: int) -> tuple[str, int]:
    """readKeyName with the delimiters "=:": the trimmed name, and where its value starts."""
    quote = '"""' if line.startswith('"""') and len(line) > 6 else '"' if line[0] == '"' else \
        "`" if line[0] == "`" else ""
    if quote:
        end = line.find(quote, len(quote))
        if end == -1:
            raise GoIniError(f"line {number}: a quoted key name without its closing quote")
        delimiter = re.search("[=:]", line[end + len(quote):])
        if delimiter is None:
            raise GoIniError(f"line {number}: no '=' or ':' after the key name")
        return line[len(quote):end].strip(GO_SPACE), end + len(quote) + delimiter.start() + 1
    delimiter = re.search("[=:]", line)
    if delimiter is None:
        raise GoIniError(f"line {number}: neither `key = value`, a [section] nor a comment")
    if delimiter.start() == 0:
        raise GoIniError(f"line {number}: a value without a key name")
    return line[:delimiter.start()].strip(GO_SPACE), delimiter.start() + 1


def read_value(rest: str, lines: list[str], index: int, number: int) -> tuple[str, int]:
    """readValue with IgnoreInlineComment: the value, and the index of the next line to read."""
    line = rest.lstrip(GO_SPACE)
    if not line:
        return "", index
    quote = '"""' if len(line) > 3 and line.startswith('"""') else "`" if line[0] == "`" else ""
    if quote:
        end = line.rfind(quote, len(quote))
        if end != -1:
            return line[len(quote):end], index
        value = line[len(quote):]
        while True:     # readMultilines: until a line holding the closing quote
            if index >= len(lines):
                raise GoIniError(f"line {number}: a {quote}-quoted value without its closing {quote}")
            following = lines[index]
            index += 1
            end = following.rfind(quote)
            if end != -1:
                return value + following[:end], index
            value += following
    line = line.strip(GO_SPACE)
    if line.endswith("\\"):
        value = line[:-1]
        while index < len(lines):   # readContinuationLines
            following = lines[index].strip(GO_SPACE)
            index += 1
            if not following:
                break
            value += following
            if not value.endswith("\\"):
                break
            value = value[:-1]
        return value, index
    for mark in "'\"":
        if len(line) >= 2 and line[0] == mark and line[-1] == mark and line.find(mark, 1) == len(line) - 1:
            return line[1:-1], index
    return line, index
