"""System VM host keys pinned by CloudStack id on first use (stackaudit.collect.hostkeys)."""
from __future__ import annotations

import base64
import hashlib
import json
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import paramiko
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

from stackaudit.errors import AuthenticationFailed, CollectionFailed, HostKeyRejected
from stackaudit.collect.hostkeys import FIRST_USE, ListedHostKeys, PinnedHostKeys, PinningPolicy, fingerprint

TEMPLATE = "systemvm-kvm-4.19.1"   # CloudStack's registered template name for 4.19 KVM system VMs


def ed25519_key(directory: Path) -> paramiko.Ed25519Key:
    path = directory / "ssh_host_ed25519_key"
    path.write_bytes(Ed25519PrivateKey.generate().private_bytes(Encoding.PEM, PrivateFormat.OpenSSH, NoEncryption()))
    return paramiko.Ed25519Key.from_private_key_file(str(path))


def sha256_fingerprint(key: paramiko.PKey) -> str:
    """What `ssh-keygen -lf` prints (test_fingerprint_is_the_one_ssh_keygen_prints runs it)."""
    return "SHA256:" + base64.b64encode(hashlib.sha256(key.asbytes()).digest()).decode().rstrip("=")


@pytest.fixture(scope="module")
def keys(tmp_path_factory):
    """Two real Ed25519 host keys, and their fingerprints as ssh-keygen prints them."""
    made = [ed25519_key(tmp_path_factory.mktemp("keys")) for _ in range(2)]
    return [(key, sha256_fingerprint(key)) for key in made]


@pytest.mark.integration
def test_fingerprint_is_the_one_ssh_keygen_prints(keys, tmp_path):
    for number, (key, _) in enumerate(keys):
        public = tmp_path / f"key{number}.pub"
        public.write_text(f"{key.get_name()} {key.get_base64()}\n")
        listed = subprocess.run(["ssh-keygen", "-lf", str(public)], check=True, capture_output=True, text=True)
        assert fingerprint(key) == listed.stdout.split()[1]


def test_first_use_pins_then_the_same_key_matches(tmp_path, keys):
    (key, printed), _ = keys
    pins = PinnedHostKeys(tmp_path / "reports" / "system-vm-host-keys.json")
    note = pins.verify("f1e2-id", "router://zone1/r-4-VM", TEMPLATE, key)
    assert note.startswith(f"TRUST ON FIRST USE: pinned in this run: {printed} (ssh-ed25519) for CloudStack id "
                           "f1e2-id, never seen before, is NOT VERIFIED")
    stored = json.loads(pins.path.read_text())
    assert stored["f1e2-id"]["fingerprint"] == printed and stored["f1e2-id"]["name"] == "router://zone1/r-4-VM"
    assert pins.verify("f1e2-id", "router://zone1/r-4-VM", TEMPLATE, key).startswith(f"host key {printed} matches")


def test_a_changed_key_for_the_same_id_is_refused_with_both_fingerprints_and_the_fix(tmp_path, keys):
    (old, old_printed), (new, new_printed) = keys
    pins = PinnedHostKeys(tmp_path / "system-vm-host-keys.json")
    pins.verify("f1e2-id", "router://zone1/r-4-VM", TEMPLATE, old)
    with pytest.raises(AuthenticationFailed) as error:
        pins.verify("f1e2-id", "router://zone1/r-4-VM", TEMPLATE, new)
    message = str(error.value)
    assert f"pinned {old_printed}" in message and f"now {new_printed}" in message
    assert f'deleting the entry "f1e2-id" from {pins.path}' in message
    assert "its template is the same (systemvm-kvm-4.19.1)" in message and "not a reboot" in message
    assert json.loads(pins.path.read_text())["f1e2-id"]["fingerprint"] == old_printed   # the pin stays


def test_a_key_changed_with_the_template_says_so(tmp_path, keys):
    (old, _), (new, _) = keys
    pins = PinnedHostKeys(tmp_path / "system-vm-host-keys.json")
    pins.verify("f1e2-id", "router://zone1/r-4-VM", "systemvm-kvm-4.19.1", old)
    with pytest.raises(AuthenticationFailed, match=r"its template changed since the pin "
                                                   r"\(systemvm-kvm-4.19.1 -> systemvm-kvm-4.20.0\)"):
        pins.verify("f1e2-id", "router://zone1/r-4-VM", "systemvm-kvm-4.20.0", new)


