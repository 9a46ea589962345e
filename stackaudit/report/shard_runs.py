"""The shard run directories `stackaudit merge` is given, read and checked before anything is written.

A merge is refused (one line, exit code 4) unless the directories are one night's shards of one
cloud: each a finished shard run (summary.json with a `shard`) that no other user could have
changed, all of the same number of shards N and the same profile, and every index 0 to N-1 given
exactly once.
"""
from __future__ import annotations

import json
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from stackaudit.config.files import shown, shown_path
from stackaudit.config.shard import Shard, parse_shard
from stackaudit.targets import Snapshot
from stackaudit.errors import ConfigError
from stackaudit.report.changes import STATUSES
from stackaudit.report.recording import unrecorded
from stackaudit.report.summary import Result

class MergeRefused(Exception):
    """The shard runs cannot be merged; the message is one line with the fix (exit code 4)."""


@dataclass(frozen=True)
class ShardRun:
    path: Path
    shard: Shard
    summary: dict
    snapshot: Snapshot | None = None     # its targets.json

    def holds(self, target_id: str) -> bool:
        """Whether the target is this shard's own (a system VM is its host's: Snapshot.shard_key)."""
        try:
            return self.shard.holds(self.snapshot.shard_key(target_id) if self.snapshot else target_id)
        except KeyError:
            return False

    @property
    def results(self) -> list[Result]:
        return [Result(**{name: entry[name] for name in RESULT_TYPES}, not_checked=entry.get("not_checked"))
                for entry in self.summary["results"]]


def read_shard_run(path: Path) -> ShardRun:
    where = shown_path(path)
    if not path.is_dir():
        raise MergeRefused(f"{where}: not a directory; give the run directories the shards wrote (reports/runs/<UTC>)")
    problem = changeable_by_others(path.resolve())
    if problem:
        raise MergeRefused(f"{problem}: another user could have changed this shard's results; give runs that only "
                           "the user who merges (or root) can write (docs/deployment.md, \"Sharding\")")
    summary_path = path / "summary.json"
    try:
        summary = json.loads(summary_path.read_text())
    except (OSError, ValueError) as err:
        why = getattr(err, "strerror", None) or type(err).__name__
        raise MergeRefused(f"{shown_path(summary_path)}: cannot read a run's summary ({why}); "
                           "is the shard's run finished?") from None
    if not isinstance(summary, dict) or not isinstance(summary.get("shard"), str):
        raise MergeRefused(f"{shown_path(summary_path)}: shard: missing; not a shard's run "
                           "(run each shard with `stackaudit run --shard I/N`)")
    try:
        shard = parse_shard(summary["shard"], f"{shown_path(summary_path)}: shard")
    except ConfigError as err:
        raise MergeRefused(str(err)) from None
    try:
        snapshot = Snapshot.load(path / "targets.json")
    except ConfigError as err:
        raise MergeRefused(f"{err}: the shard's run is incomplete; run that shard again") from None
    problem = summary_problem(summary, shard, snapshot.shard_key)
    if problem:
        raise MergeRefused(f"{shown_path(summary_path)}: {problem}")
    problem = unrecorded(path)
    if problem:
        raise MergeRefused(f"{problem}: the shard's run is incomplete; run that shard again")
    return ShardRun(path, shard, summary, snapshot)


def changeable_by_others(run_dir: Path, owners: frozenset[int] | None = None) -> str | None:
    """Why a user other than the one merging could have changed this shard's run, or None. The run
    directory, everything in it and the directory that holds it (which could swap it) must be owned
    by `owners` (default: the user merging, and root) and not writable by group or others; a run holds
    no symbolic link (StackAudit writes none). Above that, keeping the shards apart is the
    deployment's: deploy/kubernetes mounts each shard's own directory only."""
    owners = owners if owners is not None else frozenset({os.geteuid(), 0})
    entries = [run_dir.parent, run_dir]
    for root, dirs, files in os.walk(run_dir):     # does not follow a symbolic link: it is refused below
        entries.extend(Path(root, name) for name in dirs + files)
    for entry in entries:
        try:
            info = entry.lstat()
        except OSError as err:
            return f"{shown_path(entry)}: cannot be read ({err.strerror})"
        if stat.S_ISLNK(info.st_mode):
            return f"{shown_path(entry)}: a symbolic link inside a shard's run, which StackAudit never writes"
        if info.st_uid not in owners:
            return f"{shown_path(entry)}: owned by uid {info.st_uid}, not by the user merging (uid {os.geteuid()}) or root"
        if info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
            return f"{shown_path(entry)}: writable by group or others (mode {stat.S_IMODE(info.st_mode):04o})"
    return None


