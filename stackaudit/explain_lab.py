"""The lab cases of one check: the seeded cases that make it fail (lab/scenarios/violations.yml and
lab/scenarios/matrix/*.yml, `seeded:`), the scenarios where it must pass, and the test modules that
run them. lab/ and tests/ ship in the checkout, not in an installed package: there, None."""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import yaml

from stackaudit.explain_source import CHECKOUT

SCENARIOS = CHECKOUT / "lab" / "scenarios"
TESTS = CHECKOUT / "tests"
LAB_TESTS = ("checks", "lab")          # tests/<these>: the modules that bring a lab up
MATRIX_GLOB = '"matrix").glob('         # tests/checks/test_matrix.py runs every matrix scenario
# The scenarios whose every result a lab test asserts: the compliant cloud and the hostile tenants'
# (tests/checks/test_detection.py: every check passes), the seeded ones (tests/checks/test_matrix.py:
# exactly the seeded results do not pass). canaries.yml is asserted on its secrets only.
WHOLE_SCENARIOS = ("compliant.yml", "hostile_tenants.yml", "violations.yml")


@dataclass(frozen=True)
class LabCase:
    scenario: str                  # path from the checkout
    case: str
    outcome: str                   # failed; broken (not checked) or not applicable (out of scope) where seeded so
    targets: tuple[str, ...]
    mentions: tuple[str, ...] = ()  # text the result's message must name


@dataclass(frozen=True)
class LabCases:
    failing: tuple[LabCase, ...]
    other: tuple[LabCase, ...]       # seeded broken or out of scope
    passing: tuple[str, ...]         # scenarios that seed nothing of this check
    tests: dict[str, tuple[str, ...]] = field(default_factory=dict)   # test module -> scenarios it runs


def scenario_files(directory: Path) -> list[Path]:
    return [directory / name for name in WHOLE_SCENARIOS if (directory / name).is_file()] + \
        sorted((directory / "matrix").glob("*.yml"))


@cache
def seeded(path: Path) -> tuple[dict, ...]:
    """The scenario's `seeded:` entries, read once per process (a scenario is long; yaml is slow)."""
    return tuple((yaml.safe_load(path.read_text()) or {}).get("seeded") or ())


def seeded_cases(path: Path, check_id: str) -> list[LabCase]:
    """The scenario's seeded cases of this check (lab/scenario.py's SEEDED: outcome defaults to failed)."""
    return [LabCase(str(path.relative_to(CHECKOUT)), entry["case"], entry.get("outcome", "failed"),
                    tuple(entry["targets"]), tuple(entry.get("mentions", ())))
            for entry in seeded(path) if entry["check"] == check_id]


def runs_scenario(test_source: str, scenario: Path) -> bool:
    """Whether a lab test module names the scenario: by file name, a top-level one by its name in
    quotes (`f"{scenario}.yml"`), a matrix one by a glob of the whole matrix folder."""
    if scenario.parent.name == "matrix":
        return f'"{scenario.name}"' in test_source or MATRIX_GLOB in test_source
    return f'"{scenario.name}"' in test_source or f'"{scenario.stem}"' in test_source


def scenario_tests(scenarios: list[Path], tests: Path) -> dict[str, tuple[str, ...]]:
    found = {}
    for module in sorted(path for folder in LAB_TESTS for path in (tests / folder).glob("test_*.py")):
        source = module.read_text()
        named = tuple(str(s.relative_to(SCENARIOS)) for s in scenarios if runs_scenario(source, s))
        if MATRIX_GLOB in source:     # the whole folder, said once
            named = tuple(name for name in named if not name.startswith("matrix/")) + ("matrix/*.yml",)
        if named:
            found[str(module.relative_to(CHECKOUT))] = named
    return found


def lab_cases(check_id: str, directory: Path = SCENARIOS) -> LabCases | None:
    if not directory.is_dir():
        return None
    failing, other, passing, shown = [], [], [], []
    for path in scenario_files(directory):
        cases = seeded_cases(path, check_id)
        failing += [case for case in cases if case.outcome == "failed"]
        other += [case for case in cases if case.outcome != "failed"]
        if not cases:
            passing.append(str(path.relative_to(CHECKOUT)))
        shown.append(path)
    tests = scenario_tests(shown, TESTS) if TESTS.is_dir() else {}
    return LabCases(tuple(failing), tuple(other), tuple(passing), tests)