def test_a_recreated_router_is_a_new_id_and_its_new_key_is_pinned_with_a_note(tmp_path, keys):
    (old, _), (new, new_printed) = keys
    pins = PinnedHostKeys(tmp_path / "system-vm-host-keys.json")
    pins.verify("old-id", "router://zone1/r-4-VM", TEMPLATE, old)
    assert pins.verify("new-id", "router://zone1/r-5-VM", TEMPLATE, new).startswith(f"{FIRST_USE}: {new_printed}")
    assert set(json.loads(pins.path.read_text())) == {"old-id", "new-id"}


def test_workers_pinning_at_once_lose_no_entry(tmp_path, keys):
    (key, _), _ = keys
    pins = PinnedHostKeys(tmp_path / "system-vm-host-keys.json")
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda i: PinnedHostKeys(pins.path).verify(f"id-{i}", f"router://z/r-{i}-VM", None, key), range(40)))
    assert len(json.loads(pins.path.read_text())) == 40


@pytest.mark.parametrize("content", ["{not json", "[1, 2]"])
def test_an_unreadable_pin_file_is_broken_not_overwritten(tmp_path, keys, content):
    (key, _), _ = keys
    path = tmp_path / "system-vm-host-keys.json"
    path.write_text(content)
    with pytest.raises(CollectionFailed, match="fix or delete the file"):
        PinnedHostKeys(path).verify("id", "router://z/r-1-VM", None, key)
    assert path.read_text() == content


def test_paramiko_policy_keeps_the_note_for_the_evidence(tmp_path, keys):
    (key, printed), _ = keys
    policy = PinningPolicy(lambda k: PinnedHostKeys(tmp_path / "p.json").verify("id", "ssvm://z/s-1-VM", None, k))
    policy.missing_host_key(None, "[169.254.1.1]:3922", key)
    assert policy.note.startswith(f"{FIRST_USE}: {printed}")


def test_the_collector_pins_by_id_with_the_apis_template_unless_the_site_keeps_known_hosts(tmp_path, keys):
    from types import SimpleNamespace

    from stackaudit.collect.collectors import Collector
    from stackaudit.targets import Target

    (key, printed), _ = keys
    snapshot = SimpleNamespace(api={"listRouters": [{"id": "r4-id", "templatename": "systemvm-kvm-4.19.1"}]})
    target = Target("router", "r-4-VM", "zone1", "169.254.1.1", attrs={"id": "r4-id"})

    def inventory(mode):
        return SimpleNamespace(system_vms=SimpleNamespace(host_keys=mode, host_key_fingerprints=None,
                                                          fingerprints=frozenset()))

    assert Collector(inventory("known_hosts"), None, snapshot, tmp_path).system_vm_key_policy(target) is None
    policy = Collector(inventory("pinned"), None, snapshot, tmp_path).system_vm_key_policy(target)
    policy.missing_host_key(None, "[169.254.1.1]:3922", key)
    assert policy.note.startswith(f"{FIRST_USE}: {printed} (ssh-ed25519) for CloudStack id r4-id")
    pin = json.loads((tmp_path / "system-vm-host-keys.json").read_text())["r4-id"]
    assert (pin["name"], pin["template"]) == (target.id, "systemvm-kvm-4.19.1")


def test_the_pins_a_run_made_are_listed_for_its_summary_and_no_other_run_s(tmp_path, keys):
    (key, printed), (other, other_printed) = keys
    path = tmp_path / "system-vm-host-keys.json"
    PinnedHostKeys(path, "night-1.aaaa").verify("old-id", "router://zone1/r-4-VM", TEMPLATE, other)
    tonight = PinnedHostKeys(path, "night-2.bbbb")
    tonight.verify("old-id", "router://zone1/r-4-VM", TEMPLATE, other)        # matches last night's pin
    tonight.verify("new-id", "router://zone1/r-5-VM", TEMPLATE, key)
    tonight.verify("ssvm-id", "ssvm://zone1/s-1-VM", TEMPLATE, other)
    assert tonight.pinned_in_run() == [
        {"target": "router://zone1/r-5-VM", "vm_id": "new-id", "fingerprint": printed},
        {"target": "ssvm://zone1/s-1-VM", "vm_id": "ssvm-id", "fingerprint": other_printed}]
    assert PinnedHostKeys(path, "night-3.cccc").pinned_in_run() == []
    assert PinnedHostKeys(path).pinned_in_run() == []      # outside a run: nothing to list