# summary.json's keys a merge reads, with the types a run writes (docs/reports.md, "Run directories and summary.json").
SUMMARY_FIELDS = (("cloud", (str,)), ("results", (list,)), ("exit_code", (int,)), ("started", (str,)),
                  ("profile", (str, type(None))), ("cloudstack_version", (str, type(None))))
RESULT_TYPES = {"check_id": (str,), "target": (str, type(None)), "status": (str,), "message": (str,),
                "severity": (str,), "waiver": (dict, type(None))}
PIN_FIELDS = ("target", "vm_id", "fingerprint")


def summary_problem(summary: dict, shard: Shard, shard_key=lambda target_id: target_id) -> str | None:
    """What makes `summary` unusable as this shard's record, or None. `shard_key`: what a target id
    is sharded by (targets.py, Snapshot.shard_key)."""
    for key, kinds in SUMMARY_FIELDS:
        if not isinstance(summary.get(key), kinds) or isinstance(summary.get(key), bool):
            return f"{key}: missing or not a {' or '.join(k.__name__ for k in kinds)}; not a StackAudit summary"
    for index, entry in enumerate(summary["results"]):
        if not isinstance(entry, dict) or not all(isinstance(entry.get(k), t) for k, t in RESULT_TYPES.items()):
            return f"results[{index}]: not a result ({', '.join(RESULT_TYPES)})"
        if entry["status"] not in STATUSES:
            return f"results[{index}].status: {shown(entry['status'])} is not one of {', '.join(STATUSES)}"
        try:
            key = shard_key(entry["target"] or None)
        except KeyError:
            return f"results[{index}]: target {shown(entry['target'])} is not in the shard's targets.json"
        if not shard.holds(key):
            return (f"results[{index}]: target {shown(entry['target'])} is not in shard {shard}; "
                    "not this shard's results")
    return pins_problem(summary.get("first_use_pins"))


def pins_problem(pins) -> str | None:
    """What is wrong with a summary's first_use_pins (absent: a shard run before they were listed)."""
    if pins is None:
        return None
    if not isinstance(pins, list):
        return "first_use_pins: not a list; not a StackAudit summary"
    for index, pin in enumerate(pins):
        if not isinstance(pin, dict) or not all(isinstance(pin.get(k), str) for k in PIN_FIELDS):
            return f"first_use_pins[{index}]: not a pin ({', '.join(PIN_FIELDS)})"
    return None


def read_shard_runs(paths: list[Path], cloud: str) -> list[ShardRun]:
    """The shard runs, sorted by index; raises MergeRefused naming the first problem."""
    if not paths:
        raise MergeRefused("no shard run directories given; give every shard's run directory (0/N to N-1/N)")
    runs = [read_shard_run(path) for path in paths]
    first = runs[0]
    for run in runs[1:]:
        if run.shard.count != first.shard.count:
            raise MergeRefused(f"shards of different runs: {shown_path(first.path)} is shard {first.shard}, "
                               f"{shown_path(run.path)} is shard {run.shard}; give the N shards of one night")
        for key, what in (("cloud", "clouds"), ("profile", "profiles")):
            if run.summary.get(key) != first.summary.get(key):
                raise MergeRefused(f"shards of different {what}: {shown_path(first.path)} has {key} "
                                   f"{first.summary.get(key)!r}, {shown_path(run.path)} has {run.summary.get(key)!r}")
    if first.summary["cloud"] != cloud:
        raise MergeRefused(f"{shown_path(first.path)}: a shard of the cloud {first.summary['cloud']!r}, not of the "
                           f"inventory's cloud {cloud!r}; give the inventory the shards ran with")
    by_index: dict[int, ShardRun] = {}
    for run in runs:
        if run.shard.index in by_index:
            raise MergeRefused(f"shard {run.shard} given twice: {shown_path(by_index[run.shard.index].path)} and "
                               f"{shown_path(run.path)}; give each shard's run directory once")
        by_index[run.shard.index] = run
    missing = [f"{i}/{first.shard.count}" for i in range(first.shard.count) if i not in by_index]
    if missing:
        raise MergeRefused(f"shard {', '.join(missing)} missing: a merge needs all {first.shard.count} shards of "
                           "the night; run the missing ones or give their run directories")
    return [by_index[i] for i in range(first.shard.count)]
