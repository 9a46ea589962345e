"""XS-POOL-HA-LICENSED and XS-POOL-CS-MEMBERSHIP on the pools of lab/scenarios/matrix/xenserver_pools.yml,
selected alone: the licensed old pools pass (the matrix asserts only what is not passed), the pools on
6.2+ or another brand are not applicable with their product named, and the licence check reads the
host records of the pools it applies to, nothing else."""
from __future__ import annotations

import json

import pytest

from tests.checks.suite_run import run_suite
from tests.checks.test_selected_facts import collected

pytestmark = [pytest.mark.lab, pytest.mark.slow, pytest.mark.lab_scenario("matrix/xenserver_pools.yml")]

POOLS = ("xp-unlicensed", "xp-expiring", "xp-licensed", "xp-65", "xp-xcp", "xp-noversion", "xp-extra", "xp-split",
         "xp-stale")


def pool(name: str) -> str:
    return f"xs-pool://zone1/{name}"


def test_the_licence_check_runs_on_old_xenserver_pools_only_and_reads_their_hosts(tmp_path, lab):
    shared = lab("matrix/xenserver_pools.yml")
    run = run_suite(shared.path("inventory.yml"), tmp_path / "licence", "--allure-label", "check_id=XS-POOL-HA-LICENSED")
    outcomes = {target: outcome for (_, target), outcome in run.outcomes().items()}
    assert outcomes == {pool(p): "failed" if p in ("xp-unlicensed", "xp-expiring") else
                        "broken" if p == "xp-noversion" else "passed"
                        for p in POOLS if p not in ("xp-65", "xp-xcp")}, run.output[-3000:]
    left_out = {target: reason for (check, target), reason in run.not_applicable.items()
                if check == "XS-POOL-HA-LICENSED"}
    assert left_out == {
        pool("xp-65"): "no member runs XenServer before 6.2 (XenServer 6.5.0): HA needs no licence",
        pool("xp-xcp"): "no member runs XenServer before 6.2 (XCP 1.6.10): HA needs no licence"}
    messages = {r.target: r.message for r in run.results}
    assert "XS-POOL-HA-LICENSED applies only to pools with a member on XenServer before 6.2, and host xn2's " \
           "software_version has no product_version" in messages[pool("xp-noversion")]
    facts = {target: parts for target, parts in collected(tmp_path / "licence").items() if parts}
    # the undecided pool is collected (and broken); the pools out of scope are not read at all
    assert set(facts) - {pool("xp-noversion")} == {pool(p) for p in POOLS if p not in ("xp-65", "xp-xcp",
                                                                                        "xp-noversion")}, sorted(facts)
    assert all(sorted(parts) == ["xapi"] and sorted(parts["xapi"]["records"]) == ["host"] for parts in facts.values())
    print(json.dumps(messages, indent=1))


def test_membership_passes_where_cloudstack_and_the_pool_agree(tmp_path, lab):
    shared = lab("matrix/xenserver_pools.yml")
    run = run_suite(shared.path("inventory.yml"), tmp_path / "membership", "--allure-label",
                    "check_id=XS-POOL-CS-MEMBERSHIP")
    assert run.outcomes() == {("XS-POOL-CS-MEMBERSHIP", pool(p)): "failed" if p in ("xp-extra", "xp-split", "xp-stale")
                              else "passed" for p in POOLS}, run.output[-3000:]
    print(json.dumps({r.target: r.message for r in run.results if r.message}, indent=1))
