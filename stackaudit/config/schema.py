"""A small declarative schema: validates YAML data (inventories, policies, lab scenarios) and fills
in defaults.

Errors are one line: `FILE: KEY.PATH: what was found; what is expected`.
"""
from __future__ import annotations

import copy
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from stackaudit.config.files import UnreadableFile, decode_utf8, read_bytes, shown, shown_path
from stackaudit.config.problems import Problems
from stackaudit.config.yamltext import YamlRefused, load_yaml_text
from stackaudit.errors import SchemaError

REQUIRED = object()


class Reported(Exception):
    """A part failed and its mistakes are already in the Problems (check_all): the whole fails too."""


@dataclass
class Field:
    kind: "Kind"
    default: Any = None  # REQUIRED, a value (deep-copied), or a callable taking nothing

    def default_value(self) -> Any:
        if callable(self.default):
            return self.default()
        return copy.deepcopy(self.default)


class Kind:
    expected = "a value"
    detailed = False    # its errors say more than "expected ...": Optional passes them on as they are

    def check(self, value: Any, where: str) -> Any:
        raise NotImplementedError

    def check_all(self, value: Any, where: str, problems: Problems) -> Any:
        """As check, with the mistake recorded in `problems` (then Reported); a Record records the
        mistake of each of its fields, so one pass finds them all."""
        try:
            return self.check(value, where)
        except SchemaError as err:
            problems.add(err)
            raise Reported from None

    def fail(self, value: Any, where: str, expected: str | None = None) -> None:
        found = "nothing" if value is None else f"{type(value).__name__} {shown(value)}"
        raise SchemaError(f"{where.removesuffix(':')}: found {found}; expected {expected or self.expected}")


def child(where: str, key: object) -> str:
    """The path of a key below `where`; the file name is followed by ': ', keys by '.'. An odd or long
    key is shown quoted and shortened, so the message stays one short line."""
    name = key if isinstance(key, str) and key.isprintable() and 0 < len(key) <= 60 else shown(key)
    return f"{where} {name}" if where.endswith(":") else f"{where}.{name}"


class Str(Kind):
    expected = "a string"

    def check(self, value, where):
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            self.fail(value, where)
        return str(value)


class Int(Kind):
    def __init__(self, minimum: int | None = None):
        self.minimum = minimum
        self.expected = "an integer" + (f" >= {minimum}" if minimum is not None else "")

    def check(self, value, where):
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(value, where)
        if self.minimum is not None and value < self.minimum:
            self.fail(value, where)
        return value


class Bool(Kind):
    expected = "true or false"

    def check(self, value, where):
        if not isinstance(value, bool):
            self.fail(value, where)
        return value


class Enum(Kind):
    def __init__(self, *choices: str):
        self.choices = choices
        self.expected = "one of " + ", ".join(choices)

    def check(self, value, where):
        if value not in self.choices:
            self.fail(value, where)
        return value


class Optional(Kind):
    """The inner kind, or null (meaning: absent on the target)."""

    def __init__(self, inner: Kind):
        self.inner = inner
        self.expected = f"{inner.expected}, or null"

    def check(self, value, where):
        if value is None:
            return None
        if isinstance(self.inner, (Record, ListOf, MapOf)) or self.inner.detailed:
            return self.inner.check(value, where)
        try:
            return self.inner.check(value, where)
        except SchemaError:
            self.fail(value, where)

    def check_all(self, value, where, problems):
        if value is not None and (isinstance(self.inner, Record) or self.inner.detailed):
            return self.inner.check_all(value, where, problems)
        return super().check_all(value, where, problems)


class Mapping(Kind):
    """Any mapping, checked later by the caller (used where the schema depends on a sibling key)."""
    expected = "a mapping"

    def check(self, value, where):
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.fail(value, where)
        return value


class ListOf(Kind):
    def __init__(self, item: Kind):
        self.item = item
        self.expected = f"a list of {item.expected}"

    def check(self, value, where):
        if not isinstance(value, list):
            self.fail(value, where)
        return [self.item.check(v, f"{where}[{i}]") for i, v in enumerate(value)]


