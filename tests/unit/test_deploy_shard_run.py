"""deploy/shard-run.sh: a shard that recorded its run exits 0 whatever it found (the merge judges),
and links the night's place to that run; a shard that recorded nothing keeps a failing code, so the
engine (Kubernetes, CI) retries it or stops. Run here with a stand-in for `stackaudit run` that
records a run the way stackaudit does (runs/<stamp>/summary.json, then latest), or does not."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.unit.deploy_files import SHARD_RUN

pytestmark = pytest.mark.integration     # starts processes (see pytest.ini)

FAKE_RUN = textwrap.dedent("""
    import os, sys
    from pathlib import Path
    reports = Path(next(a for a in sys.argv if a.startswith("--reports-dir="))[len("--reports-dir="):])
    record, code, stamp = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    if record == "record":
        run = reports / "runs" / stamp
        run.mkdir(parents=True)
        (run / "summary.json").write_text('{"exit_code": %d}' % code)
        (reports / ".latest.tmp").symlink_to(os.path.relpath(run, reports))
        os.replace(reports / ".latest.tmp", reports / "latest")
    elif record == "unfinished":      # a run directory without its record; latest not moved
        (reports / "runs" / stamp).mkdir(parents=True)
    sys.exit(code)
""")


@pytest.fixture
def shard(tmp_path):
    fake = tmp_path / "fake_run.py"
    fake.write_text(FAKE_RUN)
    reports = tmp_path / "reports" / "shards" / "1"
    link = tmp_path / "reports" / "nights" / "stackaudit-shards-29391060" / "1"

    def run(record: str, code: int, stamp: str = "20261125T010000Z", *, link_to: Path = link):
        return subprocess.run([str(SHARD_RUN), str(link_to), "--", sys.executable, str(fake), record, str(code), stamp,
                               f"--reports-dir={reports}"], capture_output=True, text=True, timeout=60)
    run.reports, run.link = reports, link
    return run


@pytest.mark.parametrize("code", [0, 1, 6, 7])
def test_a_recorded_run_exits_0_whatever_it_found_and_is_linked(shard, code):
    done = shard("record", code)
    assert done.returncode == 0, done.stderr
    assert shard.link.resolve() == (shard.reports / "runs" / "20261125T010000Z").resolve()
    assert not os.readlink(shard.link).startswith("/")      # relative: still resolves once a CI engine moves it
    assert f"exit code {code}: judged by stackaudit merge" in done.stdout


@pytest.mark.parametrize("record, code, expected", [
    ("none", 4, 4),             # bad input: no retry helps (podFailurePolicy FailJob)
    ("none", 2, 2),             # usage error
    ("none", 3, 3),             # pytest internal error: the engine may retry
    ("unfinished", 1, 8),       # a blocker found but the record is incomplete: not a result to merge
    ("unfinished", 6, 8),
    ("none", 0, 8),
])
def test_a_shard_that_recorded_nothing_fails(shard, record, code, expected):
    done = shard(record, code)
    assert done.returncode == expected
    assert not shard.link.exists() and not shard.link.is_symlink()
    assert f"the shard recorded no run (exit code {code})" in done.stderr


def test_yesterdays_latest_is_not_taken_for_tonights_run(shard):
    assert shard("record", 0, "20261124T010000Z").returncode == 0
    shard.link.unlink()
    done = shard("unfinished", 6, "20261125T010000Z")
    assert done.returncode == 8
    assert not shard.link.is_symlink()


def test_a_retry_moves_the_link_to_the_new_run(shard):
    assert shard("record", 6, "20261125T010000Z").returncode == 0
    assert shard("record", 0, "20261125T013000Z").returncode == 0
    assert shard.link.resolve().name == "20261125T013000Z"
    assert [p.name for p in shard.link.parent.iterdir()] == ["1"]     # no temporary link left behind


@pytest.mark.parametrize("argv", [[], ["link", "stackaudit", "run"], ["link", "--", "stackaudit", "run"]])
def test_a_wrong_call_is_a_usage_error(argv):
    done = subprocess.run([str(SHARD_RUN), *argv], capture_output=True, text=True, timeout=30)
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0