def test_a_listed_fingerprint_verifies_without_a_first_use_and_an_unlisted_key_is_refused(tmp_path, keys):
    (key, printed), (other, other_printed) = keys
    listed = ListedHostKeys(tmp_path / "fingerprints", frozenset({printed}))
    note = listed.verify("r5-id", "router://zone1/r-5-VM", TEMPLATE, key)
    assert note == (f"host key {printed} (ssh-ed25519) of CloudStack id r5-id verified against the fingerprints file "
                    f"{tmp_path / 'fingerprints'}")
    with pytest.raises(HostKeyRejected) as refused:
        listed.verify("r6-id", "router://zone1/r-6-VM", TEMPLATE, other)
    assert str(refused.value).startswith(f"router://zone1/r-6-VM: host key {other_printed} (ssh-ed25519) of "
                                         f"CloudStack id r6-id is not in the fingerprints file {tmp_path / 'fingerprints'}")
    assert "\n" not in str(refused.value) and listed.pinned_in_run() == []
    assert list(tmp_path.iterdir()) == []       # no pin file, no lock


def test_the_collector_checks_against_the_inventory_s_fingerprints_file_when_it_gives_one(tmp_path, keys):
    from types import SimpleNamespace

    from stackaudit.collect.collectors import Collector
    from stackaudit.targets import Target

    (key, printed), (other, _) = keys
    snapshot = SimpleNamespace(api={"listRouters": [{"id": "r4-id", "templatename": TEMPLATE}]})
    target = Target("router", "r-4-VM", "zone1", "169.254.1.1", attrs={"id": "r4-id"})
    vms = SimpleNamespace(host_keys="pinned", host_key_fingerprints=tmp_path / "fp", fingerprints=frozenset({printed}))
    collector = Collector(SimpleNamespace(system_vms=vms), None, snapshot, tmp_path / "reports")
    policy = collector.system_vm_key_policy(target)
    policy.missing_host_key(None, "[169.254.1.1]:3922", key)
    assert "verified against the fingerprints file" in policy.note
    with pytest.raises(HostKeyRejected, match="is not in the fingerprints file"):
        collector.system_vm_key_policy(target).missing_host_key(None, "[169.254.1.1]:3922", other)
    assert not (tmp_path / "reports").exists()


@pytest.mark.parametrize("planted", ["system-vm-host-keys.json", "system-vm-host-keys.json.lock"])
def test_a_symlink_planted_at_the_pin_file_or_its_lock_is_refused_and_its_target_untouched(tmp_path, keys, planted):
    (key, _), _ = keys
    victim = tmp_path / "elsewhere" / "shadow"
    victim.parent.mkdir()
    victim.write_text("root:secret\n")
    reports = tmp_path / "reports"
    reports.mkdir(mode=0o700)
    (reports / planted).symlink_to(victim)
    with pytest.raises(CollectionFailed, match="fix or delete the file"):
        PinnedHostKeys(reports / "system-vm-host-keys.json", "run").verify("id", "router://z/r-1-VM", None, key)
    assert victim.read_text() == "root:secret\n"
    assert (reports / planted).is_symlink()


def test_the_pin_file_and_its_lock_are_private(tmp_path, keys):
    (key, _), _ = keys
    path = tmp_path / "reports" / "system-vm-host-keys.json"
    PinnedHostKeys(path, "run").verify("id", "router://z/r-1-VM", None, key)
    modes = {p.name: p.stat().st_mode & 0o777 for p in path.parent.iterdir()}
    assert modes == {"system-vm-host-keys.json": 0o600, "system-vm-host-keys.json.lock": 0o600}
    assert path.parent.stat().st_mode & 0o077 == 0
