"""A run of some checks collects only the facts those checks declare, on only the targets they read."""
from __future__ import annotations

import json

import pytest

from tests.checks.suite_run import run_suite

pytestmark = [pytest.mark.lab, pytest.mark.slow, pytest.mark.lab_scenario("compliant.yml")]


def collected(work) -> dict[str, dict]:
    """Target id -> the raw facts the run stored for it (files named `_*.json` are the run's own
    records, e.g. which endpoints answered, not a target's facts)."""
    files = sorted(f for f in (work / "reports" / "runs").glob("*/facts/*.json") if not f.name.startswith("_"))
    return {data["target"]: data.get("facts", data) for data in (json.loads(f.read_text()) for f in files)}


def test_one_check_collects_its_facts_only(tmp_path, lab):
    inventory = lab("compliant.yml").path("inventory.yml")
    binlog = run_suite(inventory, tmp_path / "binlog", "-k", "test_binlog_row")
    replication = run_suite(inventory, tmp_path / "replication", "-k", "test_replication_healthy")
    assert set(binlog.outcomes().values()) == {"passed"}, binlog.output[-2000:]
    facts = collected(tmp_path / "binlog")
    assert facts and all(target.startswith("db://") for target in facts), sorted(facts)
    assert {target: sorted(parts) for target, parts in facts.items()} == {t: ["sql"] for t in facts}
    assert all(sorted(parts["sql"]["queries"]) == ["variables"] for parts in facts.values())
    # a group check on the cloud reads its members' facts: those are collected, the cloud's own are not asked
    assert set(replication.outcomes().values()) == {"passed"}, replication.output[-2000:]
    facts = collected(tmp_path / "replication")
    assert {t for t, parts in facts.items() if parts} == {t for t in facts if t.startswith("db://")}
    assert all(sorted(parts["sql"]["queries"]) == ["replicas", "server_version", "variables"]
               for target, parts in facts.items() if target.startswith("db://"))
