"""Numbers read as the program that writes or reads them reads them.

Python's own readers model none of them: int() takes any Unicode decimal digit (`int("١٢") == 12`),
`_` between digits and blanks around the number, and raises ValueError past 4,300 digits
(sys.int_max_str_digits, Python 3.11); str.isdigit() is true of "²", which int() refuses; re's `\\d`
matches every Unicode decimal digit in a str pattern. So the parsers read numbers here, by the rule
of the program on the other side:

- read_decimal: ASCII digits, as the tools print them and as C's isdigit and strtol read them in the
  C locale (coreutils, procps, libvirt's virConfParseLong, MariaDB's server variables, dpkg);
- read_c_unsigned: strtoumax(s, &end, 0) over the whole word, as iptables reads ports and rule
  numbers (xtables_strtoui, libxtables/xtables.c): `0x16` and `026` are both 22;
- read_java_int: Integer.parseInt / Long.parseLong, whose Character.digit takes every decimal digit
  of the Basic Multilingual Plane (`"٣٣٠٦"` is 3306 to CloudStack and Connector/J);
- read_ocaml_int: OCaml's int_of_string, as XAPI reads its pool's HA timeout (`0xB4`, `1_80`);
- read_mariadb_unsigned: my_getopt's reading of an unsigned option in a .cnf file (a K..E suffix);
- read_api_number: a number of the CloudStack API (a JSON number, or the text of Java's toString):
  float() would also take "nan", "inf", "1_0" and "١٢", and a NaN passes every comparison made on it.

Each returns the consumer's value or raises UnparsableOutput with one line naming the place: never
ValueError. Leading zeros are skipped before the digits are counted (every one of these consumers
skips them), so a number of thousands of digits costs one linear pass and reads as its consumer
reads it.
"""
from __future__ import annotations

import re
import unicodedata

from stackaudit.errors import UnparsableOutput

ASCII_NUMBER = re.compile(r"[0-9]+")     # `\d` would also match "١" and "１"
INT32 = (-2 ** 31, 2 ** 31 - 1)
INT64 = (-2 ** 63, 2 ** 63 - 1)
UINT64_MAX = 2 ** 64 - 1
C_BLANKS = " \t\n\v\f\r"                 # isspace() in the C locale
OCAML_BASES = {"x": 16, "o": 8, "b": 2, "u": 10}
MARIADB_SUFFIXES = "kmgtpe"              # my_getopt: 1024 to the power 1..6, either case
# What Long.toString, Double.toString ("1.0E10") and JSON (RFC 8259) write, and what Double.parseDouble
# reads of it ("+2", "5.", ".5"): ASCII digits only, no "NaN" or "Infinity"
API_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


def shown(text: str) -> str:
    """The text for a message: quoted, cut to 40 characters, its length said when cut."""
    return repr(text[:40]) + (f" ({len(text):,} characters)" if len(text) > 40 else "")


def refused(where: str, text: str, what: str) -> UnparsableOutput:
    return UnparsableOutput(f"{where}: {shown(text)} is not {what}")


def value_of(digits: str, base: int, high: int) -> int | None:
    """The value of `digits` (all valid in `base`), or None when it is past `high`: leading zeros
    skipped, the rest counted before it is converted, so any length costs one linear pass."""
    significant = digits.lstrip("0")
    if len(significant) > len(digits_in(high, base)):
        return None
    value = int(significant or "0", base)
    return value if value <= high else None


def digits_in(number: int, base: int) -> str:
    return {2: f"{number:b}", 8: f"{number:o}", 10: f"{number}", 16: f"{number:x}"}[base]


def signed_value(sign: str, digits: str, base: int, low: int, high: int) -> int | None:
    """The value of sign and digits within [low, high], or None."""
    negative = sign == "-"
    magnitude = value_of(digits, base, -low if negative else high)
    if magnitude is None:
        return None
    value = -magnitude if negative else magnitude
    return value if low <= value <= high else None


def is_ascii_number(text: str) -> bool:
    """One or more ASCII digits and nothing else (no sign, no blank)."""
    return ASCII_NUMBER.fullmatch(text) is not None


def read_decimal(text: str, where: str, *, low: int = 0, high: int = UINT64_MAX, signs: str = "",
                 what: str = "a number") -> int:
    """ASCII digits, after one of `signs` if any ("-" for `date +%s`, "+-" for libvirt), in [low, high]."""
    sign = text[:1] if text[:1] and text[:1] in signs else ""
    digits = text[len(sign):]
    value = signed_value(sign, digits, 10, low, high) if is_ascii_number(digits) else None
    if value is None:
        raise refused(where, text, what)
    return value


def read_c_unsigned(text: str, where: str, *, low: int = 0, high: int = UINT64_MAX,
                    what: str = "a number") -> int:
    """xtables_strtoul: blanks, no "-", then strtoumax with base 0 over the whole text: an optional
    "+", then `0x`/`0X` and hexadecimal digits, or `0` and octal digits, or decimal digits."""
    if text.isascii() and text.isdigit() and text[0] != "0" and len(text) < 20:    # the usual plain decimal
        value = int(text)
        if not low <= value <= high:
            raise refused(where, text, what)
        return value
    body = text.lstrip(C_BLANKS)
    body = body[1:] if body.startswith("+") else body
    if body[:2] in ("0x", "0X") and re.fullmatch(r"[0-9A-Fa-f]+", body[2:]):
        base, digits = 16, body[2:]
    elif body.startswith("0"):
        base, digits = 8, body
    else:
        base, digits = 10, body
    valid = {16: r"[0-9A-Fa-f]+", 8: r"[0-7]+", 10: r"[0-9]+"}[base]
    value = value_of(digits, base, high) if re.fullmatch(valid, digits) else None
    if value is None or value < low:
        raise refused(where, text, what)
    return value


