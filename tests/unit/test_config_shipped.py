"""Every file shipped in inventories/ loads as docs/configuration.md documents it: the example inventory once the
files and variables it names exist, the policy as the defaults, the waivers as written."""
from __future__ import annotations

import datetime
import shutil
from pathlib import Path

import pytest

from stackaudit.catalog import check_kinds
from stackaudit.config.inventory import load_inventory
from stackaudit.config.policy import load_policy
from stackaudit.config.waivers import load_waivers
from tests.unit.config_site import ca_certificate, ssh_key_pair

SHIPPED = Path(__file__).resolve().parents[2] / "inventories"


def filled_in_example(directory: Path, monkeypatch) -> Path:
    """inventories/example.yml in `directory`, with every file it names made and every variable set."""
    home = directory / "home"
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("STACKAUDIT_API_KEY", "k")
    monkeypatch.setenv("STACKAUDIT_API_SECRET", "s")
    private, public = ssh_key_pair()
    files = {home / ".ssh" / "stackaudit_ed25519": private, directory / "secrets" / "xapi.password": "p\n",
             directory / "secrets" / "db-audit.password": "p\n", directory / "secrets" / "xapi-ca.pem": ca_certificate(),
             directory / "secrets" / "db-ca.pem": ca_certificate(),
             directory / "known_hosts.prod-eu1": f"192.0.2.11 {public}\n"}
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        path.chmod(0o600)
    shutil.copy(SHIPPED / "policy.yml", directory / "policy.yml")
    shutil.copy(SHIPPED / "example.yml", directory / "example.yml")
    return directory / "example.yml"


# Where a policy was read from, not what it says: the shipped example says what the defaults say.
READ_FROM = {"source": "", "sha256": None}


def test_the_example_inventory_loads_once_filled_in(tmp_path, monkeypatch):
    inventory = load_inventory(filled_in_example(tmp_path, monkeypatch))
    assert inventory.api.verify is True           # `verify: true`, as docs/configuration.md documents it
    assert inventory.api.endpoint == "https://cloud.example.com/client/api"
    assert [s.name for s in inventory.databases.servers] == ["db1", "db2"]
    assert load_policy(inventory.policy_path).__dict__ | READ_FROM == load_policy(None).__dict__ | READ_FROM


@pytest.mark.parametrize("verify, expected", [("false", False), ("True", True), ("'false'", False)])
def test_verify_takes_a_bool_written_either_way(tmp_path, monkeypatch, verify, expected):
    path = filled_in_example(tmp_path, monkeypatch)
    opt_out = "" if expected else "insecure: true\n    "     # false only with the explicit opt-out
    path.write_text(path.read_text().replace("verify: true ", f"{opt_out}verify: {verify} "))
    inventory = load_inventory(path)
    assert inventory.api.verify is expected
    assert inventory.insecure_channels == (() if expected else ("cloud.api",))


def test_verify_takes_a_ca_bundle_path(tmp_path, monkeypatch):
    path = filled_in_example(tmp_path, monkeypatch)
    path.write_text(path.read_text().replace("verify: true ", "verify: secrets/xapi-ca.pem "))
    assert load_inventory(path).api.verify == str(tmp_path / "secrets" / "xapi-ca.pem")


def test_every_shipped_file_is_loaded_by_a_test_here(tmp_path, monkeypatch):
    loaders = {
        "example.yml": lambda path: load_inventory(filled_in_example(tmp_path, monkeypatch)),
        "policy.yml": load_policy,
        "waivers.yml": lambda path: load_waivers(path, check_kinds(), 180, datetime.date(2026, 11, 25)),
    }
    shipped = sorted(p.name for p in SHIPPED.iterdir())
    assert shipped == sorted(loaders), "a new file in inventories/: load it here"
    for name in shipped:
        assert loaders[name](SHIPPED / name)
