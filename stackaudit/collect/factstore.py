"""Each target's facts, collected once per run and shared by every worker.

A run directory holds one JSON file per target. Targets are collected in units (collectors.Unit:
those reached through the same sshd, over one connection). The first process to claim a unit (an
O_EXCL lock file) collects it and writes the file of each of its targets; any other process that
needs one of them waits for its file. Every process prefetches the units of its items concurrently
(collect/pipeline.py), so a run is bounded by the SSH handshakes the targets can take, not by two
workers doing one target at a time, and each sshd sees one connection. A target that could not be
collected is stored as its error, once, so every check on it, and every group check that reads it
as a member, is broken for the same reason without trying it again.

The facts are stored raw, as the targets sent them, in the run directory's private part
(`raw_dir`, mode 0700, files 0600) that only the run's own processes read; each process learns
a target's secret values as it loads its facts (collect/target_secrets.py). When the run ends,
`publish_facts` writes each target's facts, masked, to the run directory's facts/ and removes the
private part: what stays after the run is masked like every other output.

A target's file is named by its id made safe for a file name plus a hash of the exact id
(`facts_file_name`): `kvm-host://Zone 1/hv01` and `kvm-host://Zone_1/hv01` are two files. The file
holds its target's id, checked when it is read: facts stored under another target's name are that
target's facts, never this one's. Files are written as config/safe_files.py writes.
"""
from __future__ import annotations

import hashlib
import json
import re
import shutil
import threading
import time
from pathlib import Path

from stackaudit.collect.declarations import SECRET_READERS
from stackaudit.collect.pipeline import Pipeline
from stackaudit.collect.target_secrets import secrets_in
from stackaudit.config import safe_files
from stackaudit.config.files import shown
from stackaudit.config.redact import KNOWN, KnownSecrets, redact
from stackaudit.config.safe_files import create_exclusive, read_regular, write_json
from stackaudit.errors import CollectionFailed, TargetError, error_record, raise_if_error
from stackaudit.targets import Target

WAIT_SECONDS = 900.0
# How often a process looks for a facts file another process collects; one this process collects
# wakes its waiters as soon as it is written.
POLL_SECONDS = 0.05
PRIVATE_DIR = ".raw"


def raw_dir(run_dir: Path) -> Path:
    """Where the run's processes keep what they share raw (the snapshot, the facts): mode 0700."""
    return safe_files.private_dir(run_dir / PRIVATE_DIR)


class FactStore:
    def __init__(self, run_dir: Path, collector, max_workers: int = 16, connect_timeout: float = 15):
        self.dir = safe_files.private_dir(raw_dir(run_dir) / "facts")
        self._collector = collector
        self._max_workers = max_workers
        self._connect_timeout = connect_timeout
        self._memo: dict[str, dict] = {}
        self._lock = threading.Lock()
        self._written = threading.Condition()
        self._pipeline: Pipeline | None = None

    def path(self, target: Target) -> Path:
        return self.dir / facts_file_name(target.id, ".json")

    def raw(self, target: Target) -> dict:
        """The target's raw facts; raises the TargetError its collection ended in."""
        data = self._load(target)
        raise_if_error(data)
        return data["facts"]

    def _load(self, target: Target) -> dict:
        with self._lock:
            if target.id in self._memo:
                return self._memo[target.id]
        path = self.path(target)
        if not path.exists():
            unit = self._collector.unit_of(target)
            if self.claim(unit):
                self.collect_claimed(unit, None, None, time.monotonic())
        deadline = time.monotonic() + WAIT_SECONDS
        while not path.exists():
            if time.monotonic() > deadline:
                return error_record(CollectionFailed(f"{target.id}: facts not collected within {WAIT_SECONDS:.0f}s"))
            with self._written:
                self._written.wait_for(path.exists, POLL_SECONDS)
        try:
            data = checked_record(json.loads(read_regular(path)), target.id, path)
        except (OSError, ValueError) as err:
            data = error_record(CollectionFailed(f"{target.id}: cannot read its facts file {path.name} ({err})"))
        learn_secrets(data)
        with self._lock:
            self._memo[target.id] = data
        return data

    def claim(self, unit) -> bool:
        """Whether this process collects the unit: no other has claimed it, and its facts are not stored."""
        if all(self.path(t).exists() for t in unit.targets):
            return False
        return create_exclusive(self.dir / facts_file_name(unit.key, ".lock"))

    def collect_claimed(self, unit, connected, refused: str | None, started: float) -> None:
        """Collect a unit this process claimed and store each of its targets' facts, whatever happens:
        other processes wait for them."""
        try:
            outcomes = {i: {"facts": facts} for i, facts in
                        self._collector.collect_unit(unit, connected, refused).items()}
        except TargetError as err:
            outcomes = {t.id: error_record(err) for t in unit.targets}
        except Exception as err:  # noqa: BLE001 - an unexpected failure is still "not checked", never a crash
            failure = error_record(CollectionFailed(f"{unit.targets[0].id}: {type(err).__name__}: {err}"))
            outcomes = {t.id: failure for t in unit.targets}
        seconds = round(time.monotonic() - started, 3)
        for target in unit.targets:
            self._write(self.path(target), {"target": target.id, "seconds": seconds, **outcomes[target.id]})
        with self._written:
            self._written.notify_all()

    @staticmethod
    def _write(path: Path, data: dict) -> None:
        write_json(path, data)

    def prefetch(self, targets: list[Target]) -> None:
        """Start collecting these targets' units in the background (claimed ones are left to their claimant)."""
        if self._pipeline is None:
            self._pipeline = Pipeline(self, self._collector.units(targets), self._max_workers, self._connect_timeout)
            self._pipeline.start()

    def close(self) -> None:
        if self._pipeline is not None:
            self._pipeline.close()


def safe_name(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name)


def facts_file_name(target_id: str, suffix: str) -> str:
    """`<id made safe, at most 100 characters>.<16 hex digits of the id's SHA-256><suffix>`: one file per id."""
    digest = hashlib.sha256(target_id.encode("utf-8", "surrogatepass")).hexdigest()[:16]
    return f"{safe_name(target_id)[:100]}.{digest}{suffix}"


def checked_record(data, target_id: str, path: Path) -> dict:
    """The stored record if it is this target's; else an error record (the target is broken)."""
    stored = data.get("target") if isinstance(data, dict) else None
    if stored == target_id:
        return data
    return error_record(CollectionFailed(
        f"{target_id}: its facts file {path.name} holds the facts of {shown(stored)}, not of this target; "
        "the run directory was changed during the run: run again into a new one"))


def learn_secrets(stored: dict, registry: KnownSecrets = KNOWN) -> None:
    """Remember the secret values of a stored target's facts, so this process masks them on the way out."""
    for value in secrets_in(stored.get("facts") or {}, SECRET_READERS):
        registry.remember(value)


def publish_facts(run_dir: Path, registry: KnownSecrets = KNOWN) -> None:
    """Each target's stored facts, masked, into the run directory's facts/; then the private part
    is removed. Two passes: every target's secrets are known before any file is masked (a secret
    of one target may appear in another's output)."""
    private = run_dir / PRIVATE_DIR
    stored = sorted((private / "facts").glob("*.json"))
    for path in stored:
        learn_secrets(json.loads(read_regular(path)), registry)
    published = safe_files.private_dir(run_dir / "facts")
    for path in stored:
        data = json.loads(read_regular(path))
        masked = {**redact(data, registry), "target": data.get("target")}     # the id is never masked
        write_json(published / path.name, masked)
    shutil.rmtree(private, ignore_errors=True)
