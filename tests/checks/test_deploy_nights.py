"""Two nights of the lab's cloud run the way deploy/kubernetes runs them: two shards, each through
deploy/shard-run.sh into its own directory of the volume (shards/<i>: its reports directory, kept
from night to night, and the night's link to its run), then `stackaudit merge` over those links
into a directory of its own. Each shard's findings leave its wrapper at 0 and the merge gives the
night's code; the second night checks every system VM against the key the first night pinned in
that shard's reports directory (a directory per night would pin them anew, "first use", every
night). A shard's run that others could have changed is then refused by the merge."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.unit.deploy_files import MERGE_PRESENT, SHARD_OPTION_PRESENT, SHARD_RUN, xfail_until

REPO = Path(__file__).resolve().parent.parent.parent
SHARDS = 2
NIGHTS = ("stackaudit-shards-29391060", "stackaudit-shards-29392500")


def run(*command: str) -> subprocess.CompletedProcess:
    return subprocess.run(list(command), cwd=REPO, capture_output=True, text=True, timeout=900)


def pin_notes(run_dir: Path) -> dict[str, str]:
    """System VM target id -> the host key note its facts carry (first use, or matches)."""
    notes = {}
    for path in (run_dir / "facts").glob("*.json"):
        text = path.read_text()
        for marker in ("TRUST ON FIRST USE: pinned in this run", "matches the key pinned"):
            if marker in text:
                notes[path.stem] = marker
    return notes


def run_directory(done: subprocess.CompletedProcess) -> Path:
    (line,) = [line for line in done.stdout.splitlines() if line.startswith("Run directory: ")]
    return Path(line.removeprefix("Run directory: "))


def outcomes(run_dir: Path) -> set[tuple[str, str, str]]:
    return {(r["check_id"], r["target"], r["status"]) for r in json.loads((run_dir / "summary.json").read_text())["results"]}


@pytest.mark.lab
@pytest.mark.slow
@pytest.mark.lab_scenario("violations.yml")
@xfail_until(SHARD_OPTION_PRESENT and MERGE_PRESENT)
def test_two_nights_of_shards_through_the_wrapper_merge_and_keep_their_pins(tmp_path, lab):
    assert SHARD_OPTION_PRESENT and MERGE_PRESENT, "this checkout has no --shard or no stackaudit merge"
    state, volume = lab("violations.yml").state_dir, tmp_path / "volume"
    reports = volume / "merged" / "reports"
    inventory = f"--inventory={state / 'inventory.yml'}"
    shards = {night: [run(str(SHARD_RUN), str(volume / "shards" / str(i) / "nights" / night), "--",
                          sys.executable, "-m", "stackaudit", "run", inventory, f"--shard={i}/{SHARDS}",
                          f"--reports-dir={volume / 'shards' / str(i) / 'reports'}", "--workers=0", "-p", "no:randomly")
                      for i in range(SHARDS)]
              for night in NIGHTS}
    merged = {night: run(sys.executable, "-m", "stackaudit", "merge", inventory, f"--reports-dir={reports}",
                         *(str(volume / "shards" / str(i) / "nights" / night) for i in range(SHARDS)))
              for night in NIGHTS}

    links = {}
    for night in NIGHTS:
        codes = set()
        for index, done in enumerate(shards[night]):
            assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
            judged = re.search(r"\(exit code ([0-9]+): judged by stackaudit merge\)", done.stdout)
            assert judged, done.stdout[-2000:]
            codes.add(int(judged[1]))
            link = volume / "shards" / str(index) / "nights" / night
            assert not os.readlink(link).startswith("/")
            assert link.resolve().parent == (volume / "shards" / str(index) / "reports" / "runs").resolve()
            links[night, index] = link.resolve()
        assert 1 in codes and codes <= {0, 1, 6, 7}, codes      # the seeded blockers, in whichever shard holds them
        assert merged[night].returncode == 1, merged[night].stdout[-2000:] + merged[night].stderr[-2000:]
    first, second = NIGHTS
    assert outcomes(run_directory(merged[first])) == outcomes(run_directory(merged[second]))

    first_notes = {k: v for i in range(SHARDS) for k, v in pin_notes(links[first, i]).items()}
    second_notes = {k: v for i in range(SHARDS) for k, v in pin_notes(links[second, i]).items()}
    assert first_notes and set(first_notes.values()) == {"TRUST ON FIRST USE: pinned in this run"}
    assert second_notes.keys() == first_notes.keys()
    assert set(second_notes.values()) == {"matches the key pinned"}
    pin_files = [volume / "shards" / str(i) / "reports" / "system-vm-host-keys.json" for i in range(SHARDS)]
    pinned = [set(json.loads(path.read_text())) for path in pin_files if path.exists()]
    assert sum(len(p) for p in pinned) == len(set().union(*pinned)) == len(first_notes)   # each VM in one shard

    # A shard's run that the group could change is refused, before anything is written.
    (links[second, 0] / "allure-results").chmod(0o775)
    runs_before = sorted((reports / "runs").iterdir())
    refused = run(sys.executable, "-m", "stackaudit", "merge", inventory, f"--reports-dir={reports}",
                  *(str(volume / "shards" / str(i) / "nights" / second) for i in range(SHARDS)))
    assert refused.returncode == 4 and refused.stdout == ""
    assert refused.stderr.splitlines() == [
        f"stackaudit: {links[second, 0] / 'allure-results'}: writable by group or others (mode 0775): another user "
        "could have changed this shard's results; give runs that only the user who merges (or root) can write "
        "(docs/deployment.md, \"Sharding\")"]
    assert sorted((reports / "runs").iterdir()) == runs_before
