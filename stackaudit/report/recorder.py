"""The run directory's record of a run: summary.json, written when the session finishes."""
from __future__ import annotations

import datetime
import sys
from dataclasses import dataclass, field
from pathlib import Path

from stackaudit.report.changes import as_shard, build_summary, change_lines, write_summary
from stackaudit.report.runs import SHARD_MARK, previous_summary
from stackaudit.report.summary import Result


def utc_now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")


@dataclass
class RunRecord:
    run_dir: Path
    waivers: tuple
    cloud: str
    cloudstack_version: str | None
    profile: str | None
    today: datetime.date
    shard: str | None = None       # "I/N" under --shard
    insecure_channels: tuple[str, ...] = ()     # the inventory's channels without verified TLS
    started: str = field(default_factory=utc_now)
    summary: dict | None = None

    def finish(self, results: list[Result], exit_code: int) -> dict:
        previous = None if self.shard else previous_summary(self.run_dir)
        self.summary = build_summary(self.run_dir.name, self.started, utc_now(), self.cloud, self.cloudstack_version,
                                     self.profile, exit_code, results, previous, self.waivers, self.today,
                                     self.insecure_channels)
        if self.shard:
            self.summary = as_shard(self.summary, self.shard)
        try:
            if self.shard:
                (self.run_dir / SHARD_MARK).write_text(self.shard + "\n")
            write_summary(self.run_dir / "summary.json", self.summary)
        except OSError as err:      # `stackaudit run` finds summary.json missing and says the record is incomplete
            print(f"stackaudit: cannot write {self.run_dir / 'summary.json'}: {err.strerror}", file=sys.stderr)
        return self.summary

    def lines(self) -> list[str]:
        return change_lines(self.summary) if self.summary else []
