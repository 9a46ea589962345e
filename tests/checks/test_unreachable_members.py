"""Hosts the API lists with nothing behind them do not serialize the run (issue 12, item 4).

A generated KVM cloud of 60 listed hosts, 50 of which have no machine (`ssh: false`: their address
answers nothing, a connect ends in "No route to host" when ARP gives up after 3 s), run against the
same cloud with every host reachable. The failed members are each recorded once, their connects all
under way together (collect/pipeline.py); HOST-UUID-UNIQUE names all 50 and is broken, never passed;
and the run costs at most one connect timeout more than the clean one. `benchmarks/unreachable_members.py` runs the big case.
"""
from __future__ import annotations

import json
import time

import pytest
import yaml

from lab.generate import generate_scenario, without_ssh
from tests.checks.check_reads import checks_reading
from tests.checks.suite_run import run_suite

pytestmark = [pytest.mark.lab, pytest.mark.slow]
HOSTS, UNREACHABLE = 60, 50
CONNECT_TIMEOUT = 5         # above ARP's 3 s, so an absent host shows as "No route to host"
SSH_CHECKS = checks_reading("kvm-host", "ssh")
CLUSTER_MEMBER_SSH = checks_reading("cluster", "ssh", on="kvm-host")


def suite_on(labs, work, unreachable: int) -> tuple[dict, list[str]]:
    """Bring up the cloud, run the whole suite on two workers, bring it down: (figures, absent hosts)."""
    scenario = generate_scenario(HOSTS, 1, xenserver=False)
    absent = without_ssh(scenario, unreachable)
    scenario["name"] = f"unreachable-{unreachable}"
    (work / "scenario.yml").write_text(yaml.safe_dump(scenario))
    lab = work / "lab"
    with labs.own(work / "scenario.yml", lab):
        inventory = yaml.safe_load((lab / "inventory.yml").read_text())
        inventory["ssh"]["connect_timeout"] = CONNECT_TIMEOUT
        (lab / "inventory.yml").write_text(yaml.safe_dump(inventory))
        started = time.monotonic()
        result = run_suite(lab / "inventory.yml", work, "--numprocesses=2")
        wall = time.monotonic() - started
    (run_dir,) = (work / "reports" / "runs").glob("*")
    facts = {json.loads(p.read_text())["target"]: json.loads(p.read_text())
             for p in (run_dir / "facts").glob("*.json")}
    clusters = [f"cluster://{zone['name']}/{cluster['name']}" for zone in scenario["zones"] for pod in zone["pods"]
                for cluster in pod["clusters"] if {h["name"] for h in cluster["hosts"]} & set(absent)]
    return {"result": result, "wall": wall, "facts": facts, "clusters": clusters}, absent


@pytest.fixture(scope="module")
def runs(tmp_path_factory, labs):
    clean, _ = suite_on(labs, tmp_path_factory.mktemp("clean"), 0)
    broken, absent = suite_on(labs, tmp_path_factory.mktemp("unreachable"), UNREACHABLE)
    return clean, broken, [f"kvm-host://zone1/{name}" for name in absent]


def test_every_absent_member_is_recorded_once_after_one_connect_wait(runs):
    _, run, absent = runs
    for member in absent:
        record = run["facts"][member]
        assert record["facts"]["ssh"]["error"] == {"type": "Unreachable",
                                          "message": f"{member}: cannot connect: No route to host"}
        # its own connect, under way together with all the others: one wait, not one after another
        assert record["seconds"] <= CONNECT_TIMEOUT + 1, (member, record["seconds"])


def test_the_group_check_names_every_absent_member_and_is_broken(runs):
    _, run, absent = runs
    (uuid,) = [r for r in run["result"].results if r.check_id == "HOST-UUID-UNIQUE"]
    assert uuid.status == "broken"
    named = uuid.message.split("could not read ", 1)[1].split(": cannot connect: No route to host")[0].split(", ")
    assert sorted(named) == sorted(absent)     # one reason, every absent member named once before it
    assert uuid.message.count("No route to host") == 1


def test_only_the_absent_hosts_are_not_checked_and_all_else_is_as_clean(runs):
    clean, run, absent = runs
    # a KVM-only cloud has no XenServer targets: those checks are not collected, only listed as not applicable
    assert clean["result"].not_passed() == {}, clean["result"].output
    assert ("XS-POOL-HA-ENABLED", "") in clean["result"].not_applicable
    expected = {**{(check, member): "broken" for member in absent for check in SSH_CHECKS},
                ("HOST-UUID-UNIQUE", f"cloud://lab-unreachable-{UNREACHABLE}"): "broken",
                # the clusters of the absent hosts: their CPUs cannot be compared (CLUSTER-HOMOGENEOUS)
                **{(check, cluster): "broken" for cluster in run["clusters"] for check in CLUSTER_MEMBER_SSH}}
    assert run["result"].not_passed() == expected, run["result"].output
    assert set(run["result"].outcomes()) == {
        (check, target.replace("unreachable-0", f"unreachable-{UNREACHABLE}"))
        for check, target in clean["result"].outcomes()}


def test_the_run_costs_at_most_one_connect_timeout_more_than_the_clean_one(runs):
    clean, run, _ = runs
    print(f"wall: clean {clean['wall']:.1f} s, {UNREACHABLE} unreachable {run['wall']:.1f} s")
    assert run["wall"] <= clean["wall"] + CONNECT_TIMEOUT, (run["wall"], clean["wall"])
