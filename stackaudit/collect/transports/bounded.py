"""Answers read within bounds: at most a number of bytes, uncompressed, nested at most so deep.

A hostile or broken endpoint can answer anything: a body of gigabytes, a small gzip body that
inflates to gigabytes (the XML-RPC client inflates whatever says `Content-Encoding: gzip`), JSON
nested 100,000 deep (Python's json raises RecursionError), XML with entity declarations that expand
("billion laughs"). Every answer is read here in chunks with a byte count, compression refused (none
is asked for), and its nesting measured before it is parsed; a refused answer raises AnswerRefused,
whose text is the one-line reason its transport puts in the result.
"""
from __future__ import annotations

import re
import time
from dataclasses import dataclass

from stackaudit.config.files import size_text

CHUNK = 64 * 1024
# CloudStack's answers nest 5 deep (envelope, listing, rows, a row's details or tags, their maps);
# XAPI's records 4 (the call's struct, the records, a record, its maps and lists of refs).
# A document ten times deeper is not an answer either sends.
MAX_NESTING = 64
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]+")


class AnswerRefused(Exception):
    """An answer the suite does not read: too big, too slow, compressed, nested too deep, or with a DTD."""


@dataclass(frozen=True)
class AnswerCaps:
    """What one answer may take: bytes and seconds (from its headers to its last byte), each with the
    name of the setting it comes from, for the reason a refused answer gives. A read that blocks waits
    at most the connection's own timeout, so an answer costs at most max_seconds plus that timeout."""
    max_bytes: int
    bytes_name: str
    max_seconds: float
    seconds_name: str = "policy limits.answer_seconds"


def one_line(text: str, limit: int = 300) -> str:
    """A reason as one line of at most `limit` characters: line breaks and other control characters
    of an endpoint's text become spaces."""
    flat = _CONTROL.sub(" ", text)
    return flat if len(flat) <= limit else flat[:limit] + f"... ({len(flat):,} characters)"


def refuse_compressed(content_encoding: str | None) -> None:
    """None is asked for (no Accept-Encoding: gzip), so a compressed answer is refused, not inflated."""
    encoding = (content_encoding or "identity").strip().lower()
    if encoding not in ("", "identity"):
        raise AnswerRefused(f"the answer is compressed (Content-Encoding: {encoding[:40]}), which was not asked "
                            "for; compressed answers are refused (their inflated size is unknown)")


def read_capped(read, caps: AnswerCaps, feed=None) -> bytes:
    """What `read(n)` gives until it gives b"", refused past the caps' bytes or seconds (a slow drip);
    each chunk also to `feed` (an incremental parser), and then only the count is kept, not the bytes
    (b"" is returned)."""
    chunks, total = [], 0
    deadline = time.monotonic() + caps.max_seconds
    while True:
        chunk = read(CHUNK)
        if not chunk:
            return b"".join(chunks)
        total += len(chunk)
        if total > caps.max_bytes:
            raise AnswerRefused(f"the answer is over {size_text(caps.max_bytes)} ({caps.bytes_name}); "
                                "not read further")
        if time.monotonic() > deadline:
            raise AnswerRefused(f"the answer did not come whole within {caps.max_seconds:g} s ({caps.seconds_name}): "
                                f"{total:,} bytes came; not read further")
        if feed is None:
            chunks.append(chunk)
        else:
            feed(chunk)


_JSON_STRING = re.compile(rb'"[^"\\]*+(?:\\.[^"\\]*+)*+"', re.S)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_BRACKET_RUN = re.compile(rb"[\[{]+|[\]}]+")


def json_nesting(body: bytes) -> int:
    """The deepest nesting of arrays and objects in a JSON text (brackets inside strings do not count),
    in time linear in its length and without recursion."""
    brackets = _JSON_STRING.sub(b"", body).translate(None, _NOT_BRACKETS)
    depth = deepest = 0
    for run in _BRACKET_RUN.finditer(brackets):
        opening = run.group(0)[:1] in b"[{"
        depth += len(run.group(0)) if opening else -len(run.group(0))
        deepest = max(deepest, depth)
    return deepest


def refuse_deep_json(body: bytes, max_nesting: int = MAX_NESTING) -> None:
    if body.count(b"[") + body.count(b"{") <= max_nesting:
        return
    nesting = json_nesting(body)
    if nesting > max_nesting:
        raise AnswerRefused(f"the answer nests {nesting:,} deep, over the {max_nesting} any real answer needs; "
                            "not parsed")