def java_digits(text: str) -> str | None:
    """The ASCII digits of what Character.digit(c, 10) reads, or None when a character is no such
    digit. Java's char is UTF-16: a digit outside the Basic Multilingual Plane is two chars, and
    Character.digit takes neither."""
    digits = []
    for char in text:
        value = unicodedata.decimal(char, None) if ord(char) <= 0xFFFF else None
        if value is None:
            return None
        digits.append(str(value))
    return "".join(digits)


def read_java_int(text: str, where: str, *, bits: int = 32, what: str = "a number") -> int:
    """Integer.parseInt (bits 32) or Long.parseLong (64), radix 10: an optional "+" or "-", then one
    or more decimal digits of any script, nothing else (no blank: "3306 " throws), within the type."""
    sign = text[:1] if text[:1] in ("+", "-") else ""
    digits = java_digits(text[len(sign):]) if text[len(sign):] else None
    low, high = -2 ** (bits - 1), 2 ** (bits - 1) - 1
    value = signed_value(sign, digits, 10, low, high) if digits else None
    if value is None:
        raise refused(where, text, what)
    return value


def read_or_none(reader, text: str | None, **rule) -> int | None:
    """`reader` (one of the read_ functions here) of `text`, or None where it refuses it: for a
    parser or rule that goes on when this is not a number (a service name after a port)."""
    if text is None:
        return None
    try:
        return reader(text, "", **rule)
    except UnparsableOutput:
        return None


def reads(reader, text: str | None, **rule) -> bool:
    """Whether `reader` takes `text`."""
    return read_or_none(reader, text, **rule) is not None


def read_ocaml_int(text: str, where: str, *, what: str = "a number") -> int:
    """OCaml's int_of_string (runtime/ints.c, parse_intnat; 63-bit int): an optional sign, a `0x`,
    `0o`, `0b` or `0u` prefix, a first digit, then digits or `_`. Decimal must fit the signed range;
    a prefixed number reads as unsigned up to 2**63 - 1 and wraps, as OCaml's does."""
    sign = text[:1] if text[:1] in ("+", "-") else ""
    body = text[len(sign):]
    base, signed = 10, True
    if body[:1] == "0" and body[1:2].lower() in OCAML_BASES:
        base, signed, body = OCAML_BASES[body[1:2].lower()], False, body[2:]
    valid = {16: "0-9A-Fa-f", 10: "0-9", 8: "0-7", 2: "01"}[base]
    if not re.fullmatch(f"[{valid}][{valid}_]*", body):
        raise refused(where, text, what)
    digits = body.replace("_", "")
    if signed:
        value = signed_value(sign, digits, base, -2 ** 62, 2 ** 62 - 1)
    else:
        magnitude = value_of(digits, base, 2 ** 63 - 1)
        value = None if magnitude is None else ((-magnitude if sign == "-" else magnitude) + 2 ** 62) % 2 ** 63 - 2 ** 62
    if value is None:
        raise refused(where, text, what)
    return value


def mariadb_unsigned(argument: str, name: str = "value") -> int:
    """An unsigned option's value as mariadbd reads it at start (MariaDB's mysys/my_getopt.c,
    getopt_ull and eval_num_suffix, 10.11): a value starting with '-' is refused ("Incorrect unsigned
    value"); then strtoull(value, 10): blanks, an optional sign, ASCII digits (none: 0), past 2**64 - 1
    refused ("Integer value out of range for uint64"); then the one character after the digits must be nothing or a
    suffix k, m, g, t, p, e (any case: 2**10 ... 2**60; what follows it is not read: `1Kb` is 1024);
    any other refuses the value ("Unknown suffix"). The product wraps as a C unsigned long long does;
    the variable's range limits only adjust it afterwards, with a warning. UnparsableOutput carries
    the server's own message: mariadbd does not start."""
    if argument.startswith("-"):
        raise UnparsableOutput(f"Incorrect unsigned value: '{argument}' for {name}")
    text = argument.lstrip(C_BLANKS)
    sign = -1 if text[:1] == "-" else 1
    text = text[1:] if text[:1] in "+-" else text
    digits = re.match(r"[0-9]*", text).group()
    number = value_of(digits, 10, UINT64_MAX) if digits else 0
    if number is None:
        raise UnparsableOutput(f"Integer value out of range for uint64: '{argument}' for {name}")
    suffix = text[len(digits):len(digits) + 1] if digits else argument[:1]
    if suffix and suffix.lower() not in MARIADB_SUFFIXES:
        raise UnparsableOutput(f"Unknown suffix '{suffix}' used for variable '{name}' (value '{argument}')")
    power = MARIADB_SUFFIXES.index(suffix.lower()) + 1 if suffix else 0
    return sign * number * 1024 ** power % 2 ** 64


def read_mariadb_unsigned(text: str, where: str, *, what: str = "a number") -> int:
    """mariadb_unsigned, refused as the other readers refuse (naming the place)."""
    try:
        return mariadb_unsigned(text)
    except UnparsableOutput:
        raise refused(where, text, what) from None


def read_api_number(value, where: str, *, what: str = "a number") -> float:
    """A JSON number (not a bool), or a text of API_NUMBER's form, finite."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise refused(where, str(value), what)
    if isinstance(value, str) and (len(value) > 400 or not API_NUMBER.fullmatch(value)):
        raise refused(where, value, what)
    number = float(value)
    if number != number or number in (float("inf"), float("-inf")):
        raise refused(where, str(value), what)
    return number
