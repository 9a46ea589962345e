"""`stackaudit merge`: one night's shard runs joined into one run directory (docs/deployment.md, "Sharding").

The merged directory is what an unsharded run of the night writes: every shard's Allure results
(results, containers, attachments; their file names are UUIDs, so they never collide), the union
of the targets and facts, and a summary.json built by the same code as a run's (report/changes.py),
with the outputs built from it (report/outputs.py: junit.xml, results.csv, metrics.prom), with the changes since the previous whole run and the night's stale waivers,
which no single shard can tell. report.html is then published from it as after a run.
"""
from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path

from stackaudit.config.safe_files import copy_file, private_dir, read_regular
from stackaudit.config.shard import shard_of
from stackaudit.targets import Snapshot
from stackaudit.errors import ConfigError
from stackaudit.report.changes import build_summary
from stackaudit.report.outputs import write_outputs
from stackaudit.report.outcomes import EXIT_BROKEN, EXIT_FAILED, EXIT_OK, EXIT_WARNING, exit_code
from stackaudit.report.recorder import utc_now
from stackaudit.report.runs import previous_summary
from stackaudit.report.shard_runs import MergeRefused, ShardRun
from stackaudit.report.summary_fields import discovery_failed

# What publish writes beside the results; a shard writes none, and the merged run gets its own.
REPORT_CONTEXT = ("environment.properties", "executor.json", "categories.json", "history")
# pytest's exit code when a shard's selection left it nothing to run (-k, -m, or no target of its own).
NO_TESTS_COLLECTED = 5
# Which of two exit codes says more: a failed blocker, then could-not-check, then a warning.
SEVERITY_ORDER = (EXIT_OK, EXIT_WARNING, EXIT_BROKEN, EXIT_FAILED)


@dataclass(frozen=True)
class TargetUnion:
    snapshot: Snapshot
    differing: int                 # targets not discovered by every shard
    unchecked: tuple[str, ...]     # targets whose own shard did not discover them: no shard checked them


def merge_into(run_dir: Path, shards: list[ShardRun], waivers, today, inputs: dict | None = None,
               records: dict | None = None) -> dict:
    """Write the merged run into `run_dir` (made by open_run_dir); its summary. `inputs`: the files the merge
    read (summary.json's `inputs`); `records`: the catalog's, for each check's title and area."""
    copy_allure_results(shards, run_dir / "allure-results")
    copy_facts(shards, run_dir)
    targets = union_targets(shards)
    targets.snapshot.save(run_dir / "targets.json")
    if targets.differing:
        print(f"stackaudit: warning: the shards discovered different targets: {targets.differing} target(s) not "
              f"listed by every shard, {len(targets.unchecked)} of them checked by no shard (summary.json: "
              "targets_differ, unchecked_targets)", file=sys.stderr)
    summary = night_summary(run_dir, shards, targets, waivers, today, inputs, records)
    write_outputs(run_dir, summary)
    return summary


def night_summary(run_dir: Path, shards: list[ShardRun], targets: TargetUnion, waivers, today,
                  inputs: dict | None, records: dict | None = None) -> dict:
    results = [result for shard in shards for result in shard.results]
    first = shards[0].summary
    versions = sorted({s.summary["cloudstack_version"] for s in shards if s.summary.get("cloudstack_version")})
    code = merged_exit_code(exit_code(results), [s.summary["exit_code"] for s in shards], bool(targets.unchecked))
    pins = [pin for shard in shards for pin in shard.summary.get("first_use_pins") or []]
    summary = build_summary(run_dir.name, min(s.summary["started"] for s in shards), utc_now(), first["cloud"],
                            ", ".join(versions) or None, first.get("profile"), code, results,
                            previous_summary(run_dir), waivers, today,
                            insecure_channels={c for s in shards for c in s.summary.get("insecure_channels", [])},
                            first_use_pins=pins, inputs=inputs, not_applicable=not_applicable(shards),
                            discovery=night_discovery(shards), records=records)
    summary["merged_from"] = [{"shard": str(s.shard), "run": s.path.name, "exit_code": s.summary["exit_code"]}
                              for s in shards]
    summary["targets_differ"] = targets.differing
    summary["unchecked_targets"] = list(targets.unchecked)
    return summary


