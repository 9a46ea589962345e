"""YAML text to data, refusing what would be misread or would not end.

- Aliases (`*name`) are refused while the text is scanned, before anything is built: a few lines of
  nested aliases expand to billions of nodes ("billion laughs"), and the configuration files have
  no use for them.
- Nesting deeper than MAX_DEPTH is refused before the tree is built (the composer recurses).
- A key written twice in one mapping is refused: YAML would keep the last one silently.
"""
from __future__ import annotations

from typing import Any

import yaml

from stackaudit.config.files import shown

MAX_DEPTH = 64
# libyaml's scanner when PyYAML was built with it (about ten times faster); the pure-Python one otherwise.
_PARSER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class YamlRefused(Exception):
    """Text that is not YAML the suite accepts; the message is `line N: what; the fix`."""


class _UniqueKeyLoader(_PARSER):
    pass


def _unique_mapping(loader, node, deep=False):
    seen = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        try:
            written_twice = key in seen
        except TypeError:       # an unhashable key: construct_mapping says so
            break
        if written_twice:
            raise YamlRefused(f"line {key_node.start_mark.line + 1}: key {shown(key)} written twice; keep one of them")
        seen.add(key)
    return loader.construct_mapping(node, deep=deep)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _unique_mapping)


def _line(event_or_error) -> str:
    mark = getattr(event_or_error, "start_mark", None) or getattr(event_or_error, "problem_mark", None)
    return f"line {mark.line + 1}" if mark is not None else "somewhere"


def _scan(text: str) -> None:
    depth = 0
    for event in yaml.parse(text, Loader=_PARSER):
        if isinstance(event, yaml.AliasEvent):
            raise YamlRefused(f"{_line(event)}: YAML alias *{shown(event.anchor)[1:-1]} refused; "
                              "write the value out where it is used")
        if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            depth += 1
            if depth > MAX_DEPTH:
                raise YamlRefused(f"{_line(event)}: nested more than {MAX_DEPTH} levels deep; "
                                  "flatten it (no configuration file needs that)")
        elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            depth -= 1


def load_yaml_text(text: str) -> Any:
    """The one document in `text`; YamlRefused for a syntax error, an alias, deep nesting or a duplicate key."""
    try:
        _scan(text)
        return yaml.load(text, Loader=_UniqueKeyLoader)
    except yaml.reader.ReaderError as err:     # a control character YAML does not allow in a stream
        code = err.character if isinstance(err.character, int) else ord(err.character)
        raise YamlRefused(f"the character U+{code:04X} at position {err.position} is not allowed in YAML; "
                          "remove it") from None
    except yaml.YAMLError as err:
        raise YamlRefused(f"{_line(err)}: not valid YAML; fix the syntax there") from None
    except (ValueError, OverflowError, RecursionError) as err:  # SafeConstructor on odd timestamps, huge floats
        raise YamlRefused(f"a value YAML cannot convert ({type(err).__name__}); quote it or fix it") from None
