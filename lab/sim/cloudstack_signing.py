"""CloudStack API request signing, checked the way the management server checks it.

Source: apache/cloudstack ApiServer.verifyRequest and DateUtil.parseTZDateString ([CS-CODE], https://github.com/apache/cloudstack).
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import re
from datetime import datetime, timedelta, timezone
from urllib.parse import quote

Params = dict[str, "str | list[str]"]

# DateUtil.parseTZDateString tries these in order; each is (regex, has fraction).  The ISO_* formatters
# parse case-insensitively and accept +HH:MM[:SS] or Z; the ofPattern ones take +HHMM and a literal 'T'.
# (ISO_INSTANT adds nothing over ISO_OFFSET_DATE_TIME here, and ".SSSSSS'Z'" carries no offset, so
# OffsetDateTime.parse never succeeds with it.)
_DATE = r"(?P<y>\d{4})-(?P<mo>\d\d)-(?P<d>\d\d)T(?P<h>\d\d):(?P<mi>\d\d)"
_EXPIRES_FORMATS = [
    re.compile(_DATE + r"(?::(?P<s>\d\d)(?:\.(?P<f>\d{0,9}))?)?(?P<off>Z|[+-]\d\d:\d\d(?::\d\d)?)", re.I),
    re.compile(_DATE + r":(?P<s>\d\d)(?P<off>[+-]\d{4})"),
    re.compile(_DATE + r":(?P<s>\d\d)\.(?P<f>\d{6})(?P<off>Z|[+-]\d\d(?:\d\d)?)"),
    re.compile(_DATE + r":(?P<s>\d\d)\.(?P<f>\d{6})(?P<off>[+-]\d{4})"),
    re.compile(_DATE + r":(?P<s>\d\d)Z(?P<off>[+-]\d{4})"),
]


def _first(value: str | list[str]) -> str:
    return value[0] if isinstance(value, list) else value


def _java_sort_key(name: str) -> bytes:
    """Collections.sort on Java Strings compares UTF-16 code units, case-sensitively."""
    return name.encode("utf-16-be", "surrogatepass")


def java_urlencode(value: str) -> str:
    """URLEncoder.encode(value, "UTF-8").replaceAll("\\+", "%20"): only A-Za-z0-9 . - * _ stay as they are."""
    return quote(value, safe="*").replace("~", "%7E")


def canonical_query(params: Params) -> str:
    """The exact string CloudStack signs: sorted raw names, first values, Java encoding, all lowercased."""
    pairs = [f"{name}={java_urlencode(_first(params[name]))}"
             for name in sorted(params, key=_java_sort_key) if name.lower() != "signature"]
    return "&".join(pairs).lower()


def compute_signature(params: Params, secret: str) -> str:
    digest = hmac.new(secret.encode(), canonical_query(params).encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def param(params: Params, name: str) -> str | None:
    """A parameter matched case-insensitively by name; like the server, the last one in sort order wins."""
    found = None
    for key in sorted(params, key=_java_sort_key):
        if key.lower() == name:
            found = _first(params[key])
    return found


def parse_expires(text: str) -> datetime | None:
    """The instant an `expires` value names, or None if DateUtil would not parse it."""
    for pattern in _EXPIRES_FORMATS:
        match = pattern.fullmatch(text)
        if not match:
            continue
        m = {"f": None, "s": None, **match.groupdict()}
        off = m["off"].upper()
        try:
            if off == "Z":
                tz = timezone.utc
            else:
                digits = off[1:].replace(":", "")
                delta = timedelta(hours=int(digits[:2]), minutes=int(digits[2:4] or 0), seconds=int(digits[4:6] or 0))
                tz = timezone(-delta if off[0] == "-" else delta)
            fraction = int((m["f"] or "0").ljust(6, "0")[:6])
            return datetime(int(m["y"]), int(m["mo"]), int(m["d"]), int(m["h"]), int(m["mi"]),
                            int(m["s"] or 0), fraction, tz)
        except ValueError:
            continue
    return None


def verify(params: Params, secret: str, now: datetime) -> bool:
    """True if `params` carry an apiKey and a valid, unexpired signature made with `secret`."""
    signature, api_key = param(params, "signature"), param(params, "apikey")
    if signature is None or api_key is None:
        return False
    if param(params, "signatureversion") == "3":
        expires = param(params, "expires")
        when = parse_expires(expires) if expires is not None else None
        if when is None or when < now:
            return False
    return hmac.compare_digest(signature.encode(), compute_signature(params, secret).encode())
