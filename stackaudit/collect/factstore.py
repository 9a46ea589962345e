"""Each target's facts, collected once per run and shared by every worker.

A run directory holds one JSON file per target. The first process to claim a target (an O_EXCL
lock file) collects it; any other process that needs it waits for the file. Every process
prefetches the targets of its items concurrently, so a run is bounded by the SSH handshakes the
targets can take, not by two workers doing one target at a time. A target that could not be
collected is stored as its error, once, so every check on it, and every group check that reads
it as a member, is broken for the same reason without trying it again. Records of the whole run
(which endpoints answer: collectors.Collector.probe) are shared the same way (`shared`).
"""
from __future__ import annotations

import json
import os
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from stackaudit.errors import CollectionFailed, TargetError, error_record, raise_if_error
from stackaudit.discovery.targets import Target

WAIT_SECONDS = 900.0


class FactStore:
    def __init__(self, run_dir: Path, collect, max_workers: int = 16):
        self.dir = run_dir / "facts"
        self.dir.mkdir(parents=True, exist_ok=True)
        self._collect = collect
        self._max_workers = max_workers
        self._memo: dict[str, dict] = {}
        self._lock = threading.Lock()
        self._pool: ThreadPoolExecutor | None = None

    def path(self, target: Target) -> Path:
        return self.dir / (re.sub(r"[^A-Za-z0-9._-]+", "_", target.id) + ".json")

    def raw(self, target: Target) -> dict:
        """The target's raw facts; raises the TargetError its collection ended in."""
        data = self._load(target)
        raise_if_error(data)
        return data["facts"]

    def _load(self, target: Target) -> dict:
        return self._once(target.id, self.path(target), lambda: self._collect_safely(target))

    def shared(self, name: str, compute) -> dict:
        """A record of the whole run (the run directory's NAME.json), computed by the first process
        that asks, read by every other."""
        return self._once(f"run:{name}", self.dir.parent / f"{name}.json", compute)

    def _once(self, key: str, path: Path, compute) -> dict:
        with self._lock:
            if key in self._memo:
                return self._memo[key]
        if not path.exists() and self._claim(path):
            self._write(path, compute())
        deadline = time.monotonic() + WAIT_SECONDS
        while not path.exists():
            if time.monotonic() > deadline:
                return error_record(CollectionFailed(f"{key}: facts not collected within {WAIT_SECONDS:.0f}s"))
            time.sleep(0.05)
        data = json.loads(path.read_text())
        with self._lock:
            self._memo[key] = data
        return data

    def _claim(self, path: Path) -> bool:
        try:
            os.close(os.open(path.with_suffix(".lock"), os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
            return True
        except FileExistsError:
            return False

    def _collect_safely(self, target: Target) -> dict:
        started = time.monotonic()
        try:
            outcome = {"facts": self._collect(target)}
        except TargetError as err:
            outcome = error_record(err)
        except Exception as err:  # noqa: BLE001 - an unexpected failure is still "not checked", never a crash
            outcome = error_record(CollectionFailed(f"{target.id}: {type(err).__name__}: {err}"))
        return {"target": target.id, "seconds": round(time.monotonic() - started, 3), **outcome}

    @staticmethod
    def _write(path: Path, data: dict) -> None:
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(data, indent=1, sort_keys=True))
        tmp.replace(path)

    def prefetch(self, targets: list[Target]) -> None:
        """Start collecting these targets in the background (claimed ones are left to their claimant)."""
        if self._pool is None:
            self._pool = ThreadPoolExecutor(self._max_workers, thread_name_prefix="stackaudit-prefetch")
        for target in targets:
            if not self.path(target).exists():
                self._pool.submit(self._load, target)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
