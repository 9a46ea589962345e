"""A server's fully qualified name as `hostname --fqdn` gives it, and what that name resolves to on
the server (`getent ahosts`, framed as parsers/getent.py frames it):

    fqdn ms1.lab.example
     198.18.0.10     STREAM ms1.lab.example
     198.18.0.10     DGRAM
     198.18.0.10     RAW
    = 0

`hostname --fqdn` fails where the host name does not resolve (`hostname: Name or service not known`,
exit 1): then the line is `fqdn-failed <its message>` and nothing follows.
"""
from __future__ import annotations

from dataclasses import dataclass

from stackaudit.errors import UnparsableOutput
from stackaudit.parsers.getent import parse_lookups

FOUND, FAILED = "fqdn ", "fqdn-failed "


@dataclass(frozen=True)
class FqdnLookup:
    fqdn: str | None                       # None: hostname --fqdn failed
    failure: str = ""                      # what it said then
    addresses: tuple[str, ...] | None = None   # None: getent found no address


def parse_fqdn_lookup(text: str) -> FqdnLookup:
    first, _, rest = text.partition("\n")
    if first.startswith(FAILED) or first == FAILED.strip():
        if rest.strip():
            raise UnparsableOutput(f"hostname --fqdn failed, yet more followed: {rest[:80]!r}")
        return FqdnLookup(None, first[len(FAILED):].strip())
    if not first.startswith(FOUND) or not first[len(FOUND):].strip():
        raise UnparsableOutput(f"hostname --fqdn: expected `fqdn <name>` first, got {first[:80]!r}")
    name = first[len(FOUND):]
    if name != name.strip() or any(c.isspace() for c in name):
        raise UnparsableOutput(f"hostname --fqdn: {name[:80]!r} is not one name")
    return FqdnLookup(name, "", parse_lookups(rest, [name])[name])
