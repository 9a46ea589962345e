"""What each member of a XenServer pool runs, read from its master at discovery (`host.software_version`).

Where XAPI pools apply is decided at collection (stackaudit/applicability.py, docs/scope.md) from the
snapshot alone, so the product of each member comes into the snapshot the way the pool's master was
found: over XAPI, by discovery. Three small calls per member (name_label, address, software_version
of `host.get_all`), not `host.get_all_records`: a host record holds every field of the class and a
pool may have 64 members. Whatever goes wrong leaves the pool's members unknown and says why; the
checks scoped on them are then broken, never passed or left out (rules/scope.py).
"""
from __future__ import annotations

from stackaudit.collect.transports import xapi
from stackaudit.config.files import shown
from stackaudit.errors import TargetError

KEPT = ("product_brand", "product_version")
LONGEST = 100     # a product name or version is a few characters; anything longer is kept as unreadable


def member_software(settings, master: str) -> tuple[list[dict], str | None]:
    """([{"host", "address", "product_brand", "product_version"}, ...] sorted by host, None), or
    ([], why they could not be read)."""
    try:
        session = xapi.login(master, settings.port, settings.username, settings.password.read(),
                             settings.ca_file, settings.timeout, settings.insecure)
    except xapi.NotMaster as redirect:
        return [], f"XAPI {master} answered HOST_IS_SLAVE when its members' software was read ({shown(str(redirect))})"
    except TargetError as err:
        return [], f"members' software not read: {err}"
    except Exception as err:  # noqa: BLE001 - whatever the master answers, it leaves the members unknown
        return [], f"XAPI {master}: login: not an XAPI answer ({type(err).__name__}: {shown(str(err))})"
    try:
        return sorted(members(session, master), key=lambda m: (m["host"], m["address"])), None
    except TargetError as err:
        return [], f"members' software not read: {err}"
    finally:
        xapi.logout(session)


def members(session, master: str) -> list[dict]:
    found = []
    for ref in text_list(xapi.call(session, master, "host.get_all"), master):
        software = xapi.call(session, master, "host.get_software_version", ref)
        software = software if isinstance(software, dict) else {}
        found.append({"host": kept(xapi.call(session, master, "host.get_name_label", ref)),
                      "address": kept(xapi.call(session, master, "host.get_address", ref)),
                      **{key: kept(software.get(key)) for key in KEPT}})
    return found


def text_list(value, master: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise TargetError(f"XAPI {master}: host.get_all: not a list of references")
    return value


def kept(value) -> str | None:
    """A value as sent when it is short text; None when absent; "" (unreadable) otherwise."""
    if value is None:
        return None
    return value if isinstance(value, str) and len(value) <= LONGEST else ""
