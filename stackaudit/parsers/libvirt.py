"""/etc/libvirt/libvirtd.conf, in the grammar of libvirt's own reader (src/util/virconf.c)."""
from __future__ import annotations

import re

from stackaudit.errors import UnparsableOutput
from stackaudit.parsers.numbers import INT64, read_decimal

Value = str | int | list  # a list holds values of the same grammar, lists included

NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
NUMBER = re.compile(r"[-+]?[0-9]+")
# libvirt recurses without a bound; the suite stops at a depth no real file reaches
MAX_LIST_DEPTH = 32


class ConfReader:
    """A cursor over the file that knows its line number, for the error messages."""

    def __init__(self, text: str):
        self.text, self.position, self.line = text, 0, 1

    @property
    def current(self) -> str:
        return self.text[self.position] if self.position < len(self.text) else ""

    def fail(self, expected: str) -> UnparsableOutput:
        rest = self.text[self.position:].split("\n", 1)[0]
        return UnparsableOutput(f"libvirtd.conf line {self.line}: expected {expected}, got {rest[:60]!r}")

    def skip_blanks(self, newlines: bool = False) -> None:
        while self.current and (self.current in " \t" or (newlines and self.current in "\r\n")):
            self.line += self.current == "\n"
            self.position += 1

    def take(self, pattern: re.Pattern) -> str | None:
        match = pattern.match(self.text, self.position)
        if not match:
            return None
        self.position = match.end()
        return match.group()

    def skip_to_line_end(self) -> None:
        end = self.text.find("\n", self.position)
        self.position = len(self.text) if end < 0 else end


def parse_libvirtd_conf(text: str) -> dict[str, Value]:
    """Settings of libvirtd.conf; strings unquoted, numbers as int, lists as lists.

        listen_tls = 0
        listen_tcp = 1
        tcp_port = "16509"
        auth_tcp = "none"
        access_drivers = [ "polkit" ]

    A list may span lines (but, as for libvirt, holds no comment). libvirt looks a setting up by
    its first occurrence, so a setting given twice keeps its first value.
    """
    reader = ConfReader(text)
    settings: dict[str, Value] = {}
    while True:
        reader.skip_blanks(newlines=True)
        if not reader.current:
            return settings
        if reader.current == "#":
            reader.skip_to_line_end()
            continue
        name = reader.take(NAME)
        if name is None:
            raise reader.fail("a setting name")
        reader.skip_blanks()
        if reader.current != "=":
            raise reader.fail(f"'=' after {name}")
        reader.position += 1
        value = parse_value(reader, name)
        settings.setdefault(name, value)
        reader.skip_blanks()
        if reader.current == "#":
            reader.skip_to_line_end()
        if reader.current == ";":
            reader.position += 1
        elif reader.current not in ("", "\n", "\r"):
            raise reader.fail(f"the end of the line after the value of {name}")


def parse_value(reader: ConfReader, name: str, depth: int = 0) -> Value:
    """A string, a number or a list of values (virConfParseValue: a list item is any value, a
    nested list too; libvirtd.conf's own settings only use lists of strings)."""
    reader.skip_blanks()
    if reader.current == "[":
        if depth >= MAX_LIST_DEPTH:
            raise reader.fail(f"lists nested at most {MAX_LIST_DEPTH} deep in the value of {name}")
        reader.position += 1
        items: list[Value] = []
        reader.skip_blanks(newlines=True)
        while reader.current != "]":
            if items:
                if reader.current != ",":
                    raise reader.fail(f"',' or ']' in the list of {name}")
                reader.position += 1
                reader.skip_blanks(newlines=True)
                if reader.current == "]":
                    break
            if not reader.current or reader.current == "#":
                raise reader.fail(f"a value in the list of {name}")
            items.append(parse_value(reader, name, depth + 1))
            reader.skip_blanks(newlines=True)
        reader.position += 1
        return items
    if reader.current in ("'", '"'):
        return parse_string(reader, name)
    number = reader.take(NUMBER)
    if number is None:
        raise reader.fail(f"a string, number or list as the value of {name}")
    # virConfParseLong adds ASCII digits into a long long with no overflow check: past its range
    # libvirt's value is whatever the overflow gives, so the suite does not guess one
    return read_decimal(number, f"libvirtd.conf line {reader.line}: the value of {name}", low=INT64[0], high=INT64[1],
                        signs="+-", what="a number within a C long long")


def parse_string(reader: ConfReader, name: str) -> str:
    text, start = reader.text, reader.position
    if text.startswith('"""', start) and start + 6 < len(text):    # virConfParseString's own condition
        end = text.find('"""', start + 3)
        if end < 0:
            raise reader.fail(f'a closing """ for the value of {name}')
        reader.line += text.count("\n", start, end)
        reader.position = end + 3
        return text[start + 3:end]
    quote = text[start]
    end = start + 1
    while end < len(text) and text[end] not in (quote, "\n", "\r"):
        end += 1
    if end >= len(text) or text[end] != quote:
        raise reader.fail(f"a closing {quote} on the same line for the value of {name}")
    reader.position = end + 1
    return text[start + 1:end]
