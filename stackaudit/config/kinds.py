"""Kinds of configuration values that mean something: a port, seconds, a name, a version, a URL.

Each is checked when the file is loaded, so a value that looks valid is never misread later: YAML
reads an unquoted `4.10` as the float 4.1 and `+1:30` as the integer 90 (YAML 1.1's base-60
numbers), so where text is expected a number is refused with "quote it".
"""
from __future__ import annotations

import ipaddress
import json
import re
import unicodedata
import urllib.parse
from pathlib import Path

from debian.debian_support import Version

from stackaudit.config.files import shown
from stackaudit.config.schema import Int, Kind, ListOf, SchemaError

# Unicode's control, format (bidi overrides, zero-width), and line/paragraph separator characters.
_INVISIBLE = {"Cc", "Cf", "Zl", "Zp"}


class Text(Kind):
    """A string as written (never a number or a date YAML made of it), without control characters."""
    detailed = True

    def __init__(self, max_length: int = 1024, expected: str = "text"):
        self.max_length = max_length
        self.expected = expected

    def check(self, value, where):
        if not isinstance(value, str):
            hint = "; quote it" if isinstance(value, (int, float)) or hasattr(value, "isoformat") else ""
            self.fail(value, where, f"{self.expected}{hint}")
        bad = next((c for c in value if unicodedata.category(c) in _INVISIBLE), None)
        if bad is not None:
            raise SchemaError(f"{where}: holds the control character U+{ord(bad):04X}; remove it")
        if not value.strip():
            self.fail(value, where, f"{self.expected}, not empty")
        if len(value) > self.max_length:
            raise SchemaError(f"{where}: {len(value)} characters, over {self.max_length}; shorten it")
        return value


# POSIX.1-2017, Base Definitions 3.437 "User Name" and 3.282 "Portable Filename Character Set": letters,
# digits, period, underscore, hyphen, and not a hyphen first; at most 32 bytes (Linux's utmp ut_user).
# Nothing in such a name can end or break a shell word. KVM-CS-USER's user, from the policy or the database.
USER_NAME_PATTERN = r"[A-Za-z0-9._][A-Za-z0-9._-]{0,31}"


class Pattern(Text):
    """Text matching a regular expression that says what it is."""

    def __init__(self, pattern: str, expected: str, max_length: int = 255, quote: bool = True):
        super().__init__(max_length, expected)
        self.pattern = re.compile(pattern)
        self.quote = quote      # False where a mistake may be a secret pasted in the wrong place

    def check(self, value, where):
        value = super().check(value, where)
        if not self.pattern.fullmatch(value):
            if not self.quote:
                raise SchemaError(f"{where}: found text that is not {self.expected} (not shown: it may be a "
                                  "secret); write the name here, never the value")
            self.fail(value, where)
        return value


# A name that becomes part of a target id (`cloud://NAME`, `db://NAME`, `mgmt://NAME`).
NAME = Pattern(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,62}", "a name of letters, digits, '.', '_' and '-' (up to 63)")
USER = Pattern(r"[^\s:/]{1,128}", "a user name without spaces, ':' or '/'")
ENV_NAME = Pattern(r"[A-Za-z_][A-Za-z0-9_]{0,254}", "an environment variable name (letters, digits, '_')",
                   quote=False)
REMOTE_PATH = Pattern(r"/[^\n]*", "an absolute path on the remote machine", 4096)


class LocalPath(Text):
    """A path on this machine; `~` and `~user` must name a home directory that exists."""

    def __init__(self):
        super().__init__(4096, "a file path")

    def check(self, value, where):
        value = super().check(value, where)
        try:
            Path(value).expanduser()
        except RuntimeError:
            raise SchemaError(f"{where}: {shown(value.split('/')[0])} names no user's home directory; "
                              "write the path out") from None
        return value


LOCAL_PATH = LocalPath()
# CloudStack versions: major.minor[.patch[.security]][-suffix], as stackaudit/parsers/cloudstack.py reads them.
CLOUDSTACK_VERSION = Pattern(r"[0-9]{1,4}(\.[0-9]{1,6}){1,3}(-[A-Za-z0-9.]+)?",
                             'a CloudStack version such as "4.19.1.0" (quoted)', 40)


class Bounded(Int):
    """An integer within [minimum, maximum], each bound stated in the error."""

    def __init__(self, minimum: int, maximum: int, unit: str = ""):
        super().__init__(minimum)
        self.maximum = maximum
        self.expected = f"a whole number{unit} from {minimum} to {maximum}"

    def check(self, value, where):
        value = super().check(value, where)
        if value > self.maximum:
            self.fail(value, where)
        return value


