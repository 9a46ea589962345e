"""The shared lab (tests/labs.py): `lab(scenario)` and the suite's runs on it, one per session each."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.checks.suite_run import SuiteRun, run_suite
from tests.labs import Labs, in_lab_order

LABS = pytest.StashKey[Labs]()


def pytest_collection_modifyitems(items):
    items[:] = in_lab_order(items)


def pytest_terminal_summary(terminalreporter, config):
    """How many labs the session brought up, and which: the figure the shared labs keep down."""
    labs = config.stash.get(LABS, None)
    if labs is not None and labs.ups:
        terminalreporter.write_line(f"labs brought up: {len(labs.ups)} ({', '.join(labs.ups)})")


@pytest.fixture(scope="session")
def labs(tmp_path_factory, pytestconfig):
    """The session's Labs: the shared lab that is up, `labs.own(...)` for a lab of a test's own."""
    shared = pytestconfig.stash[LABS] = Labs(tmp_path_factory.mktemp("labs"))
    try:
        yield shared
    finally:
        shared.release()


@pytest.fixture(scope="session")
def lab(labs):
    """`lab("violations.yml")`: that scenario's lab (a LabHandle), brought up once per session."""
    return labs


@pytest.fixture(scope="session")
def suite_run(lab, tmp_path_factory):
    """`suite_run("violations.yml", *pytest_args)`: the suite run once per session on that scenario's
    shared lab with those arguments; tests that read the same run share it."""
    runs: dict[tuple[str, tuple[str, ...]], SuiteRun] = {}

    def run(scenario: str, *args: str) -> SuiteRun:
        if (scenario, args) not in runs:
            inventory = lab(scenario).path("inventory.yml")
            runs[scenario, args] = run_suite(inventory, tmp_path_factory.mktemp(Path(scenario).stem), *args)
        return runs[scenario, args]
    return run


@pytest.fixture(autouse=True)
def summaries_are_valid(monkeypatch):
    """Every summary.json a run or merge writes in this process validates against the shipped schema
    (stackaudit/report/summary.schema.json); lab runs, in processes of their own, are validated where
    they are read (tests/checks/test_run_directories.py)."""
    from stackaudit.report import outputs
    from tests.unit.output_consumers import summary_problems
    written = outputs.summary_text

    def validated(summary: dict) -> str:
        problems = summary_problems(summary)
        assert not problems, f"summary.json does not validate against its schema: {problems}"
        return written(summary)
    monkeypatch.setattr(outputs, "summary_text", validated)
