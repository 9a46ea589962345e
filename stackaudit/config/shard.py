"""`--shard=I/N`: which part of the cloud's targets one runner checks (docs/deployment.md, "Sharding").

I counts from 0, as Kubernetes' Indexed Job numbers its pods (JOB_COMPLETION_INDEX, 0 to
completions - 1; Kubernetes docs, "Jobs", "Completion mode", 2024,
https://kubernetes.io/docs/concepts/workloads/controllers/job/#completion-mode), so a pod passes
`--shard=$JOB_COMPLETION_INDEX/N` as it is. A target belongs to the shard its id's SHA-256 gives:
the same target lands in the same shard every night and on every machine, whatever the order or
number of the other targets (Python's hash() is salted per process and could not do this).
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from stackaudit.config.files import shown
from stackaudit.errors import ConfigError

MAX_SHARDS = 10_000
SHARD_TEXT = re.compile(r"([0-9]{1,5})/([0-9]{1,5})")


@dataclass(frozen=True)
class Shard:
    index: int
    count: int

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"

    def holds(self, target_id: str | None) -> bool:
        """Whether this shard runs the results of `target_id`; a result with no target (a check with
        no target of its kind in the cloud) runs in shard 0 only, so it is reported once."""
        if target_id is None:
            return self.index == 0
        return shard_of(target_id, self.count) == self.index


def shard_of(target_id: str, count: int) -> int:
    return int(hashlib.sha256(target_id.encode("utf-8")).hexdigest(), 16) % count


def parse_shard(text: str, where: str = "--shard") -> Shard:
    """`I/N` -> Shard(I, N); raises ConfigError (one line: what was found, the fix)."""
    found = SHARD_TEXT.fullmatch(text.strip()) if isinstance(text, str) else None
    fix = f"give I/N, N the number of shards (1 to {MAX_SHARDS}) and I this one's index from 0 to N-1, e.g. 0/4"
    if found is None:
        return _bad(where, text, f"not of the form I/N; {fix}")
    index, count = int(found.group(1)), int(found.group(2))
    if not 1 <= count <= MAX_SHARDS:
        return _bad(where, text, f"there must be 1 to {MAX_SHARDS} shards; {fix}")
    if index >= count:
        return _bad(where, text, f"shard index {index} is not below the number of shards {count} "
                                 f"(indexes count from 0); {fix}")
    return Shard(index, count)


def _bad(where: str, text, problem: str):
    raise ConfigError(f"{where}: found {shown(text)}: {problem}")
