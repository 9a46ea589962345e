"""`stackaudit known-hosts` and system VMs: read through their host as the run reaches them (one
login per host, only to a host whose key known_hosts already holds), and shown in the form the
inventory's system_vms.host_keys wants: for information (pinned on first use), a fingerprints-file
line, or a known_hosts line `[169.254.x.y]:3922 ...`."""
from __future__ import annotations

import json

import pytest
import yaml

from stackaudit.cli import main
from stackaudit.collect.hostkeys import fingerprint
from stackaudit.collect.known_hosts_lines import fingerprint_line, known_hosts_line
from stackaudit.config.host_key_fingerprints import parse_fingerprints
from stackaudit.targets import Snapshot, Target
from tests.unit.config_site import ENV, write_site
from tests.unit.known_hosts_cloud import NEW_KEY, OTHER_KEY, VM_KEY, FakeCloud, site_key

TEMPLATE = "systemvm-kvm-4.19.1"


def snapshot() -> Snapshot:
    """kvm01's key is new; kvm05's is known (config_site's 198.18.0.21): its two VMs can be read."""
    def vm(kind, name, address, vm_id, host, host_address):
        return Target(kind, name, "zone1", address, attrs={"id": vm_id, "host": host, "host_address": host_address,
                                                           "hypervisor": "KVM"})
    return Snapshot("test", [
        Target("kvm-host", "kvm01", "zone1", "198.18.1.11", attrs={"id": "h1"}),
        Target("kvm-host", "kvm05", "zone1", "198.18.0.21", attrs={"id": "h5"}),
        vm("router", "r-3-VM", "169.254.1.1", "vm-r3", "kvm01", "198.18.1.11"),
        vm("ssvm", "s-1-VM", "169.254.2.2", "vm-s1", "kvm05", "198.18.0.21"),
        vm("cpvm", "v-2-VM", "169.254.2.3", "vm-v2", "kvm05", "198.18.0.21"),
    ], api={"listSystemVms": [{"id": "vm-s1", "templatename": TEMPLATE}, {"id": "vm-v2"}]})


@pytest.fixture
def site(tmp_path, monkeypatch):
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    return write_site(tmp_path / "site")


def with_system_vms(site, **section) -> None:
    document = yaml.safe_load(site.read_text())
    document["system_vms"] = section
    site.write_text(yaml.safe_dump(document))


def known_hosts_run(site, capsys) -> tuple[int, list[str], list[str]]:
    code = main(["known-hosts", f"--inventory={site}", f"--reports-dir={site.parent / 'reports'}"])
    out, err = capsys.readouterr()
    return code, out.splitlines(), err.splitlines()


def test_pinned_vms_are_shown_for_information_read_over_one_login_to_their_known_host(site, monkeypatch, capsys):
    cloud = FakeCloud(monkeypatch, snapshot(), {"198.18.1.11": NEW_KEY, "198.18.0.21": site_key(),
                                                "169.254.2.2": VM_KEY})
    code, out, err = known_hosts_run(site, capsys)
    assert cloud.logins == ["198.18.0.21"]
    assert cloud.channels == [("198.18.0.21", ("169.254.2.2", 3922)), ("198.18.0.21", ("169.254.2.3", 3922))]
    vm_lines = out[out.index("# System VMs, reached through their host (system_vms.host_keys: pinned)") + 1:-1]
    assert vm_lines == [
        "# router://zone1/r-3-VM via host kvm01: not read: the key of host kvm01 (198.18.1.11) is not in known_hosts yet; "
        "once it is, run known-hosts again",
        f"# ssvm://zone1/s-1-VM via host kvm05: {fingerprint_line('[169.254.2.2]:3922', VM_KEY)}: for information; "
        "not pinned yet: the next run pins it by CloudStack id vm-s1 on first use, in "
        f"{site.parent / 'reports' / 'system-vm-host-keys.json'} (not known_hosts)"]
    assert err == ["stackaudit: cpvm://zone1/v-2-VM via host kvm05: cannot connect: No route to host"]
    assert code == 6
    assert out[-1].startswith("# 1 new, 1 already known, 0 changed, 1 not read, 1 system VMs waiting for their "
                              "host's key. Nothing was written.")


