"""A run directory's outputs for tools, each built from the run's summary by a pure function and
written whole (config/safe_files.py): summary.json, junit.xml, results.csv and metrics.prom
(docs/outputs.md). A run writes them when its session finishes, a merge for the whole night."""
from __future__ import annotations

import json
from pathlib import Path

from stackaudit.config.safe_files import write_file
from stackaudit.report.junit_xml import junit_xml
from stackaudit.report.metrics import metrics_text
from stackaudit.report.results_csv import results_csv
from stackaudit.report.summary_fields import REPORTS


def summary_text(summary: dict) -> str:
    return json.dumps(summary, indent=2) + "\n"


def write_outputs(run_dir: Path, summary: dict) -> None:
    """summary.json first (what `stackaudit run` checks the record by), then the others; raises OSError."""
    write_file(run_dir / REPORTS["summary_json"], summary_text(summary))
    write_file(run_dir / REPORTS["junit_xml"], junit_xml(summary))
    write_file(run_dir / REPORTS["results_csv"], results_csv(summary))
    write_file(run_dir / REPORTS["metrics_prom"], metrics_text(summary))
