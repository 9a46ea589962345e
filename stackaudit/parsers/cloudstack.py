"""CloudStack versions: a system VM's /etc/cloudstack-release, and comparing versions as CloudStack does."""
from __future__ import annotations

import re
from dataclasses import dataclass

from stackaudit.errors import UnparsableOutput
from stackaudit.parsers.numbers import read_java_int

# CloudStackVersion.FULL_VERSION_FORMAT (apache/cloudstack utils/.../org/apache/cloudstack/utils/
# CloudStackVersion.java), what trimRouterVersion accepts: x.y.z[.s][-brand][-epoch][-SNAPSHOT]
ROUTER_VERSION = re.compile(r"([0-9]+\.){2}([0-9]+\.)?[0-9]+(-[a-zA-Z]+)?(-[0-9]+)?(-SNAPSHOT)?")
VERSION_NUMBERS = re.compile(r"([0-9]+)\.([0-9]+)(?:\.([0-9]+)(?:\.([0-9]+))?)?")

# CloudStackVersion (four parts, 4.8.2.0 and later); before it, Version.trimToPatch compared three
FOUR_PART_COMPARISON_SINCE = (4, 8, 2, 0)


@dataclass(frozen=True, order=True)
class CloudStackVersion:
    major: int
    minor: int
    patch: int = 0
    security: int = 0

    @classmethod
    def parse(cls, text: str) -> CloudStackVersion:
        return cls(*parse_cloudstack_version(text))

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}.{self.patch}.{self.security}"


def parse_cloudstack_release(text: str) -> str:
    """The version in a system VM's /etc/cloudstack-release, written when its template was built:

        Cloudstack Release 4.19.0 Wed Oct 11 10:00:00 UTC 2023

    Read as CloudStack reads it: get_template_version.sh prints the line, and
    CloudStackVersion.trimRouterVersion takes the third word of `line.split(" ")` when it matches
    FULL_VERSION_FORMAT and makes the version "0" otherwise (so `4.11`, a two-part version, or a
    doubled space reads as "0": a router that needs an upgrade). The first two words are not checked.
    """
    line = text.strip("\n")      # the script's backticks drop the trailing newlines
    words = line.split(" ")
    while words and not words[-1]:
        words.pop()               # Java's String.split drops trailing empty strings
    if "\n" in line or len(words) < 3 or not ROUTER_VERSION.fullmatch(words[2]):
        raise UnparsableOutput(f"/etc/cloudstack-release: no version where CloudStack reads it (third word, "
                               f"major.minor.patch[.security][-brand][-SNAPSHOT]) in {line[:80]!r}; "
                               f"CloudStack's trimRouterVersion reads it as 0")
    return words[2]


def parse_cloudstack_version(text: str) -> tuple[int, int, int, int]:
    """(major, minor, patch, security) of `4.19.1.0`, `4.19.1` (security 0), `4.19` (patch 0) or any of
    them with a `-suffix` (`4.18.0.0-SNAPSHOT`, `4.0.0-incubating`), which is dropped."""
    numbers = text.strip().split("-", 1)[0]
    match = VERSION_NUMBERS.fullmatch(numbers)   # [0-9]: Java's \\d is ASCII only
    if not match:
        raise UnparsableOutput(f"CloudStack version {text.strip()[:40]!r}: expected "
                               f"major.minor[.patch[.security]][-suffix]")
    where = f"CloudStack version {text.strip()[:40]!r}"   # each part read by Integer.valueOf: an int
    major, minor, patch, security = (read_java_int(part, where, what="a version part (a Java int)") if part else 0
                                     for part in match.groups())
    return major, minor, patch, security


def versions_equal(a: str, b: str) -> bool:
    """Same four parts: `4.19.1` equals `4.19.1.0`, suffixes aside."""
    return parse_cloudstack_version(a) == parse_cloudstack_version(b)


def schema_matches_code(db_version: str, code_version: str) -> bool:
    """The management server's start-up check that no database upgrade is due (DatabaseUpgradeChecker).

    Code from 4.8.2 on compares CloudStackVersion's four parts (a three-part version counting as
    x.y.z.0); older code compared only major.minor.patch (Version.trimToPatch).
    """
    db, code = parse_cloudstack_version(db_version), parse_cloudstack_version(code_version)
    if code >= FOUR_PART_COMPARISON_SINCE:
        return db == code
    return db[:3] == code[:3]
