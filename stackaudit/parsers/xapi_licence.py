"""A XenServer host's product and licence, from its XAPI record (`software_version`, `license_params`).

Both fields are string-to-string maps of the host class (xapi-project/xen-api, ocaml/idl/datamodel_host.ml):

    "software_version": {"product_brand": "XenServer", "product_version": "6.1.0", "build_number": "59235p", ...}
    "license_params": {"sku_type": "advanced", "expiry": "20130701T00:00:00Z", "enable_xha": "true", ...}

`enable_xha` is the key of the HA feature (ocaml/xapi-types/features.ml: `HA -> ("enable_xha",
Positive, "XHA")`). xapi's `of_assoc_list` reads the value with OCaml's bool_of_string, which takes
"true" and "false" only; any other value, or no key, leaves the feature off (HA is not one of its
`enabled_when_unknown` features), so HA is licensed only where the key says "true". `expiry` is written by
xapi as `YYYYMMDDTHH:MM:SS` with `Z` or a `+HH:MM` offset (Date.to_rfc3339), or `never`; xapi reads
it back with Date.of_iso8601, which also takes the dashed RFC 3339 form.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from stackaudit.errors import UnparsableOutput
from stackaudit.parsers.numbers import read_decimal, shown
from stackaudit.parsers.xapi_records import labelled_host_records

NEVER = "never"
# xapi's basic form (20130701T00:00:00Z) and the dashed RFC 3339 form its reader also takes
EXPIRY = re.compile(r"([0-9]{4})-?([0-9]{2})-?([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})(Z|[+-][0-9]{2}:[0-9]{2})?")
VERSION_PART = re.compile(r"[0-9]+")


@dataclass(frozen=True)
class HostLicence:
    name_label: str
    address: str
    product_brand: str | None       # software_version's, None when the key is absent
    product_version: str | None
    enable_xha: str | None          # license_params' value as sent; None when the key is absent
    expiry: datetime | None         # UTC; None: `never` or no expiry key
    expiry_text: str | None         # as sent; None when the key is absent


def parse_product_version(text: str, where: str) -> tuple[int, ...]:
    """`6.1.0` as (6, 1, 0), for a numeric comparison (6.10 is after 6.2)."""
    parts = text.split(".")
    if not text or not all(VERSION_PART.fullmatch(p) for p in parts):
        raise UnparsableOutput(f"{where}: product_version {shown(text)} is not a dotted version")
    return tuple(read_decimal(p, f"{where}: product_version") for p in parts)


def parse_licence_expiry(text: str, where: str) -> datetime | None:
    """A license_params `expiry` as an aware UTC datetime; None for `never`."""
    if text == NEVER:
        return None
    match = EXPIRY.fullmatch(text)
    if match is None:
        raise UnparsableOutput(f"{where}: expiry {shown(text)} is not YYYYMMDDTHH:MM:SSZ or never")
    year, month, day, hour, minute, second, zone = match.groups()
    offset = timedelta(0)
    if zone and zone != "Z":
        sign = -1 if zone[0] == "-" else 1
        offset = sign * timedelta(hours=int(zone[1:3]), minutes=int(zone[4:6]))
    try:
        local = datetime(int(year), int(month), int(day), int(hour), int(minute), int(second), tzinfo=timezone.utc)
    except ValueError:
        raise UnparsableOutput(f"{where}: expiry {shown(text)} is not a date") from None
    return local - offset


def string_map(record: dict, field: str, where: str) -> dict:
    value = record.get(field)
    if not isinstance(value, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        raise UnparsableOutput(f"{where}: {field} is not a map of strings")
    return value


def parse_host_licences(records) -> list[HostLicence]:
    """Every host of `host.get_all_records` ({ref: record}), sorted by name_label."""
    hosts = []
    for _, label, address, record in labelled_host_records(records):
        where = f"XAPI host {label}"
        software = string_map(record, "software_version", where)
        licence = string_map(record, "license_params", where)
        expiry_text = licence.get("expiry")
        expiry = None if expiry_text is None else parse_licence_expiry(expiry_text, f"{where} license_params")
        hosts.append(HostLicence(label, address, software.get("product_brand"), software.get("product_version"),
                                 licence.get("enable_xha"), expiry, expiry_text))
    return sorted(hosts, key=lambda h: (h.name_label, h.address))
