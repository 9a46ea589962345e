"""`--shard=I/N`: the text an operator (or a Kubernetes Indexed Job) passes, and which shard a target is in."""
from __future__ import annotations

import subprocess
import sys
from collections import Counter
from types import SimpleNamespace

import pytest
from hypothesis import given, settings, strategies as st

from stackaudit.config.shard import Shard, parse_shard, shard_of
from stackaudit.targets import Snapshot, Target
from stackaudit.errors import ConfigError
from tests.unit.hypothesis_budget import examples
from tests.unit.test_run_command import REPO, inventory, stackaudit_run  # noqa: F401 (the fixture)

FIX = "give I/N, N the number of shards (1 to 10000) and I this one's index from 0 to N-1, e.g. 0/4"


@pytest.mark.parametrize("text, shard, recorded", [
    ("0/4", Shard(0, 4), "0/4"), ("3/4", Shard(3, 4), "3/4"), ("0/1", Shard(0, 1), "0/1"),
    ("9999/10000", Shard(9999, 10000), "9999/10000"), ("07/10", Shard(7, 10), "7/10"),
])
def test_a_shard_is_index_slash_count_counting_from_zero(text, shard, recorded):
    assert parse_shard(text) == shard
    assert str(parse_shard(text)) == recorded       # as summary.json records it


@pytest.mark.parametrize("text, problem", [
    ("4/4", "shard index 4 is not below the number of shards 4 (indexes count from 0)"),
    ("-1/2", "not of the form I/N"),
    ("1/0", "there must be 1 to 10000 shards"),
    ("0/10001", "there must be 1 to 10000 shards"),
    ("a/b", "not of the form I/N"),
    ("", "not of the form I/N"),
    ("1/2/3", "not of the form I/N"),
    ("1.0/2", "not of the form I/N"),
])
def test_a_bad_shard_is_one_line_saying_what_was_found_and_the_fix(text, problem):
    with pytest.raises(ConfigError) as raised:
        parse_shard(text)
    assert str(raised.value) == f"--shard: found {text!r}: {problem}; {FIX}"


@settings(max_examples=examples(200), deadline=None)
@given(st.text(max_size=30))
def test_any_text_is_a_shard_or_a_config_error(text):
    try:
        shard = parse_shard(text)
    except ConfigError as err:
        assert "\n" not in str(err)
        return
    assert 0 <= shard.index < shard.count


def test_a_target_is_in_the_same_shard_every_night_on_every_machine():
    # Fixed values: SHA-256 of the id, modulo N. A change here moves targets between shards.
    assert [shard_of(t, 4) for t in ("kvm-host://zone1/kvm01", "xs-pool://zone1/xen-pool1", "cloud://lab",
                                     "db://db1", "router://zone1/r-4-VM")] == [0, 3, 3, 2, 1]
    assert shard_of("db://db1", 7) == 6


def test_a_thousand_targets_spread_evenly_over_four_shards():
    counts = Counter(shard_of(f"kvm-host://zone{z}/hv{i:04d}", 4) for z in (1, 2) for i in range(500))
    assert sorted(counts) == [0, 1, 2, 3]
    assert all(200 <= n <= 300 for n in counts.values()), counts


def test_a_result_without_a_target_runs_in_shard_zero_only():
    assert [Shard(i, 3).holds(None) for i in range(3)] == [True, False, False]
    assert [Shard(i, 4).holds("kvm-host://zone1/kvm01") for i in range(4)] == [True, False, False, False]


@pytest.mark.integration
def test_stackaudit_run_with_a_bad_shard_is_exit_4_before_anything_is_written(tmp_path, inventory):  # noqa: F811
    reports = tmp_path / "reports"
    done = stackaudit_run(f"--inventory={inventory}", f"--reports-dir={reports}", "--shard=4/4")
    assert done.returncode == 4, done.stdout + done.stderr
    assert done.stderr.splitlines() == [f"stackaudit: --shard: found '4/4': shard index 4 is not below the number "
                                        f"of shards 4 (indexes count from 0); {FIX}"]
    assert not reports.exists()


@pytest.mark.integration
def test_pytest_with_a_bad_shard_is_exit_4_in_one_line(inventory):  # noqa: F811
    done = subprocess.run([sys.executable, "-m", "pytest", f"--inventory={inventory}", "--shard=a/b", "-q"],
                          cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 4, done.stdout + done.stderr
    # pytest.exit's own "Exit: " prefix, as for a bad inventory given to pytest directly
    assert done.stderr.splitlines() == [f"Exit: stackaudit: --shard: found 'a/b': not of the form I/N; {FIX}"]


class Item:
    """What the plugin reads of a collected check: its parameters (a target fixture's value is the target id)."""
    def __init__(self, **params):
        self.callspec = type("CallSpec", (), {"params": params})()


def test_the_plugin_keeps_this_shards_items_and_reports_the_rest_as_deselected():
    from stackaudit import plugin
    hosts = [Item(kvm_host=f"kvm-host://zone1/kvm{i:02d}") for i in range(1, 13)]
    no_targets, cloud = Item(cloud=None), Item(cloud="cloud://lab")
    deselected = []
    config = type("Config", (), {"hook": type("Hook", (), {
        "pytest_deselected": staticmethod(lambda items: deselected.extend(items))})()})()
    snapshot = Snapshot("lab", [Target("kvm-host", f"kvm{i:02d}", "zone1") for i in range(1, 13)] + [Target("cloud", "lab")])
    kept_by_shard = []
    for index in range(3):
        items = [*hosts, no_targets, cloud]
        plugin.deselect_other_shards(config, items, Shard(index, 3), snapshot)
        kept_by_shard.append(items)
        assert len(items) + len(deselected) == len(hosts) + 2
        deselected.clear()
    assert [no_targets in kept for kept in kept_by_shard] == [True, False, False]
    assert [cloud in kept for kept in kept_by_shard] == [i == shard_of("cloud://lab", 3) for i in range(3)]
    assert sorted(map(id, sum(kept_by_shard, []))) == sorted(map(id, [*hosts, no_targets, cloud]))
    assert all(kept_by_shard), "twelve hosts over three shards: every shard has some"


def test_a_system_vm_is_in_its_hosts_shard_so_one_connection_serves_both():
    host = Target("kvm-host", "kvm07", "zone1", "198.18.1.7")
    router = Target("router", "r-9-VM", "zone1", "169.254.0.9", attrs={"host": "kvm07", "host_address": "198.18.1.7"})
    vmware = Target("router", "r-10-VM", "zone1", "10.0.0.9", attrs={"host": "esx1"})
    snapshot = Snapshot("lab", [host, router, vmware])
    assert snapshot.shard_key(router.id) == host.id
    assert snapshot.shard_key(vmware.id) == vmware.id        # no host target: by its own id
    assert snapshot.shard_key(host.id) == host.id and snapshot.shard_key(None) is None
