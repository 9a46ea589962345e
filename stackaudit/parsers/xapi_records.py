"""XAPI records as the suite reads them: one dataclass per class, built where the records enter.

`<class>.get_all_records` returns {ref: record}, each record holding every field of the class's
datamodel (xapi-project/xen-api, ocaml/idl/datamodel*.ml); over XML-RPC a reference or a string is
a string, a set a list, a map a dict. A record without a field the suite reads, or with a field of
the wrong shape, is not what XAPI sends: UnparsableOutput names the call, the record and the field.
Fields the rules compare with `is True` (enabled, live, shared, currently_attached, is_a_*) are
kept as sent, so a value other than true reads as not true, as before.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from stackaudit.errors import UnparsableOutput


@dataclass(frozen=True)
class XapiPool:
    ref: str
    master: str
    ha_statefiles: tuple[str, ...]


@dataclass(frozen=True)
class XapiHost:
    ref: str
    uuid: str
    name_label: str
    hostname: str
    address: str
    enabled: Any
    metrics: str


@dataclass(frozen=True)
class XapiHostMetrics:
    ref: str
    live: Any


@dataclass(frozen=True)
class XapiVM:
    ref: str
    uuid: str
    name_label: str
    is_control_domain: Any
    is_a_template: Any
    is_a_snapshot: Any
    ha_restart_priority: str


@dataclass(frozen=True)
class XapiSR:
    ref: str
    uuid: str
    name_label: str
    type: str
    shared: Any
    pbds: tuple[str, ...]


@dataclass(frozen=True)
class XapiPBD:
    ref: str
    host: str
    currently_attached: Any


@dataclass(frozen=True)
class XapiVDI:
    ref: str
    sr: str


@dataclass(frozen=True)
class XapiNetwork:
    ref: str
    name_label: str
    mtu: str            # an int on the wire: a decimal string
    pifs: tuple[str, ...]


@dataclass(frozen=True)
class XapiPIF:
    ref: str
    host: str
    network: str
    device: str
    mtu: str


# class -> (dataclass, (record field, shape) in the dataclass's order after ref)
SHAPES = {
    "pool": (XapiPool, (("master", str), ("ha_statefiles", list))),
    "host": (XapiHost, (("uuid", str), ("name_label", str), ("hostname", str), ("address", str),
                        ("enabled", object), ("metrics", str))),
    "host_metrics": (XapiHostMetrics, (("live", object),)),
    "VM": (XapiVM, (("uuid", str), ("name_label", str), ("is_control_domain", object), ("is_a_template", object),
                    ("is_a_snapshot", object), ("ha_restart_priority", str))),
    "SR": (XapiSR, (("uuid", str), ("name_label", str), ("type", str), ("shared", object), ("PBDs", list))),
    "PBD": (XapiPBD, (("host", str), ("currently_attached", object))),
    "VDI": (XapiVDI, (("SR", str),)),
    # ocaml/idl/datamodel.ml: network.MTU and PIF.MTU (ints), network.PIFs, PIF.host / network / device
    "network": (XapiNetwork, (("name_label", str), ("MTU", str), ("PIFs", list))),
    "PIF": (XapiPIF, (("host", str), ("network", str), ("device", str), ("MTU", str))),
}


def parse_xapi_records(xapi_class: str, records) -> dict:
    """{ref: record} of `<xapi_class>.get_all_records` as {ref: the class's dataclass}."""
    call = f"XAPI {xapi_class}.get_all_records"
    if not isinstance(records, dict):
        raise UnparsableOutput(f"{call}: expected a map of records, got {type(records).__name__}")
    cls, fields = SHAPES[xapi_class]
    parsed = {}
    for ref, record in records.items():
        if not isinstance(record, dict):
            raise UnparsableOutput(f"{call}: record {ref} is not a map")
        values = []
        for name, shape in fields:
            if name not in record:
                raise UnparsableOutput(f"{call}: record {ref} has no field {name}")
            value = record[name]
            if not isinstance(value, shape):
                raise UnparsableOutput(f"{call}: record {ref} field {name} is {type(value).__name__}, "
                                       f"not {shape.__name__}")
            values.append(tuple(value) if shape is list else value)
        parsed[ref] = cls(ref, *values)
    return parsed


def labelled_host_records(records) -> list[tuple[str, str, str, dict]]:
    """(ref, name_label, address, record) of each record of `host.get_all_records`, for the parsers
    that read one map field of every member (its licence, its CPU)."""
    call = "XAPI host.get_all_records"
    if not isinstance(records, dict):
        raise UnparsableOutput(f"{call}: expected a map of records, got {type(records).__name__}")
    labelled = []
    for ref, record in records.items():
        if not isinstance(record, dict):
            raise UnparsableOutput(f"{call}: record {ref} is not a map")
        label, address = record.get("name_label"), record.get("address")
        if not isinstance(label, str) or not isinstance(address, str):
            raise UnparsableOutput(f"XAPI host record {ref}: no name_label or address")
        labelled.append((ref, label, address, record))
    return labelled
