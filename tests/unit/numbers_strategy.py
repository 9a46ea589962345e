"""Hypothesis strategies of number texts, shared by the parsers' property tests, and reference
readings (oracles) of the consumers' rules written independently of stackaudit/parsers/numbers.py.

number_texts() draws what a hostile target or a hand-written file can hold where a number
belongs: ASCII numbers (most often, so the accepting paths run), digits of other scripts that
Python's int() or str.isdigit() take (Arabic-Indic ١٢, Devanagari, fullwidth １２, superscripts ²,
mathematical digits outside the Basic Multilingual Plane), leading zeros, signs, base prefixes,
suffixes, underscores, blanks, and thousands of digits (int() refuses more than 4,300).
"""
from __future__ import annotations

import re
import sys
import unicodedata
from contextlib import contextmanager

from hypothesis import strategies as st

DIGITS = {
    "ascii": "0123456789",
    "arabic-indic": "".join(chr(0x660 + i) for i in range(10)),
    "extended arabic-indic": "".join(chr(0x6F0 + i) for i in range(10)),
    "devanagari": "".join(chr(0x966 + i) for i in range(10)),
    "fullwidth": "".join(chr(0xFF10 + i) for i in range(10)),
    "superscript": "\u2070\u00b9\u00b2\u00b3\u2074\u2075\u2076\u2077\u2078\u2079",
    "subscript": "".join(chr(0x2080 + i) for i in range(10)),
    "mathematical bold": "".join(chr(0x1D7CE + i) for i in range(10)),   # outside the BMP
}
FOREIGN = "".join(chars for name, chars in DIGITS.items() if name != "ascii")


@st.composite
def number_texts(draw, blanks: bool = True) -> str:
    """A text where a number belongs (see the module docstring). blanks=False leaves out blanks,
    for formats whose words are split at them."""
    kind = draw(st.sampled_from(["small", "small", "small", "zeros", "huge", "foreign", "mixed", "decorated"]))
    sign = draw(st.sampled_from(["", "", "", "+", "-"]))
    if kind == "small":
        body = str(draw(st.integers(0, 2 ** 66)))
    elif kind == "zeros":
        body = "0" * draw(st.sampled_from([1, 2, 30, 1023, 5000])) + str(draw(st.integers(0, 70000)))
    elif kind == "huge":
        body = draw(st.sampled_from("123456789")) + draw(st.sampled_from("0123456789")) * draw(st.integers(4300, 6000))
    elif kind == "foreign":
        script = draw(st.sampled_from(sorted(DIGITS)))
        body = "".join(DIGITS[script][int(d)] for d in str(draw(st.integers(0, 10 ** 6))))
    elif kind == "mixed":
        body = draw(st.text(st.sampled_from("0123456789" + FOREIGN), min_size=1, max_size=8))
    else:
        body = draw(st.sampled_from(["0x", "0X", "0o", "0b", "0u", "", ""])) + str(draw(st.integers(0, 70000)))
        body += draw(st.sampled_from(["", "K", "k", "E", "_", "_0", "x", "KB"]))
    text = sign + body
    if blanks and draw(st.integers(0, 9)) == 0:
        text = draw(st.sampled_from([" ", "\t", "\u00a0"])) + text + draw(st.sampled_from(["", " "]))
    return text


@contextmanager
def any_number_of_digits():
    """int() of any length, for the oracles only (the code under test never converts unbounded text)."""
    limit = sys.get_int_max_str_digits()
    sys.set_int_max_str_digits(0)
    try:
        yield
    finally:
        sys.set_int_max_str_digits(limit)


def within(value: int, low: int, high: int) -> int | None:
    return value if low <= value <= high else None


def ascii_decimal(text: str, low: int, high: int, signs: str = "") -> int | None:
    """C's strtol in base 10 over the whole text in the C locale, with `signs` allowed."""
    if not re.fullmatch(f"[{re.escape(signs)}]?[0-9]+" if signs else "[0-9]+", text, re.ASCII):
        return None
    with any_number_of_digits():
        return within(int(text), low, high)


def c_base0_unsigned(text: str, low: int, high: int) -> int | None:
    """strtoumax(text, &end, 0) over the whole text, no minus (xtables_strtoul)."""
    body = text.lstrip(" \t\n\v\f\r").removeprefix("+")
    for pattern, base in ((r"0[xX]([0-9a-fA-F]+)", 16), (r"0([0-7]*)", 8), (r"([1-9][0-9]*)", 10)):
        found = re.fullmatch(pattern, body)
        if found:
            with any_number_of_digits():
                return within(int(found.group(1) or "0", base), low, high)
    return None


def java_parse(text: str, bits: int) -> int | None:
    """Integer.parseInt / Long.parseLong: a sign, then characters of category Nd in the BMP."""
    body = text[1:] if text[:1] in "+-" and text else text
    if not body or any(ord(c) > 0xFFFF or unicodedata.category(c) != "Nd" for c in body):
        return None
    with any_number_of_digits():
        value = int("".join(str(unicodedata.digit(c)) for c in body))
    return within(-value if text[0] == "-" else value, -2 ** (bits - 1), 2 ** (bits - 1) - 1)


def mariadb_unsigned(text: str) -> int | None:
    """my_getopt on an unsigned option: a first "-" refused, then strtoull (blanks, a sign, digits; a
    "-" after blanks wraps), then one suffix letter (the rest ignored)."""
    found = re.fullmatch(r"[ \t\n\v\f\r]*([+-]?)([0-9]*)(?:([KMGTPEkmgtpe]).*)?", text, re.ASCII | re.DOTALL)
    if not found or text.startswith("-"):
        return None
    if not found.group(2) and not (text == "" or text[0] in "KMGTPEkmgtpe"):
        return None             # no digits: strtoull leaves the end at the start, its first character the suffix
    with any_number_of_digits():
        value = int(found.group(2) or "0")
    if value >= 2 ** 64:
        return None
    sign = -1 if found.group(1) == "-" else 1
    return sign * value * 1024 ** ("KMGTPE".index(found.group(3).upper()) + 1 if found.group(3) else 0) % 2 ** 64
