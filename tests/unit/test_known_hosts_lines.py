"""`stackaudit known-hosts`: known_hosts lines and fingerprints as OpenSSH writes them (recorded with
OpenSSH 9.2, tests/data/recorded/SOURCES.md), and how a key read from a server stands against
known_hosts, plain or hashed, as the run's client (paramiko) judges it."""
from __future__ import annotations

from pathlib import Path

import paramiko
import pytest

from stackaudit.collect.known_hosts_lines import (CHANGED, KNOWN, NEW, fingerprint_line, known_hosts_line,
                                                  known_hosts_name, listed_keys, standing, writable_address)
from stackaudit.collect.transports.keyscan import preferred_key_types

RECORDED = Path(__file__).resolve().parents[1] / "data" / "recorded"
PLAIN = RECORDED / "openssh-known-hosts.txt"
HASHED = RECORDED / "openssh-known-hosts-hashed.txt"
# (address, port) of each line of the recorded file, in order
NAMED = [("198.18.1.11", 22), ("198.18.1.12", 2222), ("fd00::5", 22)]


def recorded_keys() -> list[paramiko.PKey]:
    """The key of each recorded known_hosts line, in order."""
    return [paramiko.hostkeys.HostKeyEntry.from_line(line).key for line in PLAIN.read_text().splitlines()]


@pytest.mark.parametrize(("address", "port", "name"), [
    ("198.18.1.11", 22, "198.18.1.11"), ("198.18.1.12", 2222, "[198.18.1.12]:2222"),
    ("fd00::5", 22, "fd00::5"), ("fd00::5", 3922, "[fd00::5]:3922"), ("ms1.example.org", 22, "ms1.example.org")])
def test_the_host_is_named_as_openssh_names_it(address, port, name):
    assert known_hosts_name(address, port) == name


def test_lines_and_fingerprints_are_those_openssh_wrote_and_ssh_keygen_printed():
    keys = recorded_keys()
    names = [known_hosts_name(address, port) for address, port in NAMED]
    assert [known_hosts_line(n, k) for n, k in zip(names, keys)] == PLAIN.read_text().splitlines()
    assert [fingerprint_line(n, k) for n, k in zip(names, keys)] == \
        (RECORDED / "openssh-known-hosts-lf.txt").read_text().splitlines()


@pytest.mark.parametrize("path", [PLAIN, HASHED], ids=["plain", "hashed"])
def test_a_host_with_its_own_key_listed_is_known(path):
    listed = paramiko.HostKeys(str(path))
    for (address, port), key in zip(NAMED, recorded_keys()):
        held = listed_keys(listed, known_hosts_name(address, port))
        assert held == [key]
        assert standing(held, key).verdict == KNOWN


@pytest.mark.parametrize("path", [PLAIN, HASHED], ids=["plain", "hashed"])
def test_the_same_address_on_another_port_is_another_host(path):
    listed = paramiko.HostKeys(str(path))
    assert listed_keys(listed, "[198.18.1.11]:2222") == []
    assert listed_keys(listed, "198.18.1.12") == []
    assert standing(listed_keys(listed, "198.18.1.99"), recorded_keys()[0]).verdict == NEW


@pytest.mark.parametrize("path", [PLAIN, HASHED], ids=["plain", "hashed"])
def test_another_key_of_the_same_type_or_of_another_type_is_a_changed_key(path):
    """paramiko refuses both (BadHostKeyException): known_hosts lists the host, not with this key."""
    listed = paramiko.HostKeys(str(path))
    held = listed_keys(listed, "[198.18.1.12]:2222")        # an ECDSA key
    other_ecdsa = paramiko.ECDSAKey.generate()
    result = standing(held, other_ecdsa)
    assert (result.verdict, result.listed) == (CHANGED, tuple(held))
    assert standing(held, recorded_keys()[0]).verdict == CHANGED      # an ed25519 key where ECDSA is known


def test_a_host_listed_with_two_types_is_known_by_either():
    ed25519, ecdsa, _ = recorded_keys()
    held = [ed25519, ecdsa]
    assert standing(held, ecdsa).verdict == KNOWN
    assert standing(held, ed25519).verdict == KNOWN


def test_only_the_first_entry_of_a_type_counts_as_paramiko_compares_with_it(tmp_path):
    """paramiko's lookup()[type] is the first entry of that type: a second one of the same type for the
    same host never lets the run in, so it does not make the host known either."""
    first, second = paramiko.ECDSAKey.generate(), paramiko.ECDSAKey.generate()
    path = tmp_path / "known_hosts"
    path.write_text(known_hosts_line("198.18.1.20", first) + "\n" + known_hosts_line("198.18.1.20", second) + "\n")
    held = listed_keys(paramiko.HostKeys(str(path)), "198.18.1.20")
    assert held == [first]
    assert standing(held, second).verdict == CHANGED


@pytest.mark.parametrize(("address", "writable"), [
    ("198.18.1.11", True), ("fd00::5", True), ("ms1.example.org", True), ("ms-1", True),
    (None, False), ("", False), ("198.18.1.11 ssh-ed25519 AAAA", False), ("a,b", False), ("*", False),
    ("host?", False), ("!host", False), ("[198.18.1.1]:22", False), ("|1|x|y", False), ("fe80::1%eth0", False),
    ("host\nother", False), ("-host", False)])
def test_only_an_address_or_a_plain_host_name_goes_into_a_line(address, writable):
    """An address the API gives is text from the cloud: it must not make a pattern or a second entry."""
    assert writable_address(address) is writable


@pytest.mark.parametrize(("known", "asked"), [
    ([], ["ssh-ed25519", "ecdsa-sha2-nistp256", "rsa-sha2-512", "rsa-sha2-256"]),
    (["ssh-rsa"], ["rsa-sha2-512", "ssh-ed25519", "ecdsa-sha2-nistp256", "rsa-sha2-256"]),
    (["ecdsa-sha2-nistp256", "ssh-ed25519"], ["ecdsa-sha2-nistp256", "ssh-ed25519", "rsa-sha2-512", "rsa-sha2-256"]),
])
def test_the_type_known_hosts_lists_first_is_asked_for_first_as_paramiko_does(known, asked):
    offered = ("ssh-ed25519", "ecdsa-sha2-nistp256", "rsa-sha2-512", "rsa-sha2-256")
    assert preferred_key_types(known, offered) == asked
