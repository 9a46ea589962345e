"""`stackaudit run` reads the inventory once and records the SHA-256 of the bytes it read, even when
the file is edited while the run goes on (issue 20). In process: no subprocess, no lab, no cloud."""
from __future__ import annotations

import ast
import hashlib
import json
from pathlib import Path
from types import SimpleNamespace

import pytest

import stackaudit.cli as cli
import stackaudit.cli.run_command as run_command
from stackaudit import configuration, fixtures, plugin, session
from stackaudit.config.redact import KnownSecrets, remember_inventory_secrets
from stackaudit.targets import Snapshot
from tests.unit.test_run_command import inventory  # noqa: F401 (the fixture)


def test_the_run_reads_the_inventory_once_and_its_summary_has_the_hash_of_what_it_read(
        tmp_path, inventory, monkeypatch):  # noqa: F811
    monkeypatch.setenv("K", "runonce-test-api-key")
    monkeypatch.setenv("S", "runonce-test-api-secret")
    as_read = hashlib.sha256(inventory.read_bytes()).hexdigest()
    loads = []
    load_inventory = configuration.load_inventory
    monkeypatch.setattr(configuration, "load_inventory", lambda path: loads.append(path) or load_inventory(path))
    # This process's masking registry stays as it was: the run remembers the secrets in a registry of its own.
    monkeypatch.setattr(plugin, "remember_inventory_secrets",
                        lambda loaded: remember_inventory_secrets(loaded, KnownSecrets()))

    def discover_while_the_file_is_edited(loaded, limits) -> Snapshot:
        inventory.write_text(inventory.read_text() + "# saved by an operator while the run goes on\n")
        return Snapshot("lab", [])

    monkeypatch.setattr(session, "discover", discover_while_the_file_is_edited)
    published = []

    def publish(run_dir, inputs, headline=None, passed_results="each"):
        published.append((inputs, passed_results))
        (run_dir / "report.html").write_text("<html></html>")

    monkeypatch.setattr(run_command, "publish", publish)
    checks = tmp_path / "checks"
    checks.mkdir()
    reports = tmp_path / "reports"
    cli.main(["run", f"--inventory={inventory}", f"--reports-dir={reports}", "--workers=0", "-p", "no:cacheprovider",
              str(checks)])
    assert loads == [inventory]
    assert hashlib.sha256(inventory.read_bytes()).hexdigest() != as_read
    summary = json.loads((reports / "latest" / "summary.json").read_text())
    read = {"inventory": {"path": str(inventory), "sha256": as_read}, "policy": None}
    assert summary["inputs"] == read
    assert published == [(read, "auto")]      # the policy's report.passed_results: the default here


def test_a_worker_refuses_an_inventory_changed_since_the_controller_read_it(tmp_path, inventory, monkeypatch):  # noqa: F811
    monkeypatch.setenv("K", "runonce-test-api-key")
    monkeypatch.setenv("S", "runonce-test-api-secret")
    read_by_controller = configuration.load_configuration(inventory, None).input_files()
    inventory.write_text(inventory.read_text() + "# saved by an operator while the run goes on\n")
    worker = SimpleNamespace(workerinput={"stackaudit_inputs": read_by_controller, "stackaudit_run_dir": str(tmp_path),
                                          "stackaudit_run_mark": "m"})
    with pytest.raises(pytest.exit.Exception) as stopped:
        session.worker_state(worker, configuration.load_configuration(inventory, None))
    assert stopped.value.returncode == 4
    assert stopped.value.msg == f"stackaudit: {inventory} or its policy changed since the run began; run again"


def test_every_target_fixture_is_a_def_in_fixtures_py():
    """A reader finds `def firewalled_host` in stackaudit/fixtures.py, and it stands for the kinds plugin.py names."""
    tree = ast.parse(Path(fixtures.__file__).read_text())
    defined = {node.name for node in tree.body if isinstance(node, ast.FunctionDef)
               and any(ast.unparse(d).startswith("pytest.fixture") for d in node.decorator_list)}
    assert defined == set(plugin.TARGET_FIXTURES) | {"policy", "inventory"}
