"""Where the checks are and what a run needs from pytest, with or without the repository's pytest.ini.

Installed (`pip install .`), the plugin loads through its `pytest11` entry point in any directory,
where pytest reads no pytest.ini of ours: so the plugin itself registers the suite's markers, and
a run that names no test path runs the checks, wherever they are (the repository's `checks/`, or
`stackaudit/checks/` in an installed wheel: setup.py maps one onto the other).
"""
from __future__ import annotations

from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent
MARKERS = (
    "nightly: the nightly compliance run (every check of the catalog in that profile)",
    "pre_upgrade: the gate before an upgrade (exit code decides)",
    "security: security rules",
    "check_id(id): the catalog ID a check implements",
)


def checks_dir() -> Path:
    """The checks: the repository's checks/ (a checkout, or an editable install), else the wheel's."""
    for candidate in (PACKAGE.parent / "checks", PACKAGE / "checks"):
        if any(candidate.glob("test_*.py")):
            return candidate
    raise FileNotFoundError(f"no checks beside {PACKAGE} (neither ../checks nor checks/)")


def is_suite_ini(path: Path) -> bool:
    """pytest.ini of a StackAudit checkout (its addopts, markers and `testpaths = checks`)."""
    return path.name == "pytest.ini" and (path.parent / "checks").is_dir() \
        and (path.parent / "stackaudit" / "catalog.yml").is_file()


def register_markers(config: pytest.Config) -> None:
    for marker in MARKERS:
        config.addinivalue_line("markers", marker)


def choose_test_paths(config: pytest.Config) -> str | None:
    """Point a run that named no test path at the checks; or say why the run cannot go on.

    pytest picks its configuration file from the path-like words of the command line before it
    knows our options, so a run may have read another project's file; its `testpaths` would
    replace the checks. Returns the problem (exit code 4) or None.
    """
    inipath = config.inipath
    if inipath is not None and is_suite_ini(inipath):
        return None
    if config.args_source == pytest.Config.ArgsSource.TESTPATHS:
        return (f"pytest read {inipath}, whose testpaths are not StackAudit's checks; run from another "
                f"directory, name the checks ({checks_dir()}), or write path options as --inventory=FILE")
    if config.args_source == pytest.Config.ArgsSource.INVOCATION_DIR:
        config.args = [str(checks_dir())]
    return None