PORT = Bounded(1, 65535)


def seconds(maximum: int) -> Bounded:
    return Bounded(1, maximum, " of seconds")


class Host(Text):
    """An IP address or a DNS host name (RFC 1123 labels)."""
    expected = "an IP address or a host name"
    LABEL = re.compile(r"(?!-)[A-Za-z0-9_-]{1,63}(?<!-)")

    def __init__(self):
        super().__init__(253, self.expected)

    def check(self, value, where):
        value = super().check(value, where)
        try:
            ipaddress.ip_address(value)
            return value
        except ValueError:
            pass
        if not all(self.LABEL.fullmatch(label) for label in value.removesuffix(".").split(".")) \
                or value.replace(".", "").isdigit():
            self.fail(value, where)
        return value


class ApiUrl(Text):
    """The CloudStack API endpoint: http or https, a host, no user:password@, no query or fragment."""
    expected = "an http(s) URL such as https://cloud.example.com/client/api"

    def __init__(self):
        super().__init__(2048, self.expected)

    def check(self, value, where):
        value = super().check(value, where)
        try:
            parts = urllib.parse.urlsplit(value)
        except ValueError:         # an unclosed "[" of an IPv6 address: "Invalid IPv6 URL"
            self.fail(value, where)
        if parts.username is not None or parts.password is not None:
            # the userinfo is not quoted back: it may hold a password
            raise SchemaError(f"{where}: holds a user name or password before '@'; remove it (the API key and "
                              "secret authenticate)")
        try:
            port = parts.port
        except ValueError:
            port = -1
        if parts.scheme not in ("http", "https") or not parts.hostname or port == -1 or parts.query \
                or parts.fragment or any(c.isspace() for c in value):
            self.fail(value, where)
        return value


class NonEmptyList(ListOf):
    """A list with at least one item and no item twice (an empty list would make a check pass vacuously)."""

    def __init__(self, item: Kind):
        super().__init__(item)
        self.expected = f"a non-empty list of {item.expected}"

    def check(self, value, where):
        items = super().check(value, where)
        if not items:
            self.fail(value, where)
        seen = set()
        for index, item in enumerate(items):
            key = json.dumps(item, sort_keys=True, default=str)    # hashable, and linear on a long list
            if key in seen:
                raise SchemaError(f"{where}[{index}]: {shown(item)} is listed twice; keep one")
            seen.add(key)
        return items


class DebianVersion(Text):
    """A Debian package version as dpkg shows it.

    python-debian accepts `bookworm`, but dpkg's parseversion() refuses a version whose upstream part
    does not start with a digit ("version number does not start with digit"; dpkg, lib/dpkg/parsehelp.c,
    https://git.dpkg.org/cgit/dpkg/dpkg.git/tree/lib/dpkg/parsehelp.c; deb-version(7))."""

    def __init__(self):
        super().__init__(128, 'a Debian version as dpkg shows it, e.g. "3.0.15-1~deb12u1" (quoted)')

    def check(self, value, where):
        value = super().check(value, where)
        try:
            version = Version(value)
            upstream, epoch = version.upstream_version, version.epoch or "0"
        except ValueError:
            upstream, epoch = "", "0"
        # dpkg reads ASCII digits only, an epoch up to INT_MAX ("epoch in version is too big")
        if not re.fullmatch("[0-9]", upstream[:1]) or not (re.fullmatch("[0-9]{1,10}", epoch) and int(epoch) < 2 ** 31) \
                or any(c.isspace() for c in value):
            raise SchemaError(f"{where}: {shown(value)} is not a Debian version; write it as dpkg shows it, "
                              "e.g. 3.0.15-1~deb12u1")
        return value


# log4j's levels from the most to the least verbose (ALL and OFF at the ends); both dialects name them alike
LOG_LEVELS = ("ALL", "TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL", "OFF")
# The facility names both SyslogAppenders take (log4j 1 SyslogAppender.getFacility, log4j2 Facility)
SYSLOG_FACILITIES = ("KERN", "USER", "MAIL", "DAEMON", "AUTH", "SYSLOG", "LPR", "NEWS", "UUCP", "CRON",
                     "AUTHPRIV", "FTP", *(f"LOCAL{n}" for n in range(8)))
