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
from stackaudit.config.yamltext import YamlRefused, load_yaml_text
from stackaudit.errors import SchemaError

REQUIRED = object()


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
        if value is None:
            value = {}
        if not isinstance(value, dict):
            self.fail(value, where)
        for key in value:
            if key not in self.fields:
                raise SchemaError(f"{child(where, key)}: unknown key; expected one of {', '.join(self.fields)}")
        out = {}
        for key, spec in self.fields.items():
            if key in value:
                out[key] = spec.kind.check(value[key], child(where, key))
            elif spec.default is REQUIRED:
                raise SchemaError(f"{child(where, key)}: missing; expected {spec.kind.expected}")
            else:
                default = spec.default_value()
                # Defaults pass through their kind too, so nested records get their own defaults.
                out[key] = None if default is None else spec.kind.check(default, child(where, key))
        if self.extra_check:
            self.extra_check(out, where)
        return out


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
