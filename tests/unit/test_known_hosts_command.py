"""`stackaudit known-hosts` from the inventory to its output: the run's own targets (discovery's
snapshot given here, the keys read by a stand-in for the key exchange), a line to append for each new
key only, nothing written anywhere, and the exit codes (0, 4 for configuration, 6 when a key could
not be read or changed). The key exchange itself: test_keyscan.py; the lab's real keys:
tests/lab/test_known_hosts_lab.py."""
from __future__ import annotations

import paramiko
import pytest

from stackaudit.cli import main
from stackaudit.cli import known_hosts_command
from stackaudit.collect.known_hosts_lines import fingerprint_line
from stackaudit.errors import TargetError
from stackaudit.targets import Snapshot, Target
from tests.unit.config_site import ENV, write_site
from tests.unit.known_hosts_cloud import NEW_KEY, OTHER_KEY, FakeCloud, site_key

def snapshot() -> Snapshot:
    return Snapshot("test", [
        Target("kvm-host", "kvm01", "zone1", "198.18.1.11", attrs={"id": "h1"}),
        Target("kvm-host", "kvm02", "zone1", "198.18.1.12", attrs={"id": "h2"}),
        Target("kvm-host", "kvm03", "zone1", "198.18.1.13", attrs={"id": "h3"}),
        Target("kvm-host", "kvm04", "zone1", None, attrs={"id": "h4"}),
        Target("mgmt", "ms1", None, "198.18.0.11", attrs={"id": "m1"}),
        Target("db", "db1", None, "198.18.0.21", attrs={"ssh_address": "198.18.0.11"}),
        Target("zone", "zone1", attrs={"id": "z1"}),
    ])


@pytest.fixture
def site(tmp_path, monkeypatch):
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(tmp_path)         # the default reports directory, whose pin file is read, is here
    return write_site(tmp_path / "site")


@pytest.fixture
def answering(monkeypatch):
    """Discovery gives `snapshot()`; each address offers the key the table names, or cannot be reached."""
    keys = {"198.18.1.11": NEW_KEY, "198.18.1.12": OTHER_KEY, "198.18.0.11": site_key()}
    cloud = FakeCloud(monkeypatch, snapshot(), keys)
    return keys, cloud.asked


def files_under(directory):
    return {p: p.read_bytes() for p in sorted(directory.rglob("*")) if p.is_file()}


def test_new_keys_are_printed_to_append_known_ones_said_and_nothing_is_written(site, answering, capsys, monkeypatch):
    (site.parent / "known_hosts").write_text(
        (site.parent / "known_hosts").read_text() + f"198.18.1.12 {NEW_KEY.get_name()} {NEW_KEY.get_base64()}\n")
    before = files_under(site.parent)
    monkeypatch.chdir(site.parent)
    code = main(["known-hosts", f"--inventory={site}"])
    out, err = capsys.readouterr()
    assert files_under(site.parent) == before
    assert code == 6
    lines = out.splitlines()
    assert lines[0] == f"# db://db1, mgmt://ms1: {fingerprint_line('198.18.0.11', site_key())}: already known"
    assert lines[1:3] == [f"# kvm-host://zone1/kvm01: {fingerprint_line('198.18.1.11', NEW_KEY)}",
                          f"198.18.1.11 {NEW_KEY.get_name()} {NEW_KEY.get_base64()}"]
    assert lines[3].startswith(f"# KEY CHANGED: kvm-host://zone1/kvm02 offers {fingerprint_line('198.18.1.12', OTHER_KEY)}, "
                               f"but known_hosts holds {fingerprint_line('198.18.1.12', NEW_KEY)}: verify")
    assert lines[4].startswith("# 1 new, 1 already known, 1 changed, 1 not read. Nothing was written.")
    assert lines[4].endswith(f"append its line to {site.parent / 'known_hosts'} (the inventory's ssh.known_hosts).")
    assert len(lines) == 5
    # every line of standard output is one paramiko reads as a known_hosts line or a comment
    assert all(line.startswith("#") or paramiko.hostkeys.HostKeyEntry.from_line(line) for line in lines)
    assert err.splitlines() == [
        "stackaudit: kvm-host://zone1/kvm04: no SSH address (not in the API, not in the inventory)",
        "stackaudit: " + lines[3][2:],
        "stackaudit: kvm-host://zone1/kvm03: cannot connect: No route to host"]


