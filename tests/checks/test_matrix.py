"""The detection matrix: every scenario under lab/scenarios/matrix declares what it breaks
(`seeded`); the suite must report exactly those (check, target) results as failed (or broken), or
leave them out as not applicable, and pass every other one. Together with the compliant run, every check is proven to
fail on its seeded targets only and to pass where the rule holds."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from lab.scenario import load_scenario
from stackaudit.catalog import catalog
from tests.lab.conftest import SCENARIOS

MATRIX = sorted((SCENARIOS / "matrix").glob("*.yml")) + [SCENARIOS / "violations.yml"]
# Each run's seeded cases with what was observed, for the matrix table (python -m tests.checks.matrix_table).
OBSERVED_DIR = Path(__file__).resolve().parent.parent.parent / "reports" / "detection-matrix"


def shared_name(scenario: Path) -> str:
    """How tests/labs.py names a scenario: its path under lab/scenarios."""
    return scenario.relative_to(SCENARIOS).as_posix()


def seeded_outcomes(scenario: Path) -> dict[tuple[str, str], str]:
    return {(s["check"], target): s["outcome"] for s in load_scenario(scenario)["seeded"] for target in s["targets"]}


def seeded_severities(scenario: Path) -> dict[tuple[str, str], str]:
    return {(s["check"], target): s["severity"] for s in load_scenario(scenario)["seeded"] if s["severity"]
            for target in s["targets"]}


def expected_exit_code(outcomes: dict[tuple[str, str], str], severities: dict[tuple[str, str], str]) -> int:
    """The documented codes: 1 a blocker or critical check failed, 6 something broken, 7 only warnings."""
    failed = [severities.get(key, catalog()[key[0]].severity) for key, o in outcomes.items() if o == "failed"]
    if set(failed) & {"blocker", "critical"}:
        return 1
    return 6 if "broken" in outcomes.values() else 7 if failed else 0


def test_every_check_of_the_catalog_has_a_seeded_failure():
    failing = {check for scenario in MATRIX for (check, _), outcome in seeded_outcomes(scenario).items()
               if outcome == "failed"}
    assert sorted(set(catalog()) - failing) == []


def test_seeded_checks_and_targets_are_named_as_the_suite_names_them():
    for scenario in MATRIX:
        for check, target in seeded_outcomes(scenario):
            assert check in catalog(), f"{scenario.name}: unknown check {check}"
            assert "://" in target, f"{scenario.name}: {target} is not a target id"


@pytest.mark.lab
@pytest.mark.slow
@pytest.mark.parametrize("scenario", [pytest.param(p, marks=pytest.mark.lab_scenario(shared_name(p)), id=p.stem)
                                      for p in MATRIX])
def test_scenario_fails_exactly_its_seeded_results(scenario, suite_run):
    result = suite_run(shared_name(scenario))
    expected = seeded_outcomes(scenario)
    assert result.results, result.output
    # Not applicable: never collected, listed with the reason; so is a check whose kind of target the
    # cloud lacks (no XenServer, say), once, with no target. Every other seeded case is a result.
    left_out = {k for k, outcome in expected.items() if outcome == "not applicable"}
    assert left_out <= set(result.not_applicable) and not left_out & set(result.outcomes()), result.output[-3000:]
    assert set(expected) - left_out <= set(result.outcomes()), f"seeded results missing from the run: {result.output[-3000:]}"
    assert not [k for k in result.outcomes() if not k[1]], result.output[-2000:]
    observed = {**result.not_passed(), **{k: "not applicable" for k in left_out}}
    messages = {(r.check_id, r.target): r.message for r in result.results if (r.check_id, r.target) in observed}
    assert observed == expected, "\n".join(f"{k}: {v}: {messages.get(k, '')}" for k, v in sorted(observed.items()))
    record_observed(scenario, result)
    by_key = {**{(r.check_id, r.target): r.message for r in result.results}, **result.not_applicable}
    for seed in load_scenario(scenario)["seeded"]:
        for target in seed["targets"]:
            message = by_key[(seed["check"], target)]
            assert [m for m in seed["mentions"] if m not in message] == [], f"{seed['case']}: {message}"
            assert [m for m in seed["omits"] if m in message] == [], f"{seed['case']}: {message}"
    severities = {(r.check_id, r.target): r.severity for r in result.results}
    assert {key: severities[key] for key in seeded_severities(scenario)} == seeded_severities(scenario)
    assert result.exit_code == expected_exit_code(expected, seeded_severities(scenario)), result.output[-2000:]


def record_observed(scenario: Path, result) -> None:
    outcomes = {**result.outcomes(), **dict.fromkeys(result.not_applicable, "not applicable")}
    rows = [{"scenario": scenario.name, "case": s["case"], "check": s["check"], "target": target,
             "expected": s["outcome"], "observed": outcomes.get((s["check"], target), "missing")}
            for s in load_scenario(scenario)["seeded"] for target in s["targets"]]
    OBSERVED_DIR.mkdir(parents=True, exist_ok=True)
    (OBSERVED_DIR / f"{scenario.stem}.json").write_text(json.dumps(rows, indent=1))