def night_discovery(shards: list[ShardRun]) -> dict | None:
    """A failed discovery of any shard is the night's (its targets went unchecked), naming the shard."""
    for shard in shards:
        found = shard.summary.get("discovery") or {}
        if found.get("status") == "failed":
            return discovery_failed(found.get("reason", "not checkable"),
                                    f"shard {shard.shard}: {found.get('message', '')}")
    return None


def not_applicable(shards: list[ShardRun]) -> list[dict]:
    """Each shard's (check, target) pairs left out at collection; a check with no target at all is
    shard 0's only (config/shard.py), so every pair appears once."""
    return [entry for shard in shards for entry in shard.summary.get("not_applicable") or []]


def merged_exit_code(from_results: int, shard_codes: list[int], unchecked_targets: bool) -> int:
    """The night's exit code: its results' (report/outcomes.py), raised to what a shard said beyond its
    results: a shard whose discovery failed (6, no results), or that ended early (interrupted, internal
    error, record incomplete: the night could not check all), or targets no shard checked. A shard
    that had nothing to run (pytest's 5) says nothing, unless no shard had: then neither had the night."""
    if shard_codes and all(code == NO_TESTS_COLLECTED for code in shard_codes) and not unchecked_targets:
        return NO_TESTS_COLLECTED
    codes = [from_results] + [EXIT_BROKEN if unchecked_targets else EXIT_OK]
    for code in shard_codes:
        if code == NO_TESTS_COLLECTED:
            continue
        codes.append(code if code in SEVERITY_ORDER else EXIT_BROKEN)
    return max(codes, key=SEVERITY_ORDER.index)


def copy_allure_results(shards: list[ShardRun], into: Path) -> None:
    private_dir(into)
    for shard in shards:
        results = shard.path / "allure-results"
        if not results.is_dir():
            continue
        for path in sorted(results.iterdir()):
            if path.name in REPORT_CONTEXT or not path.is_file():
                continue
            if (into / path.name).exists():
                raise MergeRefused(f"{path}: an Allure file of the same name came from another shard; "
                                   "were two shards run into one run directory?")
            copy_file(path, into / path.name)


def copy_facts(shards: list[ShardRun], run_dir: Path) -> None:
    """facts/: each target's facts once: a group check's shard also collects its members' facts (only
    those the group reads), so where two shards have a target's facts, its own shard's are kept."""
    facts = private_dir(run_dir / "facts")
    for shard in shards:
        for path in sorted((shard.path / "facts").glob("*.json")):
            if not (facts / path.name).exists() or owned_by(path, shard):
                copy_file(path, facts / path.name)


def owned_by(facts_file: Path, shard: ShardRun) -> bool:
    """Whether the target of this facts file (facts/<target>.json, as collect/factstore.py writes it) is in `shard`."""
    try:
        target = json.loads(read_regular(facts_file)).get("target")
    except (OSError, ValueError, AttributeError):
        return False
    return isinstance(target, str) and shard.holds(target)


def union_targets(shards: list[ShardRun]) -> TargetUnion:
    snapshots = []
    for shard in shards:
        try:
            snapshots.append(Snapshot.load(shard.path / "targets.json"))
        except ConfigError:     # a shard whose discovery failed saved no snapshot
            snapshots.append(None)
    listed = [{t.id for t in snap.targets} if snap else set() for snap in snapshots]
    union: dict = {}
    for snap in snapshots:
        for target in snap.targets if snap else ():
            union.setdefault(target.id, target)
    everywhere = set.intersection(*listed) if listed else set()
    first = next((snap for snap in snapshots if snap), None)
    count = shards[0].shard.count
    listed_by_index = {shard.shard.index: ids for shard, ids in zip(shards, listed)}
    unchecked = tuple(sorted(i for i in union if i not in listed_by_index[shard_of(i, count)]))
    notes = list(dict.fromkeys(note for snap in snapshots if snap for note in snap.notes))
    snapshot = Snapshot(shards[0].summary["cloud"], list(union.values()),
                        min((s.discovered_at for s in snapshots if s), default=""), notes, first.api if first else {},
                        sorted({c for snap in snapshots if snap for c in snap.insecure_channels}))
    return TargetUnion(snapshot, len(set(union) - everywhere), unchecked)
