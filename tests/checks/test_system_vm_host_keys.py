"""System VM host keys in a real cloud: link-local addresses repeat across hosts and pods, so the
suite pins each system VM's key by its CloudStack id on first use (reports/system-vm-host-keys.json).
The first run pins; a second run against the same pins accepts a recreated router (a new id) with a
note and reports a key that changed for the same id as broken, with both fingerprints."""
from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from lab.lifecycle import down, up
from lab.scenario import load_scenario
from lab.topology import build_topology
from tests.checks.suite_run import run_suite
from tests.lab.conftest import SCENARIOS, require_root

MATRIX_SCENARIO = SCENARIOS / "matrix" / "system_vm_keys.yml"
PINNED = ("s-1-VM", "r-3-VM", "v-2-VM", "r-4-VM", "r-6-VM")    # the matrix scenario's compliant five
SVM_CHECKS = ("SVM-LIBSSL-PATCHED", "SVM-LIBSSL-NO-STALE")


def scenario_with(tmp_path: Path, name: str, vms: list[dict]) -> Path:
    scenario = yaml.safe_load(MATRIX_SCENARIO.read_text())
    scenario.update(name=name, seeded=[])
    scenario["zones"][0]["system_vms"] = vms
    path = tmp_path / f"{name}.yml"
    path.write_text(yaml.safe_dump(scenario))
    return path


def pinned_vms() -> list[dict]:
    vms = yaml.safe_load(MATRIX_SCENARIO.read_text())["zones"][0]["system_vms"]
    return [vm for vm in vms if vm["name"] in PINNED]


def test_link_local_addresses_repeat_across_hosts_and_not_behind_one_host():
    topo = build_topology(load_scenario(MATRIX_SCENARIO))
    by_host = {}
    for vm in topo.system_vms:
        by_host.setdefault(vm.host.name, []).append(vm.address)
    assert all(len(set(addresses)) == len(addresses) for addresses in by_host.values())
    assert {host: addresses[0] for host, addresses in by_host.items()} == {
        host: "169.254.1.1" for host in ("kvm01", "kvm02", "xs21", "xs22", "xs23")}


def ssh_keygen_fingerprint(public_key: Path) -> str:
    return subprocess.run(["ssh-keygen", "-lf", str(public_key)], check=True, capture_output=True,
                          text=True).stdout.split()[1]


def host_key_evidence(allure_dir: Path) -> dict[tuple[str, str], str]:
    """(check, target) -> the "host key" attachment of that result."""
    evidence = {}
    for path in allure_dir.glob("*-result.json"):
        data = json.loads(path.read_text())
        labels = {label["name"]: label["value"] for label in data.get("labels", [])}
        for attachment in data.get("attachments", []):
            if attachment["name"] == "host key":
                evidence[(labels.get("check_id"), labels.get("target"))] = \
                    (allure_dir / attachment["source"]).read_text()
    return evidence


@pytest.mark.lab
@pytest.mark.slow
def test_first_run_pins_second_run_accepts_a_recreated_router_and_refuses_a_changed_key(tmp_path):
    require_root()
    lab, reports = tmp_path / "lab", tmp_path / "reports"
    selection = ("-k", "libssl_patched or no_stale_libssl")
    up(scenario_with(tmp_path, "pinned", pinned_vms()), lab, out=lambda *_: None)
    try:
        first = run_suite(lab / "inventory.yml", tmp_path / "run1", f"--reports-dir={reports}", *selection)
    finally:
        down(lab, out=lambda *_: None)
    targets = {"ssvm://zone1/s-1-VM", "cpvm://zone1/v-2-VM", "router://zone1/r-3-VM", "router://zone1/r-4-VM",
               "router://zone1/r-6-VM"}
    assert first.outcomes() == {(c, t): "passed" for c in SVM_CHECKS for t in targets}, first.output[-3000:]
    pins = json.loads((reports / "system-vm-host-keys.json").read_text())
    assert sorted(p["name"] for p in pins.values()) == sorted(targets)
    old_r3 = ssh_keygen_fingerprint(lab / "keys" / "hosts" / "r-3-VM.pub")
    first_notes = host_key_evidence(tmp_path / "run1" / "allure-results")
    assert first_notes[("SVM-LIBSSL-PATCHED", "router://zone1/r-3-VM")].startswith(f"first use: pinned {old_r3}")

    # Between the runs: r-4-VM was destroyed and CloudStack recreated it as r-5-VM (a new id and a
    # new key, at the same link-local address behind xs21); r-3-VM answers with another key.
    changed = scenario_with(tmp_path, "recreated", [vm if vm["name"] != "r-4-VM" else {**vm, "name": "r-5-VM"}
                                                    for vm in pinned_vms()])
    for suffix in ("", ".pub"):
        (lab / "keys" / "hosts" / f"r-3-VM{suffix}").unlink()
    up(changed, lab, out=lambda *_: None)
    try:
        second = run_suite(lab / "inventory.yml", tmp_path / "run2", f"--reports-dir={reports}", *selection)
    finally:
        down(lab, out=lambda *_: None)
    new_r3 = ssh_keygen_fingerprint(lab / "keys" / "hosts" / "r-3-VM.pub")
    assert new_r3 != old_r3
    assert second.not_passed() == {(c, "router://zone1/r-3-VM"): "broken" for c in SVM_CHECKS}, second.output[-3000:]
    message = next(r.message for r in second.results if r.target == "router://zone1/r-3-VM")
    assert f"pinned {old_r3}" in message and f"now {new_r3}" in message
    assert "deleting the entry" in message and str(reports / "system-vm-host-keys.json") in message
    notes = host_key_evidence(tmp_path / "run2" / "allure-results")
    new_r5 = ssh_keygen_fingerprint(lab / "keys" / "hosts" / "r-5-VM.pub")
    assert notes[("SVM-LIBSSL-PATCHED", "router://zone1/r-5-VM")].startswith(f"first use: pinned {new_r5}")
    assert notes[("SVM-LIBSSL-PATCHED", "ssvm://zone1/s-1-VM")].startswith("host key SHA256:")
    assert "matches" in notes[("SVM-LIBSSL-PATCHED", "ssvm://zone1/s-1-VM")]
    shutil.rmtree(lab / "keys", ignore_errors=True)
