"""The fault tests' lab: the shared compliant lab and its clean run, once per session (tests/checks/fault_lab.py)."""
from __future__ import annotations

import pytest

from tests.checks.fault_lab import FaultLab, fault_lab_on


@pytest.fixture(scope="session")
def fault_lab(labs, tmp_path_factory) -> FaultLab:
    return fault_lab_on(labs, tmp_path_factory.mktemp("faults"))
