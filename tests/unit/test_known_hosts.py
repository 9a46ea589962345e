"""known_hosts is parsed once per process while it stays unchanged (issue 13: paramiko's per-connection
parse, quadratic in the file, made a 1,000-host run spend 420 s of one core parsing it)."""
from __future__ import annotations

import os

import paramiko

from stackaudit.collect.transports import ssh



def line(host: str, key: paramiko.PKey) -> str:
    return f"{host} {key.get_name()} {key.get_base64()}\n"


def test_parsed_once_and_again_when_the_file_changes(tmp_path, monkeypatch):
    keys = [paramiko.RSAKey.generate(1024) for _ in range(2)]
    path = tmp_path / "known_hosts"
    path.write_text(line("198.18.1.1", keys[0]) + line("[198.18.1.1]:3922", keys[1]))
    parses = []
    real = paramiko.HostKeys
    monkeypatch.setattr(ssh.paramiko, "HostKeys", lambda filename: parses.append(filename) or real(filename))
    ssh._parsed_known_hosts.cache_clear()
    for _ in range(50):
        assert ssh.known_hosts(path).lookup("198.18.1.1")["ssh-rsa"] == keys[0]
    assert ssh.known_hosts(path).lookup("[198.18.1.1]:3922")["ssh-rsa"] == keys[1]
    assert len(parses) == 1
    path.write_text(line("198.18.1.1", keys[1]))
    os.utime(path, ns=(1, 1))          # a rewrite within the same clock tick still reads as changed
    assert ssh.known_hosts(path).lookup("198.18.1.1")["ssh-rsa"] == keys[1]
    assert len(parses) == 2
