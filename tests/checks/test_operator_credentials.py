"""The demo's checks with the API key where operators keep it (docs/credentials.md): the lab's key
and secret in a ~/.cloudstack.ini region (the secret in CLOUDSTACK_SECRET, which cs lays under the
file's keys), in the CLOUDSTACK_* variables alone (cs then reads no file), and in a CloudMonkey
profile of ~/.cmk/config; HOME pointed at a directory of the test's own. Each run gives the demo's results, result for result, and leaves neither secret in
anything it writes."""
from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

from tests.checks.suite_run import SuiteRun, run_suite

pytestmark = [pytest.mark.lab, pytest.mark.slow, pytest.mark.lab_scenario("violations.yml")]


def private(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    path.write_text(text)
    path.chmod(0o600)


def results(run: SuiteRun) -> dict[tuple[str, str], tuple[str, str]]:
    return {(r.check_id, r.target): (r.status, r.message) for r in run.results}


def leaked(work: Path, values: tuple[str, ...]) -> list[str]:
    return [str(path) for path in work.rglob("*") if path.is_file()
            and any(value.encode() in path.read_bytes() for value in values)]


@pytest.mark.parametrize("form", ["cloudstack-ini", "cloudstack-variables", "cmk-profile"])
def test_the_demo_runs_alike_with_the_key_from_the_operators_files(lab, suite_run, tmp_path, form):
    demo = suite_run("violations.yml")
    handle = lab("violations.yml")
    key, secret = handle.secret("keys/api.key"), handle.secret("keys/api.secret")
    endpoint = handle.inventory["cloud"]["api"]["endpoint"]
    home = tmp_path / "home"
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("CLOUDSTACK_")}, "HOME": str(home)}
    if form == "cloudstack-ini":
        private(home / ".cloudstack.ini", f"# the lab\n[other]\nendpoint = https://198.18.0.99/client/api\n\n"
                                          f"[lab]\nendpoint = {endpoint}\nkey = {key}\n"
                                          f"verify = {handle.path('keys/lab-ca.pem')}\ntimeout = 30\n")
        env["CLOUDSTACK_SECRET"] = secret
        api = {"cloudstack_ini": "lab"}
    elif form == "cloudstack-variables":
        private(home / ".cloudstack.ini", "[lab]\nendpoint = https://198.18.0.99/client/api\n")     # not read
        env |= {"CLOUDSTACK_ENDPOINT": endpoint, "CLOUDSTACK_KEY": key, "CLOUDSTACK_SECRET": secret,
                "CLOUDSTACK_VERIFY": str(handle.path("keys/lab-ca.pem"))}
        api = {"cloudstack_ini": "lab"}
    else:
        private(home / ".cmk" / "config", "prompt       = 🐱\nverifycert   = true\nprofile      = lab\n\n"
                                          f"[lab]\nurl       = {endpoint}\napikey    = {key}\nsecretkey = {secret}\n")
        api = {"cmk_profile": "lab", "verify": "keys/lab-ca.pem"}
    document = dict(handle.inventory, cloud={**handle.inventory["cloud"], "api": api})
    inventory = handle.path(f"inventory-{form}.yml")
    inventory.write_text(yaml.safe_dump(document, sort_keys=False))
    run = run_suite(inventory, tmp_path / "run", env=env)
    assert run.exit_code == demo.exit_code, run.output
    assert results(run) == results(demo)
    assert {"passed", "failed"} <= {status for status, _ in results(run).values()}, run.output
    assert not leaked(tmp_path / "run", (key, secret))
    assert key not in run.output and secret not in run.output
