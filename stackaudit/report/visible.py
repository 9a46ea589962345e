"""Text from a cloud, made safe to show: every control character escaped (`\\x1b`), never sent raw.

Tenants name their own VMs and networks, and those names reach target ids, messages and evidence.
Sent raw to a terminal, an ANSI escape sequence (ESC, or the one-byte C1 CSI 0x9b) can recolour or
hide a line, move the cursor over a verdict, set the window title or, on some terminals, answer
back into the input (ECMA-48, "Control functions for coded character sets", 5th edition 1991,
https://ecma-international.org/publications-and-standards/standards/ecma-48/); a carriage return
overwrites the start of its line. Bidirectional overrides reorder what is shown ("Trojan Source:
Invisible Vulnerabilities", Boucher and Anderson, 2021, https://trojansource.codes/). So every line
StackAudit prints goes through `visible`: C0 (tab and newline too, unless the text is printed as
several lines), DEL, C1 and the bidirectional controls are shown as Python-style escapes. The
report's HTML uses it too, before HTML escaping, so an auditor sees that a name held them.
"""
from __future__ import annotations

import re

_BIDI = (0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A))
_CONTROLS = (*range(0x00, 0x20), 0x7F, *range(0x80, 0xA0))
_ESCAPES = {code: (f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}") for code in (*_CONTROLS, *_BIDI)}
_ESCAPES_KEEPING_LINES = {code: text for code, text in _ESCAPES.items() if code not in (0x09, 0x0A)}


def visible(text: str, multiline: bool = False) -> str:
    """`text` with every control character escaped; `multiline` keeps newlines and tabs."""
    return str(text).translate(_ESCAPES_KEEPING_LINES if multiline else _ESCAPES)


# What UTF-8 cannot encode (a lone surrogate: JSON's "\\ud800" reads as one) and what XML 1.0 cannot hold
# (U+FFFE, U+FFFF): for files written as UTF-8 text (junit.xml, results.csv).
_UNENCODABLE = re.compile("[\ud800-\udfff\ufffe\uffff]")


def visible_encodable(text, multiline: bool = False) -> str:
    """`visible`, and every character a UTF-8 text or XML file cannot hold escaped the same way."""
    return _UNENCODABLE.sub(lambda m: f"\\u{ord(m.group()):04x}", visible("" if text is None else text, multiline))


def visible_lines(lines) -> list[str]:
    """Each line of a table or listing, escaped (a name may hold a newline: it stays on its line)."""
    return [visible(line) for line in lines]