def test_a_host_whose_login_is_refused_leaves_its_vms_unread(site, monkeypatch, capsys):
    FakeCloud(monkeypatch, snapshot(), {"198.18.1.11": NEW_KEY, "198.18.0.21": site_key()},
              refused_logins={"198.18.0.21"})
    code, _, err = known_hosts_run(site, capsys)
    assert code == 6
    assert err == ["stackaudit: cpvm://zone1/v-2-VM: host kvm05: SSH login as root refused",
                   "stackaudit: ssvm://zone1/s-1-VM: host kvm05: SSH login as root refused"]


def test_with_host_keys_known_hosts_a_vm_gets_a_line_to_append_by_its_address_and_port(site, monkeypatch, capsys):
    with_system_vms(site, host_keys="known_hosts")
    FakeCloud(monkeypatch, snapshot(), {"198.18.1.11": NEW_KEY, "198.18.0.21": site_key(),
                                        "169.254.2.2": VM_KEY, "169.254.2.3": OTHER_KEY})
    known_hosts = site.parent / "known_hosts"
    known_hosts.write_text(known_hosts.read_text() + known_hosts_line("[169.254.2.3]:3922", NEW_KEY) + "\n")
    code, out, err = known_hosts_run(site, capsys)
    assert known_hosts_line("[169.254.2.2]:3922", VM_KEY) in out
    assert f"# ssvm://zone1/s-1-VM via host kvm05: {fingerprint_line('[169.254.2.2]:3922', VM_KEY)}" in out
    assert not any(line.startswith("[169.254.2.3]") for line in out)
    assert len(err) == 1 and err[0].startswith("stackaudit: KEY CHANGED: cpvm://zone1/v-2-VM offers "
                                               f"{fingerprint_line('[169.254.2.3]:3922', OTHER_KEY)}")
    assert code == 6


def test_with_host_keys_known_hosts_an_address_behind_two_hosts_with_two_keys_gets_no_line(site, monkeypatch, capsys):
    """Link-local addresses repeat behind each host: known_hosts, one key per name, cannot hold both."""
    with_system_vms(site, host_keys="known_hosts")
    cloud = snapshot()
    cloud.targets += [Target("kvm-host", "kvm06", "zone1", "198.18.0.11", attrs={"id": "h6"}),
                      Target("router", "r-7-VM", "zone1", "169.254.2.2", attrs={
                          "id": "vm-r7", "host": "kvm06", "host_address": "198.18.0.11", "hypervisor": "KVM"})]
    FakeCloud(monkeypatch, cloud, {"198.18.1.11": NEW_KEY, "198.18.0.21": site_key(), "198.18.0.11": site_key(),
                                   "198.18.0.21>169.254.2.2": VM_KEY, "198.18.0.11>169.254.2.2": OTHER_KEY,
                                   "169.254.2.3": NEW_KEY})
    code, out, err = known_hosts_run(site, capsys)
    assert (code, err) == (0, [])
    assert not any(line.startswith("[169.254.2.2]") for line in out)
    assert known_hosts_line("[169.254.2.3]:3922", NEW_KEY) in out
    for vm, key in (("router://zone1/r-7-VM via host kvm06", OTHER_KEY), ("ssvm://zone1/s-1-VM via host kvm05", VM_KEY)):
        assert (f"# {vm}: {fingerprint_line('[169.254.2.2]:3922', key)}: not printed to append: [169.254.2.2]:3922 "
                "names 2 system VMs with different keys here (link-local addresses repeat behind each host) and "
                "known_hosts holds one; system_vms.host_keys: pinned checks them by CloudStack id") in out


@pytest.mark.parametrize("listed", [True, False])
def test_with_a_fingerprints_file_a_vm_is_listed_or_given_the_line_to_add(site, monkeypatch, capsys, listed):
    fingerprints = site.parent / "fingerprints.txt"
    fingerprints.write_text(f"{fingerprint(VM_KEY if listed else OTHER_KEY)}\n")
    with_system_vms(site, host_key_fingerprints="fingerprints.txt")
    FakeCloud(monkeypatch, snapshot(), {"198.18.1.11": NEW_KEY, "198.18.0.21": site_key(),
                                        "169.254.2.2": VM_KEY, "169.254.2.3": VM_KEY})
    code, out, _ = known_hosts_run(site, capsys)
    assert code == 0
    line = f"{VM_KEY.get_bits()} {fingerprint(VM_KEY)} {TEMPLATE} (ECDSA)"
    shown = [o for o in out if o.startswith("# ssvm://zone1/s-1-VM")]
    if listed:
        assert shown == [f"# ssvm://zone1/s-1-VM via host kvm05: {line}: listed in the fingerprints file"]
    else:
        assert shown == ["# ssvm://zone1/s-1-VM via host kvm05: not in the fingerprints file (the run refuses it); "
                         f"once verified, add: {line}"]
        assert parse_fingerprints(line, "fingerprints.txt") == {fingerprint(VM_KEY)}
    # a VM without a template in the API is named by itself
    assert any(o.startswith("# cpvm://zone1/v-2-VM") and f"{fingerprint(VM_KEY)} v-2-VM (ECDSA)" in o for o in out)


