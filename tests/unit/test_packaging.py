"""The installed plugin: pyproject.toml's entry point, console script and packages.

pytest registers an entry point's plugin under the entry point's name and `-p NAME` under NAME:
the entry point is named like the module, so a run that has both (pytest.ini's
`-p stackaudit.plugin` and an installed StackAudit) registers the plugin once. These tests put
a distribution carrying the entry point on the path of a child pytest (no install needed) and
ask its plugin manager.
"""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import tomllib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent.parent
PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text())

PROBE = textwrap.dedent("""
    import stackaudit.plugin

    def test_plugin_registered_once(request):
        manager = request.config.pluginmanager
        names = [name for name, plugin in manager.list_name_plugin() if plugin is stackaudit.plugin]
        print("STACKAUDIT-NAMES", names)
        assert names == ["stackaudit.plugin"]
""")


def run_with_entry_point(tmp_path: Path, entry_point_name: str, *args: str,
                         ini: str = os.devnull) -> subprocess.CompletedProcess:
    site = tmp_path / "site"
    dist_info = site / "stackaudit_probe-0.dist-info"
    dist_info.mkdir(parents=True)
    (dist_info / "METADATA").write_text("Metadata-Version: 2.1\nName: stackaudit-probe\nVersion: 0\n")
    (dist_info / "entry_points.txt").write_text(f"[pytest11]\n{entry_point_name} = stackaudit.plugin\n")
    (tmp_path / "test_probe.py").write_text(PROBE)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), str(REPO)])}
    env.pop("PYTEST_DISABLE_PLUGIN_AUTOLOAD", None)
    command = [sys.executable, "-m", "pytest", "-q", "-s", "-p", "no:cacheprovider", "-p", "no:randomly",
               "-c", ini, "--rootdir", str(tmp_path), *args, str(tmp_path / "test_probe.py")]
    return subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)


def test_the_entry_point_is_named_like_the_module_it_loads():
    assert PYPROJECT["project"]["entry-points"]["pytest11"] == {"stackaudit.plugin": "stackaudit.plugin"}


@pytest.mark.integration
@pytest.mark.parametrize("args", [(), ("-p", "stackaudit.plugin")], ids=["entry point", "entry point and -p"])
def test_the_plugin_is_registered_once(tmp_path, args):
    done = run_with_entry_point(tmp_path, "stackaudit.plugin", *args)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "STACKAUDIT-NAMES ['stackaudit.plugin']" in done.stdout


@pytest.mark.integration
def test_the_suite_s_pytest_ini_and_the_entry_point_register_it_once(tmp_path):
    """pytest.ini's addopts carry `-p stackaudit.plugin`, as in every run from the checkout."""
    done = run_with_entry_point(tmp_path, "stackaudit.plugin", ini=str(REPO / "pytest.ini"))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "STACKAUDIT-NAMES ['stackaudit.plugin']" in done.stdout


@pytest.mark.integration
def test_an_entry_point_under_another_name_would_register_it_twice(tmp_path):
    """The control: the probe can fail, and does when the names differ."""
    done = run_with_entry_point(tmp_path, "stackaudit", "-p", "stackaudit.plugin")
    assert done.returncode != 0
    assert "already registered under a different name" in done.stdout + done.stderr


def test_the_console_script_is_the_module_entry():
    from stackaudit.cli import main
    module, function = PYPROJECT["project"]["scripts"]["stackaudit"].split(":")
    assert (module, function) == ("stackaudit.cli", main.__name__)


def test_the_checks_found_are_the_repository_checks():
    from stackaudit.plugin import checks_dir
    assert checks_dir() == REPO / "checks"


def test_pyproject_dependencies_are_pinned_alike_in_the_requirements_lock():
    """requirements.txt is the lock `make lock` makes from pyproject.toml: each direct pin, the same there."""
    from tests.unit.deploy_files import canonical, lock_pins
    pins = lock_pins((REPO / "requirements.txt").read_text())
    declared = PYPROJECT["project"]["dependencies"] + PYPROJECT["project"]["optional-dependencies"]["test"]
    for requirement in declared:
        name, version = requirement.split("==")
        assert pins.get(canonical(name)) == version, f"requirements.txt: {name} is not {version}; run make lock"
