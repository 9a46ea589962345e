"""A valid site configuration in a directory, for the configuration tests: an inventory whose every
named file is real (an Ed25519 key ssh-keygen would write, a known_hosts line, a CA certificate, 0600
secret files), a policy and a waivers file. Tests break one thing at a time."""
from __future__ import annotations

import datetime
import functools
from pathlib import Path

import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.x509.oid import NameOID

ENV = {"SA_TEST_API_KEY": "planted-api-key-4f1e", "SA_TEST_DB_PASSWORD": "planted-db-password-9c2d"}


@functools.lru_cache(maxsize=None)
def ssh_key_pair() -> tuple[str, str]:
    """(private key in OpenSSH format, public key line)."""
    key = ed25519.Ed25519PrivateKey.generate()
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH,
                                serialization.NoEncryption()).decode()
    public = key.public_key().public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).decode()
    return private, public


@functools.lru_cache(maxsize=None)
def encrypted_ssh_key() -> str:
    key = ed25519.Ed25519PrivateKey.generate()
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH,
                             serialization.BestAvailableEncryption(b"passphrase")).decode()


@functools.lru_cache(maxsize=None)
def ca_certificate() -> str:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "stackaudit test CA")])
    now = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(1).not_valid_before(now).not_valid_after(now + datetime.timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True).sign(key, hashes.SHA256()))
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def inventory_document() -> dict:
    return {
        "cloud": {"name": "test", "api": {"endpoint": "http://198.18.0.1:8080/client/api",
                                          "key_env": "SA_TEST_API_KEY", "secret_file": "keys/api.secret",
                                          "verify": True}},
        "ssh": {"user": "root", "private_key": "keys/id_ed25519", "known_hosts": "known_hosts",
                "connect_timeout": 15, "command_timeout": 120, "max_connections": 16},
        "xenserver": {"username": "root", "password_file": "keys/xapi.password", "ca_file": "keys/ca.pem"},
        "databases": {"user": "stackaudit", "password_env": "SA_TEST_DB_PASSWORD", "ca_file": "keys/db-ca.pem",
                      "servers": [{"name": "db1", "address": "198.18.0.21"},
                                  {"name": "db2", "address": "198.18.0.22", "aliases": ["db2.example.org"]}]},
        "management_servers": [{"name": "ms1", "ssh_address": "198.18.0.11"}],
        "policy": "policy.yml",
    }




def waivers_text() -> str:
    expires = datetime.datetime.now(datetime.timezone.utc).date() + datetime.timedelta(days=30)
    return ("waivers:\n  - {check: MS-CA-STRICT, target: 'cloud://*', reason: agents re-keyed, approver: j.doe,"
            f" ticket: OPS-1, expires: {expires}}}\n")


def write_site(directory: Path) -> Path:
    """Write a valid site into `directory`; returns the inventory's path."""
    keys = directory / "keys"
    keys.mkdir(parents=True, exist_ok=True)
    private, public = ssh_key_pair()
    for name, text in (("id_ed25519", private), ("api.secret", "planted-api-secret-77ab\n"),
                       ("xapi.password", "planted-xapi-password-0e5f\n")):
        (keys / name).write_text(text)
        (keys / name).chmod(0o600)
    (keys / "ca.pem").write_text(ca_certificate())
    (keys / "db-ca.pem").write_text(ca_certificate())
    (directory / "known_hosts").write_text(f"198.18.0.11 {public}\n198.18.0.21 {public}\n")
    (directory / "policy.yml").write_text("firewall: {reject_ports: [16509, 16514, 8250]}\n")
    (directory / "waivers.yml").write_text(waivers_text())
    inventory = directory / "inventory.yml"
    inventory.write_text(yaml.safe_dump(inventory_document(), sort_keys=False))
    return inventory
