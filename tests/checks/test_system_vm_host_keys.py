"""System VM host keys in a real cloud: link-local addresses repeat across hosts and pods, so the
suite pins each system VM's key by its CloudStack id on first use (reports/system-vm-host-keys.json).
The first run pins; a second run against the same pins accepts a recreated router (a new id) with a
note and reports a key that changed for the same id as broken, with both fingerprints."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from stackaudit.collect.hostkeys import FIRST_USE
from lab.scenario import load_scenario
from lab.topology import build_topology
from tests.checks.suite_run import run_suite
from tests.lab.conftest import SCENARIOS

REPO = Path(__file__).resolve().parent.parent.parent
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
def test_first_run_pins_second_run_accepts_a_recreated_router_and_refuses_a_changed_key(tmp_path, labs):
    lab, reports = tmp_path / "lab", tmp_path / "reports"
    selection = ("-k", "libssl_patched or no_stale_libssl")
    with labs.own(scenario_with(tmp_path, "pinned", pinned_vms()), lab):
        first = run_suite(lab / "inventory.yml", tmp_path / "run1", f"--reports-dir={reports}", *selection)
    targets = {"ssvm://zone1/s-1-VM", "cpvm://zone1/v-2-VM", "router://zone1/r-3-VM", "router://zone1/r-4-VM",
               "router://zone1/r-6-VM"}
    assert first.outcomes() == {(c, t): "passed" for c in SVM_CHECKS for t in targets}, first.output[-3000:]
    pins = json.loads((reports / "system-vm-host-keys.json").read_text())
    assert sorted(p["name"] for p in pins.values()) == sorted(targets)
    old_r3 = ssh_keygen_fingerprint(lab / "keys" / "hosts" / "r-3-VM.pub")
    first_notes = host_key_evidence(tmp_path / "run1" / "allure-results")
    assert first_notes[("SVM-LIBSSL-PATCHED", "router://zone1/r-3-VM")].startswith(f"{FIRST_USE}: {old_r3}")

    # Between the runs: r-4-VM was destroyed and CloudStack recreated it as r-5-VM (a new id and a
    # new key, at the same link-local address behind xs21); r-3-VM answers with another key.
    changed = scenario_with(tmp_path, "recreated", [vm if vm["name"] != "r-4-VM" else {**vm, "name": "r-5-VM"}
                                                    for vm in pinned_vms()])
    for suffix in ("", ".pub"):
        (lab / "keys" / "hosts" / f"r-3-VM{suffix}").unlink()
    with labs.own(changed, lab):
        second = run_suite(lab / "inventory.yml", tmp_path / "run2", f"--reports-dir={reports}", *selection)
    new_r3 = ssh_keygen_fingerprint(lab / "keys" / "hosts" / "r-3-VM.pub")
    assert new_r3 != old_r3
    assert second.not_passed() == {(c, "router://zone1/r-3-VM"): "broken" for c in SVM_CHECKS}, second.output[-3000:]
    message = next(r.message for r in second.results if r.target == "router://zone1/r-3-VM")
    assert f"pinned {old_r3}" in message and f"now {new_r3}" in message
    assert "deleting the entry" in message and str(reports / "system-vm-host-keys.json") in message
    notes = host_key_evidence(tmp_path / "run2" / "allure-results")
    new_r5 = ssh_keygen_fingerprint(lab / "keys" / "hosts" / "r-5-VM.pub")
    assert notes[("SVM-LIBSSL-PATCHED", "router://zone1/r-5-VM")].startswith(f"{FIRST_USE}: {new_r5}")
    assert notes[("SVM-LIBSSL-PATCHED", "ssvm://zone1/s-1-VM")].startswith("host key SHA256:")
    assert "matches" in notes[("SVM-LIBSSL-PATCHED", "ssvm://zone1/s-1-VM")]
    shutil.rmtree(lab / "keys", ignore_errors=True)


def stackaudit_run(inventory: Path, reports: Path, *args: str) -> tuple[subprocess.CompletedProcess, Path]:
    """`stackaudit run` as an operator runs it; the run and its run directory."""
    done = subprocess.run([sys.executable, "-m", "stackaudit", "run", f"--inventory={inventory}", f"--reports-dir={reports}",
                           "--workers=2", "-p", "no:randomly", *args], cwd=REPO, capture_output=True, text=True,
                          timeout=600)
    (run_dir,) = (reports / "runs").iterdir()
    return done, run_dir


def results_of(run_dir: Path) -> dict[tuple[str, str], dict]:
    return {(r["check_id"], r["target"]): r for r in json.loads((run_dir / "summary.json").read_text())["results"]}


@pytest.mark.lab
@pytest.mark.slow
def test_a_first_use_is_marked_and_listed_and_a_fingerprints_file_verifies_without_one(tmp_path, labs):
    """Issue 18, item 7: the first night's evidence says TRUST ON FIRST USE and summary.json lists every
    key it pinned; with the templates' fingerprints in the inventory, a listed key is verified with no
    pin at all, and a key the file does not list is broken, never trusted."""
    lab = tmp_path / "lab"
    selection = ("-k", "libssl_patched or no_stale_libssl")
    with labs.own(scenario_with(tmp_path, "first-use", pinned_vms()), lab):
        first, first_dir = stackaudit_run(lab / "inventory.yml", tmp_path / "reports-1", *selection)
        printed = {name: ssh_keygen_fingerprint(lab / "keys" / "hosts" / f"{name}.pub") for name in PINNED}
        listed = tmp_path / "template-fingerprints"
        listed.write_text("# the system VM templates' keys, read out of band\n" + "".join(
            subprocess.run(["ssh-keygen", "-lf", str(lab / "keys" / "hosts" / f"{name}.pub")], check=True,
                           capture_output=True, text=True).stdout for name in PINNED if name != "r-6-VM"))
        inventory = yaml.safe_load((lab / "inventory.yml").read_text())
        inventory.setdefault("system_vms", {})["host_key_fingerprints"] = str(listed)
        (lab / "inventory-fingerprints.yml").write_text(yaml.safe_dump(inventory))
        second, second_dir = stackaudit_run(lab / "inventory-fingerprints.yml", tmp_path / "reports-2", *selection)
    targets = {f"{kind}://zone1/{name}": name for kind, name in (("ssvm", "s-1-VM"), ("cpvm", "v-2-VM"),
                                                               ("router", "r-3-VM"), ("router", "r-4-VM"),
                                                               ("router", "r-6-VM"))}

    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-2000:]
    assert {key: r["status"] for key, r in results_of(first_dir).items()} == {
        (c, t): "passed" for c in SVM_CHECKS for t in targets}
    evidence = host_key_evidence(first_dir / "allure-results")
    for (check, target), note in evidence.items():
        assert note.startswith(f"TRUST ON FIRST USE: pinned in this run: {printed[targets[target]]} "), note
        assert "NOT VERIFIED" in note
    assert len(evidence) == len(SVM_CHECKS) * len(targets)
    pins = json.loads((tmp_path / "reports-1" / "system-vm-host-keys.json").read_text())
    summary = json.loads((first_dir / "summary.json").read_text())
    assert summary["first_use_pins"] == sorted(
        ({"target": pin["name"], "vm_id": vm_id, "fingerprint": pin["fingerprint"]} for vm_id, pin in pins.items()),
        key=lambda p: p["target"])
    assert {p["target"]: p["fingerprint"] for p in summary["first_use_pins"]} == {
        t: printed[name] for t, name in targets.items()}
    assert f"TRUSTED ON FIRST USE (pinned in this run, not verified): {len(targets)} system VM host key(s)" \
        in first.stdout

    unlisted = "router://zone1/r-6-VM"
    assert {key: r["status"] for key, r in results_of(second_dir).items()} == {
        (c, t): "broken" if t == unlisted else "passed" for c in SVM_CHECKS for t in targets}, second.stdout[-3000:]
    message = results_of(second_dir)[(SVM_CHECKS[0], unlisted)]["message"]
    assert message.startswith(f"{unlisted}: host key {printed['r-6-VM']} (ssh-ed25519) of CloudStack id ")
    assert f"is not in the fingerprints file {listed}" in message and "\n" not in message
    for (check, target), note in host_key_evidence(second_dir / "allure-results").items():
        assert f"verified against the fingerprints file {listed}" in note and printed[targets[target]] in note
    assert json.loads((second_dir / "summary.json").read_text())["first_use_pins"] == []
    assert not (tmp_path / "reports-2" / "system-vm-host-keys.json").exists()
    assert "TRUST" not in second.stdout
    shutil.rmtree(lab / "keys", ignore_errors=True)
