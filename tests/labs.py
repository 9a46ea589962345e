"""The one lab of this machine, shared per scenario across a test session.

The lab uses one bridge and fixed namespace names, so one lab at a time: asking for another scenario
takes the one that is up down first (lab/lifecycle.py `down`, by the pids its state dir recorded).
Tests that ask for a scenario carry `@pytest.mark.lab_scenario(name, ...)` (the scenarios they use, in
order), and `in_lab_order` runs the tests of one scenario together, so each scenario comes up once.

A test that changes a shared lab restores what it changed (tests/checks/fault_lab.py undoes each
fault; tests/checks/test_read_only.py removes what it planted); a test that needs a lab of its own
(a scenario written for it, or one it changes for good) takes `Labs.own`, which takes the shared lab
down first.
"""
from __future__ import annotations

import shutil
from contextlib import contextmanager
from pathlib import Path

from lab.lifecycle import down, up
from tests.lab.conftest import SCENARIOS, LabHandle, require_root

MARKER = "lab_scenario"


def quiet(*_) -> None:
    pass


class Labs:
    """Brings up one scenario at a time, in a state directory per scenario under `root`. Each shared
    lab starts from the keys of the one before (the lab makes keys only where none exist), so a
    system VM's host key pinned on one scenario still holds on the next, as on one real cloud from
    night to night."""

    def __init__(self, root: Path):
        self.root = root
        self.current: tuple[Path, LabHandle] | None = None
        self.keys: Path | None = None
        self.ups: list[str] = []        # every lab brought up, shared or a test's own, in order

    def __call__(self, scenario: str | Path) -> LabHandle:
        path = scenario if isinstance(scenario, Path) else SCENARIOS / scenario
        path = path.resolve()
        if self.current and self.current[0] == path:
            return self.current[1]
        require_root()
        self.release()
        state_dir = self.root / path.relative_to(SCENARIOS).with_suffix("").as_posix().replace("/", "-")
        if self.keys and not (state_dir / "keys").exists():
            shutil.copytree(self.keys, state_dir / "keys")
        topology = up(path, state_dir, out=quiet)
        self.keys = state_dir / "keys"
        self.ups.append(path.name)
        self.current = (path, LabHandle(state_dir, topology))
        return self.current[1]

    def release(self) -> None:
        """Take the shared lab down (by its state dir's pids), if one is up."""
        if self.current:
            _, handle = self.current
            self.current = None
            down(handle.state_dir, out=quiet)

    @contextmanager
    def own(self, scenario: Path, state_dir: Path):
        """A lab of this test's own: the shared one down first, this one down at the end."""
        require_root()
        self.release()
        up(scenario, state_dir, out=quiet)
        self.ups.append(f"own:{scenario.name}")
        try:
            yield state_dir
        finally:
            down(state_dir, out=quiet)


def scenario_rank(name: str) -> tuple[int, str]:
    """The order scenario groups run in: the others, then compliant, then violations."""
    return ({"compliant.yml": 1, "violations.yml": 2}.get(name, 0), name)


def in_lab_order(items: list) -> list:
    """Tests without a shared scenario first, as collected; then grouped by the last scenario they use.
    A test that goes from one scenario to another opens the group of the one it ends on (the first
    is then up from the group before or its own), so no scenario comes up twice."""
    def key(indexed):
        index, item = indexed
        marker = item.get_closest_marker(MARKER)
        if marker is None:
            return (0, (), True, index)
        first, last = marker.args[0], marker.args[-1]
        return (1, scenario_rank(last), first == last, index)
    return [item for _, item in sorted(enumerate(items), key=key)]
