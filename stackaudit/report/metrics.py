"""metrics.prom: a run's results in the Prometheus text exposition format, for node_exporter's
textfile collector, so an alert can page on a nightly regression without parsing JSON.

    # HELP stackaudit_results Results of the last StackAudit run, by status and severity.
    # TYPE stackaudit_results gauge
    stackaudit_results{cloud="prod",status="failed",severity="critical"} 3
    stackaudit_check_results{cloud="prod",check_id="HOST-IPTABLES-V4",severity="critical",status="failed"} 1
    stackaudit_run_exit_code{cloud="prod"} 1

Format: "Exposition formats", https://prometheus.io/docs/instrumenting/exposition_formats/ (label
values escape backslash, double quote and newline). Every status and severity is written, zeros too,
so an alert reads 0 rather than an absent series. No target is a label: target ids come from the
cloud (tenants name them) and one series per target would grow with the cloud; results.csv and
summary.json name them.
"""
from __future__ import annotations

import datetime
import json
import os
import tempfile
from collections import Counter
from pathlib import Path

from stackaudit.report.junit_xml import run_seconds
from stackaudit.report.summary_fields import OUTCOMES, SEVERITIES

PREFIX = "stackaudit"


def label_value(value) -> str:
    return str(value).replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def sample(name: str, labels: dict, value) -> str:
    shown = ",".join(f'{key}="{label_value(val)}"' for key, val in labels.items())
    return f"{PREFIX}_{name}{{{shown}}} {value}"


def family(name: str, kind: str, text: str, samples: list[str]) -> list[str]:
    return [f"# HELP {PREFIX}_{name} {text}", f"# TYPE {PREFIX}_{name} {kind}", *samples]


def timestamp(iso: str) -> float:
    try:
        return datetime.datetime.fromisoformat(iso).timestamp()
    except (TypeError, ValueError):
        return 0.0


def metrics_text(summary: dict, exit_code: int | None = None) -> str:
    """The metrics of a run (summary.json's dict); `exit_code`: the run's final one, when it differs
    from the summary's (a record left incomplete ends in 8)."""
    cloud = {"cloud": summary["cloud"]}
    results = summary["results"]
    by_status = Counter((r["status"], r["severity"]) for r in results)
    by_check = Counter((r["check_id"], r["severity"], r["status"]) for r in results)
    checks = sorted({(r["check_id"], r["severity"]) for r in results})
    discovery = summary.get("discovery") or {}
    lines = family("results", "gauge", "Results of the last StackAudit run, by status and severity.",
                   [sample("results", {**cloud, "status": status, "severity": severity}, by_status[status, severity])
                    for status in OUTCOMES for severity in SEVERITIES])
    lines += family("check_results", "gauge", "Results of the last StackAudit run, by check, severity and status.",
                    [sample("check_results", {**cloud, "check_id": check_id, "severity": severity, "status": status},
                            by_check[check_id, severity, status])
                     for check_id, severity in checks for status in OUTCOMES])
    lines += family("not_applicable", "gauge", "(check, target) pairs left out of the last run as out of scope.",
                    [sample("not_applicable", cloud, len(summary.get("not_applicable") or []))])
    lines += family("discovery_failed", "gauge", "1 if the last run could not list the cloud's targets (no check ran).",
                    [sample("discovery_failed", cloud, int(discovery.get("status") == "failed"))])
    lines += family("run_timestamp_seconds", "gauge", "When the last run finished, in seconds since the epoch.",
                    [sample("run_timestamp_seconds", cloud, timestamp(summary["finished"]))])
    lines += family("run_duration_seconds", "gauge", "How long the last run took, in seconds.",
                    [sample("run_duration_seconds", cloud, run_seconds(summary))])
    lines += family("run_exit_code", "gauge", "The last run's exit code (README, \"Exit codes\").",
                    [sample("run_exit_code", cloud, summary["exit_code"] if exit_code is None else exit_code)])
    return "\n".join(lines) + "\n"


def write_metrics_file(path: Path, text: str) -> None:
    """Write `text` where node_exporter's textfile collector reads it: to a temporary file in the same
    directory, then renamed, so the collector never reads half a file ("Textfile Collector",
    https://github.com/prometheus/node_exporter#textfile-collector). The temporary name does not end
    in .prom, which the collector skips. Mode 0644: the collector runs as its own user, and the file
    holds counts and check IDs only. Raises OSError."""
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def metrics_file_problem(given: str) -> str | None:
    """Why --metrics-file cannot be written where node_exporter reads it (one line with the fix), or None;
    checked before the run begins. The collector reads only files named *.prom."""
    path = Path(given)
    if path.suffix != ".prom":
        return (f"--metrics-file={given}: node_exporter's textfile collector reads only files whose name ends in "
                ".prom; give a name like stackaudit.prom")
    if not path.parent.is_dir():
        return (f"--metrics-file={given}: {path.parent} is not a directory; give a file in the directory "
                "node_exporter's --collector.textfile.directory names")
    return None


def publish_metrics(given: str, run_dir: Path, exit_code: int) -> str | None:
    """Write the run's metrics (from its summary.json, with the run's final exit code) to --metrics-file;
    why it could not be, or None."""
    try:
        summary = json.loads((run_dir / "summary.json").read_text(encoding="utf-8"))
        write_metrics_file(Path(given), metrics_text(summary, exit_code))
    except (OSError, ValueError, KeyError) as err:
        return f"--metrics-file={given} not written ({getattr(err, 'strerror', None) or err})"
    return None
