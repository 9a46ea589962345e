"""Parsers of records from XAPI and MariaDB.

The XAPI pool records follow XAPI's data model and wire types ([XAPI]: maps as dicts,
ints as decimal strings); [BERGSMA-XS-HA] shows the same fields through `xe pool-list params=all`
(`ha-configuration ( RO): timeout: 180`). No real XenServer is reachable here to record from.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from stackaudit.errors import UnparsableOutput
from stackaudit.parsers.mysql import parse_global_variables
from stackaudit.parsers.xapi import PoolHA, parse_pool_ha

RECORDED = Path(__file__).resolve().parent.parent / "data" / "recorded"
POOL = {"uuid": "a1a0c8a6-8f0c-4c5e-9a51-4bd7d0a3e8f1", "name_label": "xen-pool1", "master": "OpaqueRef:1",
        "ha_enabled": True, "ha_configuration": {"timeout": "180"}, "ha_statefiles": ["OpaqueRef:2"],
        "ha_host_failures_to_tolerate": "1", "ha_plan_exists_for": "1", "ha_allow_overcommit": False}


@pytest.mark.parametrize("change, expected", [
    ({}, PoolHA(True, 180, "180 s")),
    ({"ha_configuration": {}}, PoolHA(True, None, "no explicit timeout: XenServer's default applies")),
    ({"ha_configuration": {"timeout": "30"}}, PoolHA(True, 30, "30 s")),
    ({"ha_enabled": False, "ha_configuration": {}},
     PoolHA(False, None, "no explicit timeout: XenServer's default applies")),
])
def test_pool_ha_timeout(change, expected):
    assert parse_pool_ha({**POOL, **change}) == expected


@pytest.mark.parametrize("change, message", [
    ({"ha_configuration": {"timeout": "three minutes"}},
     "XAPI pool record: ha_configuration timeout: 'three minutes' is not a number"),
    ({"ha_enabled": "true"}, "XAPI pool record: ha_enabled 'true' / ha_configuration {'timeout': '180'} are not "
                             "a bool and a map"),
])
def test_unexpected_pool_records_are_unparsable(change, message):
    with pytest.raises(UnparsableOutput) as error:
        parse_pool_ha({**POOL, **change})
    assert str(error.value) == message


def test_global_variables_as_mariadb_10_11_returns_them():
    rows = json.loads((RECORDED / "mariadb-show-global-variables.json").read_text())
    variables = parse_global_variables(rows)
    assert variables["log_bin"] == "ON"
    assert variables["binlog_format"] == "ROW"
    assert variables["version"].startswith("10.11")


def test_a_row_without_the_columns_is_unparsable():
    with pytest.raises(UnparsableOutput, match="SHOW GLOBAL VARIABLES: unexpected row"):
        parse_global_variables([{"name": "log_bin"}])

