"""What lab tests share: a handle on a lab that is up (LabHandle), SSH into it, the root check."""
from __future__ import annotations

import os
from pathlib import Path

import paramiko
import pytest
import yaml


SCENARIOS = Path(__file__).resolve().parent.parent.parent / "lab" / "scenarios"


class LabHandle:
    def __init__(self, state_dir: Path, topology):
        self.state_dir = state_dir
        self.topology = topology
        self.inventory = yaml.safe_load((state_dir / "inventory.yml").read_text())

    def path(self, relative: str) -> Path:
        return self.state_dir / relative

    def secret(self, relative: str) -> str:
        return self.path(relative).read_text().strip()

    def ssh(self, address: str, port: int = 22, sock=None, key=None, machine: str | None = None) -> paramiko.SSHClient:
        """A client that trusts only the lab's known_hosts (an unknown key is refused). A system VM
        (`machine`) is not there, its link-local address repeats across hosts: its own key is trusted."""
        client = paramiko.SSHClient()
        if machine is None:
            client.load_host_keys(str(self.path("known_hosts")))
        else:
            key_type, key_text = self.path(f"keys/hosts/{machine}.pub").read_text().split()[:2]
            client.get_host_keys().add(f"[{address}]:{port}", key_type, paramiko.PKey.from_type_string(
                key_type, __import__("base64").b64decode(key_text)))
        client.set_missing_host_key_policy(paramiko.RejectPolicy())
        client.connect(address, port=port, username="root", sock=sock,
                       pkey=key or paramiko.Ed25519Key.from_private_key_file(str(self.path("keys/id_ed25519"))),
                       look_for_keys=False, allow_agent=False, timeout=10)
        return client


def run(client: paramiko.SSHClient, command: str) -> str:
    _, stdout, stderr = client.exec_command(command, timeout=20)
    out = stdout.read().decode()
    status = stdout.channel.recv_exit_status()
    assert status == 0, f"{command!r} exited {status}: {stderr.read().decode()}"
    return out


def require_root() -> None:
    if os.geteuid() != 0:
        pytest.fail("lab tests need root (network namespaces, iptables); run `make test` as root")


@pytest.fixture
def compliant_lab(lab):
    """The session's shared compliant lab (tests/labs.py); its tests carry lab_scenario("compliant.yml")."""
    return lab("compliant.yml")
