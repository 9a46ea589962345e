"""Rows enter as dataclasses: XAPI records (parsers/xapi_records.py), API list rows and cloud.version
rows (parsers/api_rows.py). A record missing a field the
suite reads is UnparsableOutput naming the call, the record and the field, never a KeyError in a rule.

Input: the pool record of Ansible's fake XenAPI (tests/data/recorded/SOURCES.md,
outside-xapi-pool-ansible-fake-xenapi.py.txt), XML-RPC types as XAPI returns them.
"""
from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stackaudit.errors import UnparsableOutput
from stackaudit.parsers.api_rows import (ConfigurationRow, LdapConfigurationRow, ManagementServerRow, SchemaVersionRow,
                                         ScopedObject, parse_api_rows, parse_configurations, parse_ldap_configurations,
                                         parse_schema_versions, parse_scoped_settings)
from stackaudit.parsers.xapi_records import SHAPES, XapiPool, parse_xapi_records
from tests.unit.hypothesis_budget import examples

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


@settings(max_examples=examples(200), deadline=None)
@given(xapi_class=st.sampled_from(sorted(SHAPES)), records=values,
       mutation=st.dictionaries(st.sampled_from(sorted({f for _, fs in SHAPES.values() for f, _ in fs})), values,
                                max_size=4))
def test_random_records_and_mutations_of_the_recorded_one_raise_only_unparsable_output(xapi_class, records, mutation):
    for candidate in (records, {"OpaqueRef:p": {**POOL, **mutation}}):
        try:
            parse_xapi_records(xapi_class, candidate)
        except UnparsableOutput:
            pass


# --- CloudStack API rows and cloud.version rows (parsers/api_rows.py) -----------------------------
# listManagementServers rows of the fields Apache CloudStack's ManagementServerResponse names (id,
# name, state, version; api/src/main/java/org/apache/cloudstack/api/response/ManagementServerResponse.java,
# https://github.com/apache/cloudstack), null fields left out as its Gson leaves them out; and
# cloud.version as recorded from the lab's MariaDB (tests/data/recorded/mariadb-cloud-version.json).
SERVERS = [{"id": "a9a1", "name": "ms1", "state": "Up", "version": "4.19.1.0"}, {"id": "b2b2", "name": "ms2"}]
VERSIONS = json.loads((RECORDED / "mariadb-cloud-version.json").read_text())


def test_api_rows_read_as_dataclasses_with_absent_fields_as_none():
    assert parse_api_rows("listManagementServers", SERVERS) == [
        ManagementServerRow("ms1", "Up", "4.19.1.0"), ManagementServerRow("ms2", None, None)]


def test_an_api_row_without_a_name_is_unparsable_naming_the_command_and_the_field():
    with pytest.raises(UnparsableOutput) as error:
        parse_api_rows("listSystemVms", [{"id": "x", "state": "Running"}])
    assert str(error.value) == "API listSystemVms: row 1 ('no name') has no field name"


def test_cloud_version_rows_read_as_dataclasses_and_a_missing_step_is_named():
    assert parse_schema_versions(VERSIONS)[-1] == SchemaVersionRow(2, "4.19.1.0", "Complete")
    with pytest.raises(UnparsableOutput, match="SQL schema_versions: row 1 has no field step"):
        parse_schema_versions([{"id": 1, "version": "4.0.0"}])


@settings(max_examples=examples(200), deadline=None)
@given(command=st.sampled_from(["listManagementServers", "listHosts", "listSystemVms"]), rows=values,
       mutation=st.dictionaries(st.sampled_from(["name", "state", "version", "id", "step", "systemvmtype"]), values,
                                max_size=3))
def test_random_rows_and_mutations_of_recorded_ones_raise_only_unparsable_output(command, rows, mutation):
    for parse, candidate in ((lambda r: parse_api_rows(command, r), rows),
                             (lambda r: parse_api_rows(command, r), [{**SERVERS[0], **mutation}]),
                             (parse_schema_versions, rows), (parse_schema_versions, [{**VERSIONS[0], **mutation}])):
        try:
            parse(candidate)
        except UnparsableOutput:
            pass


def test_settings_rows_read_as_dataclasses_and_name_the_scope_of_a_bad_row():
    scoped = parse_scoped_settings({"zone": {"z1": {"name": "zone1", "settings": [{"name": "host", "value": "a"}]}}})
    assert scoped == {"zone": {"z1": ScopedObject("zone1", (ConfigurationRow("host", "a"),))}}
    bad_row = r"API listConfigurations zoneid=z1: row 1 \('no name'\) has no field name"
    with pytest.raises(UnparsableOutput, match=bad_row):
        parse_scoped_settings({"zone": {"z1": {"name": "zone1", "settings": [{"value": "a"}]}}})
    assert parse_ldap_configurations([{"hostname": "ldap1", "port": 389, "domainid": "d1"}]) == [
        LdapConfigurationRow("ldap1", 389, "d1")]


@settings(max_examples=examples(200), deadline=None)
@given(rows=values, scoped=values)
def test_random_settings_raise_only_unparsable_output(rows, scoped):
    for parse, candidate in ((parse_configurations, rows), (parse_ldap_configurations, rows),
                             (parse_scoped_settings, scoped), (parse_scoped_settings, {"zone": {"z": scoped}})):
        try:
            parse(candidate)
        except UnparsableOutput:
            pass


# --- Target.attrs, typed per kind, through targets.json ------------------------------------------

def test_target_attrs_are_typed_per_kind_and_survive_the_snapshot_that_workers_read(tmp_path):
    from stackaudit.targets import DatabaseAttrs, PoolAttrs, Snapshot, Target
    pool = {"id": "c1-id", "members": ["xs1", "xs2"], "member_addresses": ["198.18.0.11", "198.18.0.12"]}
    targets = [Target("xs-pool", "c1", "zone1", "198.18.0.11", attrs=pool),
               Target("db", "db1", None, "198.18.200.1", attrs={"port": 3306, "ssh_address": None, "aliases": ["db"]})]
    Snapshot("cloud", targets).save(tmp_path / "targets.json")
    loaded = Snapshot.load(tmp_path / "targets.json")
    assert [t.attrs for t in loaded.targets] == [DatabaseAttrs(3306, None, ("db",)),
                                                 PoolAttrs("c1-id", ("xs1", "xs2"), ("198.18.0.11", "198.18.0.12"))]


def test_an_attribute_the_kind_does_not_have_is_refused_when_the_snapshot_is_read(tmp_path):
    from stackaudit.targets import Snapshot
    from stackaudit.errors import ConfigError
    (tmp_path / "targets.json").write_text(json.dumps({"cloud": "c", "targets": [
        {"kind": "zone", "name": "z", "zone": None, "address": None, "attrs": {"id": "1", "colour": "red"}}]}))
    with pytest.raises(ConfigError, match="not a target snapshot"):
        Snapshot.load(tmp_path / "targets.json")
