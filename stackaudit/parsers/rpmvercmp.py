"""RPM's version comparison, as rpm's own rpmvercmp() does it (rpm-software-management/rpm,
rpmio/rpmvercmp.c; its tests, tests/rpmvercmp.at, are tests/unit/test_rpmvercmp.py).

Not dpkg's: rpm splits a version into runs of ASCII digits and ASCII letters, every other
character only separates them (so 2.0 equals 2_0, and non-ASCII letters are separators); `~`
sorts before anything, even the end (1.0~rc1 < 1.0); `^` sorts after the end but before anything
else (1.0 < 1.0^git1 < 1.01); a numeric run is newer than a letter run; numbers compare without
their leading zeros (10.0001 equals 10.1). For the EL front ends of MS-TLS-LIBSSL-PATCHED
(openssl-1.0.1e-16.el6_5.7, Red Hat's Heartbleed erratum); not yet read by a check.
"""
from __future__ import annotations

import re

# One step of the walk: a run of digits, a run of letters, or a tilde or caret; anything else separates.
_DIGITS, _LETTERS = re.compile(r"[0-9]+"), re.compile(r"[A-Za-z]+")


def _skip_separators(text: str, at: int) -> int:
    while at < len(text) and not (text[at].isascii() and text[at].isalnum()) and text[at] not in "~^":
        at += 1
    return at


def rpmvercmp(a: str, b: str) -> int:
    """1 if `a` is newer, 0 if rpm calls them equal, -1 if `b` is newer (one version or release each)."""
    if a == b:
        return 0
    one = two = 0
    while one < len(a) or two < len(b):
        one, two = _skip_separators(a, one), _skip_separators(b, two)
        first, second = a[one:one + 1], b[two:two + 1]
        # a tilde sorts before everything, the end included; a caret after the end, before everything else
        mark = "~" if "~" in (first, second) else "^" if "^" in (first, second) else None
        if mark is not None:
            if mark == "^" and not (first and second):
                return -1 if not first else 1
            if first != mark:
                return 1
            if second != mark:
                return -1
            one, two = one + 1, two + 1
            continue
        if not (first and second):
            break
        run = _DIGITS if first.isdigit() else _LETTERS
        mine = run.match(a, one)
        theirs = run.match(b, two)
        if theirs is None:               # a number against letters: the number is newer
            return 1 if run is _DIGITS else -1
        left, right = mine.group(), theirs.group()
        if run is _DIGITS:
            left, right = left.lstrip("0"), right.lstrip("0")
            if len(left) != len(right):
                return 1 if len(left) > len(right) else -1
        if left != right:
            return 1 if left > right else -1
        one, two = mine.end(), theirs.end()
    if one >= len(a) and two >= len(b):
        return 0
    return -1 if one >= len(a) else 1


def split_evr(evr: str) -> tuple[int, str, str | None]:
    """`[epoch:]version[-release]` as rpm's parseEVR splits it: the epoch is the digits before a
    colon (none: 0), the release what follows the last hyphen."""
    digits = re.match(r"[0-9]*", evr).group()
    rest = evr[len(digits):]
    if rest.startswith(":"):
        epoch, rest = int(digits or "0"), rest[1:]
    else:
        epoch, rest = 0, evr
    version, hyphen, release = rest.rpartition("-")
    return (epoch, version, release) if hyphen else (epoch, rest, None)


def compare_evr(a: str, b: str) -> int:
    """rpm's order of two installed versions: epoch as a number, then version, then release (where both
    have one) by rpmvercmp."""
    (epoch_a, version_a, release_a), (epoch_b, version_b, release_b) = split_evr(a), split_evr(b)
    if epoch_a != epoch_b:
        return 1 if epoch_a > epoch_b else -1
    return rpmvercmp(version_a, version_b) or (
        rpmvercmp(release_a, release_b) if release_a is not None and release_b is not None else 0)
