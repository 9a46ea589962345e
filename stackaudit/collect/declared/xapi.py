"""A XenServer pool's records, read from its master over XAPI (`<class>.get_all_records`)."""
from __future__ import annotations

from stackaudit.collect.readings import Fact, Records
from stackaudit.errors import CollectionFailed
from stackaudit.parsers.xapi import parse_pool_ha
from stackaudit.parsers.xapi_licence import parse_host_licences
from stackaudit.parsers.xapi_records import XapiPool, parse_xapi_records


def raw_pool_record(facts) -> dict:
    pools = facts.records("pool")
    if len(pools) != 1:
        raise CollectionFailed(f"{facts.target.id}: XAPI lists {len(pools)} pool records, expected 1")
    return next(iter(pools.values()))


def pool_record(facts) -> XapiPool:
    raw_pool_record(facts)   # exactly one
    return next(iter(parse_xapi_records("pool", facts.records("pool")).values()))


def xapi_records(name: str, xapi_class: str) -> Fact:
    return Fact(name, ("xs-pool",), (Records(xapi_class),),
                lambda facts: parse_xapi_records(xapi_class, facts.records(xapi_class)))


FACTS = [
    Fact("pool_record", ("xs-pool",), (Records("pool"),), pool_record),
    Fact("ha", ("xs-pool",), (Records("pool"),), lambda facts: parse_pool_ha(raw_pool_record(facts))),
    # each member's software_version and license_params (XS-POOL-HA-LICENSED)
    Fact("pool_licences", ("xs-pool",), (Records("host"),), lambda facts: parse_host_licences(facts.records("host"))),
    *(xapi_records(f"pool_{name}", cls) for name, cls in (("hosts", "host"), ("host_metrics", "host_metrics"),
                                                           ("vms", "VM"), ("srs", "SR"), ("pbds", "PBD"),
                                                           ("vdis", "VDI"), ("networks", "network"),
                                                           ("pifs", "PIF"))),
]
