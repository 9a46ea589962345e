"""`stackaudit known-hosts` against the compliant lab: it prints the lab's real host keys (each
machine's key as the lab made it, keys/hosts/<name>.pub, and its fingerprint as ssh-keygen prints
it), says which are already known, refuses a changed one loudly, and writes nothing."""
from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import paramiko
import pytest
import yaml

pytestmark = [pytest.mark.lab, pytest.mark.slow, pytest.mark.lab_scenario("compliant.yml")]
# the machines the run reaches over SSH by their own address (system VMs go through their host)
OWN_SSH = ("kvm-host", "xs-host", "mgmt", "db", "tls-frontend")


def lab_keys(lab) -> dict[str, tuple[str, str]]:
    """address -> (key type, base64) of every machine the run reaches by its own address."""
    keys = {}
    for node in lab.topology.machines:
        if node.kind in OWN_SSH:
            key_type, body = lab.path(f"keys/hosts/{node.name}.pub").read_text().split()[:2]
            keys[node.address] = (key_type, body)
    return keys


def ssh_keygen_fingerprints(lab) -> dict[str, str]:
    """address -> `ssh-keygen -lf` of the machine's public key file: `256 SHA256:... (ED25519)`."""
    prints = {}
    for node in lab.topology.machines:
        if node.kind in OWN_SSH:
            words = ssh_keygen_words(lab, node.name)
            prints[node.address] = f"{words[0]} {words[1]} {node.address} {words[-1]}"
    return prints


def ssh_keygen_words(lab, machine: str) -> list[str]:
    """`ssh-keygen -lf` of the key the lab made for `machine`: [bits, SHA256:..., comment, (TYPE)]."""
    return subprocess.run(["ssh-keygen", "-lf", str(lab.path(f"keys/hosts/{machine}.pub"))], check=True,
                          capture_output=True, text=True).stdout.split()


def inventory_with_known_hosts(lab, tmp_path: Path, known_hosts: Path) -> Path:
    """The lab's inventory, every path made absolute, with ssh.known_hosts at `known_hosts`."""
    def absolute(value):
        if isinstance(value, dict):
            return {k: absolute(v) for k, v in value.items()}
        if isinstance(value, list):
            return [absolute(v) for v in value]
        if isinstance(value, str) and not value.startswith("/") and lab.path(value).exists():
            return str(lab.path(value))
        return value
    document = absolute(lab.inventory)
    document["ssh"]["known_hosts"] = str(known_hosts)
    path = tmp_path / "inventory.yml"
    path.write_text(yaml.safe_dump(document))
    return path


def known_hosts_run(inventory: Path, cwd: Path) -> subprocess.CompletedProcess:
    """The command, in `cwd` (where a reports directory or pin file would appear if it wrote one)."""
    return subprocess.run([sys.executable, "-m", "stackaudit", "known-hosts", f"--inventory={inventory}"],
                          capture_output=True, text=True, timeout=300, cwd=cwd)