class MapOf(Kind):
    """A mapping with free keys (strings) and values of one kind."""

    def __init__(self, value: Kind):
        self.value = value
        self.expected = f"a mapping of names to {value.expected}"

    def check(self, value, where):
        if not isinstance(value, dict):
            self.fail(value, where)
        out = {}
        for key, item in value.items():
            if str(key) in out:     # 7 and "7" are two YAML keys but one name
                raise SchemaError(f"{child(where, key)}: written twice (as {shown(key)} and as text); keep one")
            out[str(key)] = self.value.check(item, child(where, key))
        return out


class Record(Kind):
    """A mapping with known keys; unknown keys are errors (a typo must not pass silently)."""

    def __init__(self, fields: dict[str, Field], check: Callable[[dict, str], None] | None = None):
        self.fields = fields
        self.extra_check = check
        self.expected = "a mapping with keys " + ", ".join(fields)

    def check(self, value, where):
        return self.check_all(value, where, Problems())     # raises the first mistake

    def check_all(self, value, where, problems):
        out, complete = self._fields(value, where, problems)
        if not complete:
            raise Reported
        if self.extra_check:
            try:
                self.extra_check(out, where)
            except SchemaError as err:
                problems.add(err)
                raise Reported from None
        return out

    def check_sections(self, value, where, problems: Problems) -> dict:
        """The fields that passed (a field that failed is left out), each mistake recorded in `problems`
        in the order check finds them, so the first is the one check raises."""
        return self._fields(value, where, problems)[0]

    def _fields(self, value, where, problems: Problems) -> tuple[dict, bool]:
        if value is None:
            value = {}
        if not isinstance(value, dict):
            try:
                self.fail(value, where)
            except SchemaError as err:
                problems.add(err)
            return {}, False
        complete = True
        for key in value:
            if key not in self.fields:
                problems.add(SchemaError(f"{child(where, key)}: unknown key; expected one of {', '.join(self.fields)}"))
                complete = False
        out = {}
        for key, spec in self.fields.items():
            try:
                if key in value:
                    out[key] = spec.kind.check_all(value[key], child(where, key), problems)
                elif spec.default is REQUIRED:
                    problems.add(SchemaError(f"{child(where, key)}: missing; expected {spec.kind.expected}"))
                    complete = False
                else:
                    default = spec.default_value()
                    out[key] = None if default is None else spec.kind.check(default, child(where, key))
            except Reported:
                complete = False
        return out, complete


def f(kind: Kind, default: Any = None) -> Field:
    return Field(kind, default)


@dataclass(frozen=True)
class YamlFile:
    """A YAML file's data and the SHA-256 of the very bytes it was parsed from (the report names them)."""
    data: Any
    sha256: str


def read_yaml(path: Path, unreadable_fix: str, error: type[SchemaError] = SchemaError) -> Any:
    """A YAML file's data, read strictly (read_yaml_file)."""
    return read_yaml_file(path, unreadable_fix, error).data


def read_yaml_file(path: Path, unreadable_fix: str, error: type[SchemaError] = SchemaError) -> YamlFile:
    """A YAML file's data and digest, read strictly (stackaudit/config/files.py, yamltext.py): a file
    that is not a regular file, is over the size limit, is not UTF-8, is not valid YAML, holds an alias
    or writes a key twice is one line naming the file (and the line or byte)."""
    where = shown_path(path)
    try:
        data = read_bytes(path)
        text = decode_utf8(data)
    except UnreadableFile as err:
        fix = f"; {unreadable_fix}" if str(err).startswith("cannot read") else ""
        raise error(f"{where}: {err}{fix}") from None
    try:
        return YamlFile(load_yaml_text(text), hashlib.sha256(data).hexdigest())
    except YamlRefused as err:
        raise error(f"{where}: {err}") from None
