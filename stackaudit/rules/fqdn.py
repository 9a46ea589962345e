"""MS-FQDN: `hostname --fqdn` gives a dotted name that does not start with localhost, and that name
resolves on the server to at least one address of its own interfaces other than loopback (the
CloudStack install guide's prerequisite "Check for a fully qualified hostname").

Debian's installer puts the host's own name on 127.0.1.1: such a name resolves, but only to
loopback, and fails here, as the row of the catalog asks. A resolver that cannot answer now
(getaddrinfo's EAI_AGAIN, "Temporary failure in name resolution": DNS unreachable) leaves it open
whether the name resolves: not checked, never failed or passed.
"""
from __future__ import annotations

import ipaddress

from stackaudit.errors import NotCheckable
from stackaudit.parsers.fqdn import FqdnLookup
from stackaudit.parsers.localnames import OwnNames


def fqdn_findings(lookup: FqdnLookup, own: OwnNames) -> tuple[list[str], dict]:
    own_addresses = sorted(a for a in own.addresses if not ipaddress.ip_address(a).is_loopback)
    evidence = {"hostname --fqdn": lookup.fqdn if lookup.fqdn is not None else f"failed: {lookup.failure}",
                "resolves to (getent ahosts)": list(lookup.addresses or ()),
                "this server's addresses (ip -o addr show)": own_addresses}
    if lookup.fqdn is None and "Temporary failure in name resolution" in lookup.failure:
        raise NotCheckable(f"hostname --fqdn could not ask the resolver ({lookup.failure}): whether the server's name "
                           "resolves cannot be told now")
    if lookup.fqdn is None:
        return [f"hostname --fqdn fails ({lookup.failure or 'no message'}): the server's own name does not resolve; "
                "put its fully qualified name on its address in /etc/hosts or DNS"], evidence
    name, findings = lookup.fqdn, []
    if "." not in name.strip("."):
        findings.append(f"hostname --fqdn gives {name!r}, not a fully qualified name (no domain)")
    if name.lower().startswith("localhost"):
        findings.append(f"hostname --fqdn gives {name!r}, a localhost name")
    if lookup.addresses is None:
        findings.append(f"{name} does not resolve on the server (getent ahosts finds no address)")
        return findings, evidence
    outside_loopback = [a for a in lookup.addresses if not ipaddress.ip_address(a).is_loopback]
    if not outside_loopback:
        findings.append(f"{name} resolves only to loopback ({', '.join(lookup.addresses)}): map it to the "
                        "server's own address in /etc/hosts or DNS")
    elif not set(outside_loopback) & set(own_addresses):
        findings.append(f"{name} resolves to {', '.join(outside_loopback)}, none of them an address of this server "
                        f"({', '.join(own_addresses) or 'none but loopback'})")
    return findings, evidence