def digests(directory: Path) -> dict[str, str]:
    """The lab's own files (inventory, known_hosts, keys, pins): not its machines' disks or simulators'
    logs, which their services write by themselves."""
    return {str(p.relative_to(directory)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(directory.rglob("*"))
            if p.is_file() and p.relative_to(directory).parts[0] not in ("machines", "sim")}


def appended(stdout: str) -> dict[str, tuple[str, str]]:
    lines = [line.split() for line in stdout.splitlines() if line and not line.startswith("#")]
    assert all(len(words) == 3 for words in lines), stdout
    return {words[0]: (words[1], words[2]) for words in lines}


def test_with_no_known_hosts_yet_it_prints_every_machines_real_key_and_writes_nothing(compliant_lab, tmp_path):
    known_hosts = tmp_path / "known_hosts"
    inventory = inventory_with_known_hosts(compliant_lab, tmp_path, known_hosts)
    before, files_before = digests(compliant_lab.state_dir), sorted(tmp_path.iterdir())
    result = known_hosts_run(inventory, tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    expected = lab_keys(compliant_lab)
    assert appended(result.stdout) == expected
    comments = result.stdout.splitlines()
    for address, fingerprint in ssh_keygen_fingerprints(compliant_lab).items():
        assert any(line.startswith("# ") and line.endswith(f": {fingerprint}") for line in comments), fingerprint
    vms = [n for n in compliant_lab.topology.machines if n.kind == "systemvm"]
    waiting = [line for line in comments if line.endswith("is not in known_hosts yet; once it is, run known-hosts again")]
    assert len(waiting) == len(vms) == 4
    assert comments[-1].startswith(f"# {len(expected)} new, 0 already known, 0 changed, 0 not read, 4 system VMs waiting "
                                   "for their host's key. Nothing was written.")
    assert not known_hosts.exists()
    assert sorted(tmp_path.iterdir()) == files_before
    assert digests(compliant_lab.state_dir) == before


def test_with_the_labs_known_hosts_every_machine_is_known_and_each_system_vms_real_key_shown(compliant_lab, tmp_path):
    """The lab pins system VM keys (system_vms.host_keys: pinned): they are read through their host, whose
    key the lab's known_hosts holds, and shown for information, never as a line to append."""
    before = digests(compliant_lab.state_dir)
    result = known_hosts_run(compliant_lab.path("inventory.yml"), tmp_path)
    assert result.returncode == 0, result.stderr
    assert appended(result.stdout) == {}
    lines = result.stdout.splitlines()
    known = [line for line in lines if line.endswith(": already known")]
    assert len(known) == len(lab_keys(compliant_lab))
    vms = [n for n in compliant_lab.topology.machines if n.kind == "systemvm"]
    for vm in vms:
        words = ssh_keygen_words(compliant_lab, vm.name)
        shown = [line for line in lines if f"/{vm.name} via host {vm.host.name}: " in line]
        assert len(shown) == 1, lines
        assert (f": {words[0]} {words[1]} [{vm.address}]:3922 {words[-1]}: for information; not pinned yet: the next "
                "run pins it by CloudStack id ") in shown[0], shown[0]
    assert digests(compliant_lab.state_dir) == before
    assert list(tmp_path.iterdir()) == []       # no reports directory, no pin file


def test_a_changed_key_is_loud_and_never_printed_to_append(compliant_lab, tmp_path):
    kvm01 = next(n for n in compliant_lab.topology.machines if n.name == "kvm01")
    impostor = paramiko.ECDSAKey.generate()
    lines = [line for line in compliant_lab.path("known_hosts").read_text().splitlines()
             if line.split()[0] != kvm01.address]
    known_hosts = tmp_path / "known_hosts"
    known_hosts.write_text("\n".join([*lines, f"{kvm01.address} {impostor.get_name()} {impostor.get_base64()}"]) + "\n")
    written = known_hosts.read_bytes()
    result = known_hosts_run(inventory_with_known_hosts(compliant_lab, tmp_path, known_hosts), tmp_path)
    assert result.returncode == 6
    assert kvm01.address not in appended(result.stdout)
    loud = [line for line in result.stderr.splitlines() if "KEY CHANGED" in line]
    assert len(loud) == 1 and "kvm-host://zone1/kvm01" in loud[0] and "(ECDSA)" in loud[0], result.stderr
    assert known_hosts.read_bytes() == written


def test_with_host_keys_known_hosts_the_repeated_link_local_address_gets_no_line(compliant_lab, tmp_path):
    """Every system VM of the lab answers at 169.254.1.1 behind its own host, each with its own key:
    known_hosts, one key per [169.254.1.1]:3922, cannot hold them, so none is offered to append."""
    inventory = inventory_with_known_hosts(compliant_lab, tmp_path, compliant_lab.path("known_hosts"))
    document = yaml.safe_load(inventory.read_text())
    document["system_vms"]["host_keys"] = "known_hosts"
    inventory.write_text(yaml.safe_dump(document))
    result = known_hosts_run(inventory, tmp_path)
    assert result.returncode == 0, result.stderr
    assert appended(result.stdout) == {}
    vms = [n for n in compliant_lab.topology.machines if n.kind == "systemvm"]
    assert {vm.address for vm in vms} == {"169.254.1.1"}
    for vm in vms:
        words = ssh_keygen_words(compliant_lab, vm.name)
        assert any(f"/{vm.name} via host {vm.host.name}: {words[0]} {words[1]} [169.254.1.1]:3922 {words[-1]}: not "
                   f"printed to append: [169.254.1.1]:3922 names {len(vms)} system VMs with different keys" in line
                   for line in result.stdout.splitlines()), result.stdout


def test_a_machine_that_does_not_answer_is_one_line_on_stderr_and_exit_6(compliant_lab, tmp_path):
    """A TLS front end the inventory names at a lab address nothing holds: the others are still read."""
    inventory = inventory_with_known_hosts(compliant_lab, tmp_path, compliant_lab.path("known_hosts"))
    document = yaml.safe_load(inventory.read_text())
    document["tls_frontends"].append({"name": "tls9", "ssh_address": "198.18.0.240"})
    document["ssh"]["connect_timeout"] = 3
    inventory.write_text(yaml.safe_dump(document))
    result = known_hosts_run(inventory, tmp_path)
    assert result.returncode == 6
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("stackaudit: tls-frontend://tls9: cannot connect: "), result.stderr
    assert result.stdout.splitlines()[-1].startswith(
        f"# 0 new, {len(lab_keys(compliant_lab))} already known, 0 changed, 1 not read.")


def test_system_vm_keys_pinned_by_an_earlier_run_are_compared_with_the_real_ones(compliant_lab, tmp_path):
    """A pin file holding each VM's real fingerprint (ssh-keygen of the key the lab made) matches; one
    holding another is refused loudly. The ids are CloudStack's, as the first output names them."""
    first = known_hosts_run(compliant_lab.path("inventory.yml"), tmp_path)
    vms = {n.name: n for n in compliant_lab.topology.machines if n.kind == "systemvm"}
    ids = {}
    for line in first.stdout.splitlines():
        for name in vms:
            if f"/{name} via host " in line:
                ids[name] = line.split("CloudStack id ")[1].split()[0]
    assert sorted(ids) == sorted(vms)
    reports = tmp_path / "reports"
    reports.mkdir()
    pins = {ids[name]: {"name": name, "key_type": "ssh-ed25519", "pinned": "2026-12-01T02:00:00Z",
                        "fingerprint": ssh_keygen_words(compliant_lab, name)[1]} for name in vms}
    impostor = sorted(vms)[0]
    pins[ids[impostor]]["fingerprint"] = ssh_keygen_words(compliant_lab, sorted(vms)[1])[1]
    (reports / "system-vm-host-keys.json").write_text(json.dumps(pins))
    result = subprocess.run([sys.executable, "-m", "stackaudit", "known-hosts",
                             f"--inventory={compliant_lab.path('inventory.yml')}", f"--reports-dir={reports}"],
                            capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert result.returncode == 6
    matching = [line for line in result.stdout.splitlines() if ": matches the key pinned for CloudStack id " in line]
    assert len(matching) == len(vms) - 1
    loud = result.stderr.splitlines()
    assert len(loud) == 1 and loud[0].startswith("stackaudit: PINNED KEY CHANGED: ") and f"/{impostor} " in loud[0]