def test_a_vms_host_that_is_no_target_of_its_own_is_read_too(site, monkeypatch, capsys):
    """The run logs in to the host of every system VM it checks, even one whose hypervisor has no checks."""
    cloud = Snapshot("test", [Target("router", "r-9-VM", "zone1", "169.254.3.3", attrs={
        "id": "vm-r9", "host": "lxc01", "host_address": "198.18.0.11", "hypervisor": "LXC"})])
    fake = FakeCloud(monkeypatch, cloud, {"198.18.0.11": site_key(), "169.254.3.3": VM_KEY})
    code, out, err = known_hosts_run(site, capsys)
    assert (code, err) == (0, [])
    assert out[0] == f"# host lxc01: {fingerprint_line('198.18.0.11', site_key())}: already known"
    assert fake.logins == ["198.18.0.11"]
    assert any(line.startswith(f"# router://zone1/r-9-VM via host lxc01: {fingerprint_line('[169.254.3.3]:3922', VM_KEY)}: "
                               "for information; not pinned yet") for line in out), out


def write_pins(site, pins: dict) -> None:
    reports = site.parent / "reports"
    reports.mkdir()
    (reports / "system-vm-host-keys.json").write_text(json.dumps(pins))


def test_a_pinned_vm_is_compared_with_its_pin_and_the_pin_file_is_not_written(site, monkeypatch, capsys):
    write_pins(site, {"vm-s1": {"name": "ssvm://zone1/s-1-VM", "key_type": "ecdsa-sha2-nistp256",
                                "fingerprint": fingerprint(VM_KEY), "pinned": "2026-12-01T02:00:00Z"},
                      "vm-v2": {"name": "cpvm://zone1/v-2-VM", "key_type": "ecdsa-sha2-nistp256",
                                "fingerprint": fingerprint(OTHER_KEY), "pinned": "2026-12-02T02:00:00Z"}})
    pin_file = site.parent / "reports" / "system-vm-host-keys.json"
    written = pin_file.read_bytes()
    FakeCloud(monkeypatch, snapshot(), {"198.18.1.11": NEW_KEY, "198.18.0.21": site_key(),
                                        "169.254.2.2": VM_KEY, "169.254.2.3": VM_KEY})
    code, out, err = known_hosts_run(site, capsys)
    assert f"# ssvm://zone1/s-1-VM via host kvm05: {fingerprint_line('[169.254.2.2]:3922', VM_KEY)}: matches the key " \
           "pinned for CloudStack id vm-s1 on 2026-12-01T02:00:00Z" in out
    changed = (f"PINNED KEY CHANGED: cpvm://zone1/v-2-VM offers {fingerprint_line('[169.254.2.3]:3922', VM_KEY)}, but "
               f"{pin_file} pins {fingerprint(OTHER_KEY)} (ecdsa-sha2-nistp256, 2026-12-02T02:00:00Z) for CloudStack id "
               f"vm-v2: the run refuses it; if the VM was rebuilt on purpose, delete the entry \"vm-v2\" from {pin_file}")
    assert err == [f"stackaudit: {changed}"]
    assert f"# {changed}" in out
    assert code == 6
    assert pin_file.read_bytes() == written
    assert sorted(p.name for p in pin_file.parent.iterdir()) == ["system-vm-host-keys.json"]    # no lock file


def test_a_pin_file_that_cannot_be_read_is_one_line_and_exit_4(site, monkeypatch, capsys):
    reports = site.parent / "reports"
    reports.mkdir()
    (reports / "system-vm-host-keys.json").write_text("[not a mapping]")
    FakeCloud(monkeypatch, snapshot(), {})
    code, out, err = known_hosts_run(site, capsys)
    assert (code, out) == (4, [])
    assert err == [f"stackaudit: {reports / 'system-vm-host-keys.json'}: cannot read the pinned system VM host keys "
                   "(Expecting value: line 1 column 2 (char 1)); fix or delete the file"]
