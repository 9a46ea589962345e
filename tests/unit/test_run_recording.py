"""A reports directory that cannot take a run: one line, a non-zero exit, no record that reads as a
finished run, and `latest` left on the last complete run. Small tmpfs mounts (root) make the faults:
read-only, too small for the probe, and room for the summary but not for report.html (each mode 0700:
a reports directory another user could write in is refused before any of these)."""
from __future__ import annotations

import json
import os
import socket
import subprocess
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.unit.test_run_command import inventory, stackaudit_run  # noqa: F401 (the fixture)

pytestmark = pytest.mark.integration     # starts processes (see pytest.ini)


@contextmanager
def tmpfs(path: Path, options: str):
    if os.geteuid() != 0:
        pytest.fail("these tests mount a tmpfs: run `make test` as root")
    path.mkdir(parents=True, exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", options, "stackaudit-test", str(path)], check=True)
    try:
        yield path
    finally:
        subprocess.run(["umount", str(path)], check=True)


def refused_api(inventory: Path) -> None:
    """Point the inventory at a local port nothing listens on (discovery fails fast, nothing leaves)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    inventory.write_text(inventory.read_text().replace("198.18.0.1:8080", f"127.0.0.1:{port}"))


def one_error_line(done: subprocess.CompletedProcess) -> str:
    lines = [line for line in done.stderr.splitlines() if line.startswith("stackaudit: ")]
    assert len(lines) == 1 and "Traceback" not in done.stdout + done.stderr, done.stdout + done.stderr
    return lines[0]


@pytest.mark.parametrize("options, expected", [
    ("ro,size=1m,mode=0700", "cannot create a run directory there (Read-only file system); give a writable directory"),
    ("size=16k,mode=0700", "cannot write a run's record there (No space left on device); free space or give another directory"),
], ids=["read-only", "full"])
def test_a_reports_directory_that_cannot_take_a_run_is_exit_4_before_anything_connects(
        tmp_path, inventory, options, expected):  # noqa: F811
    with tmpfs(tmp_path / "reports", options) as reports:
        done = stackaudit_run(f"--inventory={inventory}", f"--reports-dir={reports}")
        assert done.returncode == 4, done.stdout + done.stderr
        assert one_error_line(done) == f"stackaudit: --reports-dir={reports}: {expected}"
        assert "cannot discover" not in done.stdout + done.stderr
        assert not (reports / "runs").is_dir() or list((reports / "runs").iterdir()) == []


def test_a_disk_that_fills_during_the_run_is_exit_8_and_latest_stays(tmp_path, inventory):  # noqa: F811
    refused_api(inventory)
    with tmpfs(tmp_path / "reports", "size=512k,mode=0700") as reports:    # room for a summary, not for report.html
        first = stackaudit_run(f"--inventory={inventory}", f"--reports-dir={reports}")
        assert first.returncode == 8, first.stdout + first.stderr
        line = one_error_line(first)
        assert line.startswith("stackaudit: the run's record is incomplete: report.html not written: "), line
        (run,) = (reports / "runs").iterdir()
        assert json.loads((run / "summary.json").read_text())["exit_code"] == 6
        assert not (run / "report.html").exists() and not (reports / "latest").exists()
        assert not [p for p in run.iterdir() if p.name.startswith(".allure-")]    # no half-written report left