def test_each_machine_is_asked_once_for_the_type_known_hosts_holds(site, answering, capsys):
    main(["known-hosts", f"--inventory={site}"])
    asked = sorted(answering[1])
    assert asked == [("198.18.0.11", 22, ("ssh-ed25519",)), ("198.18.1.11", 22, ()), ("198.18.1.12", 22, ()),
                     ("198.18.1.13", 22, ())]


def test_a_missing_known_hosts_is_no_mistake_and_stays_missing(site, answering, capsys, monkeypatch):
    (site.parent / "known_hosts").unlink()
    answering[0]["198.18.1.13"] = OTHER_KEY
    snapshot_without_unaddressed = [t for t in snapshot().targets if t.name != "kvm04"]
    monkeypatch.setattr(known_hosts_command, "discover",
                        lambda inventory, limits: Snapshot("test", snapshot_without_unaddressed))
    code = main(["known-hosts", f"--inventory={site}"])
    out, err = capsys.readouterr()
    assert (code, err) == (0, "")
    assert not (site.parent / "known_hosts").exists()
    appended = [line for line in out.splitlines() if not line.startswith("#")]
    assert [line.split()[0] for line in appended] == ["198.18.0.11", "198.18.1.11", "198.18.1.12", "198.18.1.13"]
    assert "# 4 new, 0 already known, 0 changed, 0 not read." in out


def test_an_empty_known_hosts_is_no_mistake(site, answering, capsys):
    (site.parent / "known_hosts").write_text("# nothing yet\n")
    main(["known-hosts", f"--inventory={site}"])
    assert "# 3 new, 0 already known, 0 changed, 1 not read." in capsys.readouterr().out


def test_a_malformed_known_hosts_is_a_configuration_mistake(site, answering, capsys):
    (site.parent / "known_hosts").write_text("198.18.0.11 ssh-ed25519 not-base64!\n")
    assert main(["known-hosts", f"--inventory={site}"]) == 4
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith("stackaudit: ") and "known_hosts line 1: not a host key line paramiko reads" in err
    assert len(err.splitlines()) == 1


def test_an_inventory_mistake_is_one_line_and_exit_4(site, answering, capsys):
    assert main(["known-hosts", f"--inventory={site.parent / 'nowhere.yml'}"]) == 4
    out, err = capsys.readouterr()
    assert out == "" and len(err.splitlines()) == 1 and "nowhere.yml" in err


def test_other_arguments_are_refused(site, answering, capsys):
    assert main(["known-hosts", f"--inventory={site}", "--write"]) == 4
    assert "known-hosts: unrecognized arguments '--write'" in capsys.readouterr().err


def test_a_discovery_that_fails_is_one_line_and_exit_6(site, monkeypatch, capsys):
    def fails(inventory, limits):
        raise TargetError("API https://198.18.0.1:8080/client/api: cannot connect: Connection refused")
    monkeypatch.setattr(known_hosts_command, "discover", fails)
    assert main(["known-hosts", f"--inventory={site}"]) == 6
    out, err = capsys.readouterr()
    assert out == ""
    assert err == ("stackaudit: discovery failed, so the targets it finds are not known: API "
                   "https://198.18.0.1:8080/client/api: cannot connect: Connection refused\n")


def test_control_characters_from_the_cloud_are_escaped(site, answering, capsys, monkeypatch):
    monkeypatch.setattr(known_hosts_command, "discover", lambda inventory, limits: Snapshot("test", [
        Target("kvm-host", "kvm\x1b[2J01", "zone1", "198.18.1.11", attrs={"id": "h1"})]))
    main(["known-hosts", f"--inventory={site}"])
    out = capsys.readouterr().out
    assert "\x1b" not in out and "# kvm-host://zone1/kvm\\x1b[2J01: 256 SHA256:" in out
