"""Whether a run can be, and was, recorded: a run directory that cannot be written, or a disk that
fills during the run, ends in one line and a non-zero exit, never a partial record that reads as
a finished run (reports/latest keeps pointing at the last complete one)."""
from __future__ import annotations

import json
import os
from pathlib import Path

from stackaudit.config.files import shown_path
from stackaudit.config.safe_files import UnsafePath, check_directory, open_new
from stackaudit.report.runs import new_run_dir

# Written and removed before anything connects: a directory with less room than this cannot hold
# a run's record (a lab run's smallest record is a few hundred KB, report.html several MB).
PROBE_BYTES = 64 * 1024


class NotRecordable(Exception):
    """The reports directory cannot take a run; the message is one line with the fix."""


def open_run_dir(reports: Path) -> Path:
    """A new run directory under `reports`, after checking that the reports directory is the user's own."""
    try:
        for directory in (reports, reports / "runs"):
            check_directory(directory)
    except UnsafePath as err:
        where = err.problem if err.path == reports else str(err)
        raise NotRecordable(f"--reports-dir={shown_path(reports)}: {where}") from None
    try:
        run_dir = new_run_dir(reports)
    except OSError as err:
        raise NotRecordable(f"--reports-dir={reports}: cannot create a run directory there ({err.strerror}); "
                            "give a writable directory") from None
    probe = run_dir / ".room"
    try:
        with open_new(probe) as out:
            out.write(b"\0" * PROBE_BYTES)
            out.flush()
            os.fsync(out.fileno())
    except OSError as err:
        probe.unlink(missing_ok=True)
        run_dir.rmdir()     # ours, made a moment ago and empty: no earlier run is touched
        raise NotRecordable(f"--reports-dir={reports}: cannot write a run's record there ({err.strerror}); "
                            "free space or give another directory") from None
    probe.unlink()
    return run_dir


def unrecorded(run_dir: Path) -> str | None:
    """What the run directory lacks of a finished run's record, or None."""
    try:
        summary = json.loads((run_dir / "summary.json").read_text())
    except (OSError, ValueError) as err:
        return f"{run_dir / 'summary.json'} was not written ({getattr(err, 'strerror', None) or err})"
    for name in ("junit.xml", "results.csv", "metrics.prom"):      # written after summary.json (report/outputs.py)
        if not (run_dir / name).is_file() or (run_dir / name).stat().st_size == 0:
            return f"{run_dir / name} was not written"
    return None
