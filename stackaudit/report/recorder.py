"""The run directory's record of a run: summary.json and the outputs built from it, written when the session finishes."""
from __future__ import annotations

import datetime
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from stackaudit.config.safe_files import write_file
from stackaudit.report.changes import as_shard, build_summary, change_lines
from stackaudit.report.outputs import write_outputs
from stackaudit.report.runs import SHARD_MARK, previous_summary
from stackaudit.report.summary import Result
from stackaudit.report.visible import visible


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
    inputs: dict | None = None      # the files the run read, with their SHA-256 (stackaudit/configuration.py)
    started: str = field(default_factory=utc_now)
    summary: dict | None = None
    # The system VM keys this run pinned on first use (collect/hostkeys.py, pinned_in_run)
    first_use_pins: Callable[[], list[dict]] = list
    records: dict = field(default_factory=dict)     # the catalog (stackaudit/catalog.py): each check's title and area

    def finish(self, results: list[Result], exit_code: int, not_applicable: list[dict] = (),
               discovery: dict | None = None) -> dict:
        """Build summary.json and write it with the run's other outputs (report/outputs.py); `discovery`:
        report/summary_fields.py's discovery_failed when the targets could not be listed."""
        previous = None if self.shard else previous_summary(self.run_dir)
        self.summary = build_summary(self.run_dir.name, self.started, utc_now(), self.cloud, self.cloudstack_version,
                                     self.profile, exit_code, results, previous, self.waivers, self.today,
                                     insecure_channels=self.insecure_channels, first_use_pins=self.first_use_pins(),
                                     inputs=self.inputs, not_applicable=not_applicable, discovery=discovery,
                                     records=self.records)
        if self.shard:
            self.summary = as_shard(self.summary, self.shard)
        try:
            if self.shard:
                write_file(self.run_dir / SHARD_MARK, self.shard + "\n")
            write_outputs(self.run_dir, self.summary)
        except OSError as err:      # `stackaudit run` finds summary.json missing and says the record is incomplete
            print(visible(f"stackaudit: cannot write {self.run_dir / 'summary.json'}: {err.strerror}"), file=sys.stderr)
        return self.summary

    def lines(self) -> list[str]:
        return change_lines(self.summary) if self.summary else []
