"""Rows enter as dataclasses: XAPI records (parsers/xapi_records.py). A record missing a field the
suite reads is UnparsableOutput naming the call, the record and the field, never a KeyError in a rule.

Input: the pool record of Ansible's fake XenAPI (tests/data/recorded/SOURCES.md,
outside-xapi-pool-ansible-fake-xenapi.py.txt), XML-RPC types as XAPI returns them.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stackaudit.errors import UnparsableOutput
from stackaudit.parsers.xapi_records import SHAPES, XapiPool, parse_xapi_records

RECORDED = Path(__file__).resolve().parent.parent / "data" / "recorded"
POOL = ast.literal_eval("{" + (RECORDED / "outside-xapi-pool-ansible-fake-xenapi.py.txt").read_text() + "}")


def test_the_recorded_pool_record_reads_as_a_pool():
    assert parse_xapi_records("pool", {"OpaqueRef:p": POOL}) == {
        "OpaqueRef:p": XapiPool("OpaqueRef:p", "OpaqueRef:NULL", ())}


@pytest.mark.parametrize("field", ["master", "ha_statefiles"])
def test_a_missing_field_names_the_call_the_record_and_the_field(field):
    record = {k: v for k, v in POOL.items() if k != field}
    with pytest.raises(UnparsableOutput) as error:
        parse_xapi_records("pool", {"OpaqueRef:p": record})
    assert str(error.value) == f"XAPI pool.get_all_records: record OpaqueRef:p has no field {field}"


def test_a_field_of_the_wrong_shape_is_unparsable():
    with pytest.raises(UnparsableOutput, match="record OpaqueRef:p field ha_statefiles is str, not list"):
        parse_xapi_records("pool", {"OpaqueRef:p": {**POOL, "ha_statefiles": "OpaqueRef:v"}})


values = st.recursive(st.none() | st.booleans() | st.text(max_size=8) | st.integers(),
                      lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner,
                                                                                  max_size=3), max_leaves=8)


@settings(max_examples=200, deadline=None)
@given(xapi_class=st.sampled_from(sorted(SHAPES)), records=values,
       mutation=st.dictionaries(st.sampled_from(sorted({f for _, fs in SHAPES.values() for f, _ in fs})), values,
                                max_size=4))
def test_random_records_and_mutations_of_the_recorded_one_raise_only_unparsable_output(xapi_class, records, mutation):
    for candidate in (records, {"OpaqueRef:p": {**POOL, **mutation}}):
        try:
            parse_xapi_records(xapi_class, candidate)
        except UnparsableOutput:
            pass
