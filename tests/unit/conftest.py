"""Unit tests: the Hypothesis profile is chosen before the test modules are imported."""
import tests.unit.hypothesis_budget  # noqa: F401
