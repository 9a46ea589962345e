"""Rules on facts, without the lab: scope, capacity, replication, schema versions, settings."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from stackaudit.parsers.api_rows import (parse_api_rows, parse_configurations, parse_schema_versions,
                                         parse_scoped_settings)
from stackaudit.parsers.mysql import parse_replica_status
from stackaudit.config.policy import policy_from_data
from stackaudit.rules import database, gate, management
from stackaudit.rules.xenserver import ha_required

RECORDED = Path(__file__).resolve().parent.parent / "data" / "recorded"
POLICY = policy_from_data({}, "test")


@pytest.mark.parametrize("version, listed, required", [
    ("4.19.1.0", [], True), ("4.5.0", [], True), ("4.4.2", [], False), ("4.4.2", ["4.4.2"], True),
    ("4.3.0.1", ["4.3.0"], False), ("4.2.1", [], False),
])
def test_pool_ha_is_in_scope_from_4_5_and_for_the_listed_patch_levels(version, listed, required):
    policy = policy_from_data({"xenserver": {"ha_required_patch_levels": listed}}, "test").xenserver
    assert ha_required(version, policy) is required


def host(name, cpu_total, cpu_used, mem_total, mem_used, state="Up", resource="Enabled"):
    (row,) = parse_api_rows("listHosts", [{
        "name": name, "state": state, "resourcestate": resource, "cpuwithoverprovisioning": str(cpu_total),
        "cpuallocatedvalue": cpu_used, "memorywithoverprovisioning": str(mem_total), "memoryallocatedbytes": mem_used}])
    return row


def test_capacity_holds_when_the_others_can_take_the_largest_host():
    assert gate.capacity_findings([host("a", 100, 60, 100, 10), host("b", 100, 30, 100, 10),
                                   host("c", 100, 30, 100, 10)]) == []


def test_capacity_counts_only_up_and_enabled_hosts_as_receivers():
    # c has room for b's load, but it is Disconnected: only a may receive, and a is nearly full.
    hosts = [host("a", 100, 90, 100, 10), host("b", 100, 90, 100, 10), host("c", 100, 0, 100, 0, "Disconnected")]
    assert gate.capacity_findings(hosts) == [
        "CPU: b has 90 MHz allocated; the other Up and Enabled hosts have 10 MHz free"]
    assert gate.capacity_findings(hosts[:1]) == [
        "the cluster has 1 host(s): none can be put into maintenance without downtime"]


def replica_rows() -> list[dict]:
    return json.loads((RECORDED / "mariadb-show-all-slaves-status.json").read_text())


def servers(server: str | None = None, part: str | None = None, key: str | None = None, value=None) -> dict:
    """The lab's recorded pair, db1 and db2 replicating from each other; optionally one value changed
    (`part` is "replicas" for the first replica connection's row, or "variables")."""
    pair = {"db://db1": {"address": "198.18.0.100", "replicas": replica_rows(),
                         "variables": {"server_id": "1", "auto_increment_increment": "2", "auto_increment_offset": "1"}},
            "db://db2": {"address": "198.18.0.101", "replicas": replica_rows(),
                         "variables": {"server_id": "2", "auto_increment_increment": "2", "auto_increment_offset": "2"}}}
    pair["db://db2"]["replicas"][0]["Master_Host"] = "198.18.0.100"
    if server is not None:
        target = pair[server][part][0] if part == "replicas" else pair[server][part]
        target[key] = value
    return {target_id: database.ReplicationMember(
        target_id.removeprefix("db://"), s["address"], (), s["variables"],
        tuple(parse_replica_status(s["replicas"], "SHOW ALL SLAVES STATUS"))) for target_id, s in pair.items()}


def test_recorded_master_master_pair_is_healthy():
    assert database.replication_findings(servers(), POLICY) == []


@pytest.mark.parametrize("change, finding", [
    (("db://db2", "replicas", "Slave_SQL_Running", "No"), "db://db2 replicating from db://db1: Slave_SQL_Running is No"),
    (("db://db1", "replicas", "Seconds_Behind_Master", 900),
     "db://db1 replicating from db://db2: 900 s behind; the policy allows 60 s"),
    (("db://db1", "replicas", "Master_Host", "198.51.100.9"),
     "db://db1 does not replicate from its peer (db://db2): master-master needs both directions"),
    (("db://db2", "variables", "server_id", "1"), "server_id 1 is shared by db://db1, db://db2"),
    (("db://db2", "variables", "auto_increment_offset", "1"),
     "auto_increment_offset 1 is shared by db://db1, db://db2: both hand out the same ids"),
    (("db://db1", "variables", "auto_increment_increment", "1"),
     "db://db1: auto_increment_increment 1; master-master needs >= 2"),
])
def test_each_replication_fault_is_named(change, finding):
    assert finding in database.replication_findings(servers(*change), POLICY)


@pytest.mark.parametrize("rows, code, findings", [
    ([("1", "4.0.0", "Complete"), ("2", "4.19.1", "Complete")], "4.19.1.0", []),        # 3 parts = x.y.z.0
    ([("1", "4.19.1", "Complete")], "4.19.1.1", ["the schema is at 4.19.1; management server ms1 runs 4.19.1.1"]),
    ([("1", "4.5.2.0", "Complete")], "4.5.2.1", []),                                     # before 4.8.2: 3 parts
    ([("1", "4.19.1.0", "Complete"), ("2", "4.19.1.1", "Upgrade")], "4.19.1.0",
     ["cloud.version row 2 (4.19.1.1) is left at step Upgrade"]),
    ([("1", "4.19.1.0", "Upgrade")], "4.19.1.0",
     ["cloud.version has no row whose step is Complete: an upgrade never finished"]),
])
def test_schema_version_as_cloudstack_compares_it(rows, code, findings):
    table = parse_schema_versions([{"id": i, "version": v, "step": s} for i, v, s in rows])
    assert database.schema_findings(table, {"ms1": code}) == findings


def test_recorded_cloud_version_table_of_the_lab_reads_its_current_version():
    current, unfinished = database.current_schema_version(
        parse_schema_versions(json.loads((RECORDED / "mariadb-cloud-version.json").read_text())))
    assert (current.version, unfinished) == ("4.19.1.0", [])


def test_settings_compare_numbers_as_numbers_and_name_each_scope():
    configurations = parse_configurations([{"name": "cpu.overprovisioning.factor", "value": "4", "scope": "cluster"},
                                           {"name": "expunge.delay", "value": "1", "scope": "global"}])
    scoped = parse_scoped_settings({"cluster": {
        "c1": {"name": "kvm-a", "settings": [{"name": "cpu.overprovisioning.factor", "value": "4"}]},
        "c2": {"name": "kvm-b", "settings": [{"name": "cpu.overprovisioning.factor", "value": "2"}]}}})
    assert management.settings_findings(configurations, scoped, {"cpu.overprovisioning.factor": "4.0",
                                                                 "expunge.delay": "1", "expunge.interval": "1"}) == [
        "cpu.overprovisioning.factor = 2 in cluster kvm-b; the baseline wants 4.0",
        "expunge.interval is not listed by the API; the baseline wants 1"]
