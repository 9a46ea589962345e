"""The files an inventory names (SSH private key, known_hosts, CA bundles), checked when it is loaded.

Each must be a regular file of UTF-8 text that parses as what it is; a private key must be
readable by its owner only. OpenSSH's client refuses such a key the same way ("WARNING: UNPROTECTED
PRIVATE KEY FILE! ... Permissions 0644 for '...' are too open", sshkey_perm_ok() in OpenSSH's
authfile.c, https://github.com/openssh/openssh-portable/blob/master/authfile.c).
"""
from __future__ import annotations

import io
import ssl
from pathlib import Path

import paramiko

from stackaudit.config.files import KNOWN_HOSTS_LIMIT, UnreadableFile, file_mode, read_text, shown, shown_path
from stackaudit.errors import ConfigError

# The key types the SSH transport reads (stackaudit/collect/transports/ssh.py).
KEY_CLASSES = (paramiko.Ed25519Key, paramiko.ECDSAKey, paramiko.RSAKey)


def readable_text(path: Path, where: str, limit: int | None = None) -> str:
    """The file's text; ConfigError naming the key and the file when it cannot be read as text."""
    try:
        return read_text(path, limit) if limit else read_text(path)
    except UnreadableFile as err:
        fix = "; fix the path" if str(err).startswith("cannot read") else ""
        raise ConfigError(f"{where}: {shown_path(path)}: {err}{fix}") from None


def owner_only(path: Path, where: str) -> None:
    """Refuse a secret or private key whose mode lets a group or others in (as ssh refuses a key)."""
    mode = file_mode(path)
    if mode & 0o077:
        raise ConfigError(f"{where}: {shown_path(path)} is open to group or others (mode {mode:04o}); "
                          f"run chmod 600 {shown_path(path)}")


def check_private_key(path: Path, where: str) -> None:
    text = readable_text(path, where)
    owner_only(path, where)
    if not text.strip():
        raise ConfigError(f"{where}: {shown_path(path)} is empty; point it at the private key")
    for key_class in KEY_CLASSES:
        try:
            key_class.from_private_key(io.StringIO(text))
            return
        except paramiko.PasswordRequiredException:
            raise ConfigError(f"{where}: {shown_path(path)} is protected by a passphrase, which StackAudit cannot "
                              "give; use a key without one, kept mode 0600") from None
        except (paramiko.SSHException, ValueError, TypeError, IndexError):
            continue
    raise ConfigError(f"{where}: {shown_path(path)} is not a private key paramiko reads (Ed25519, ECDSA or RSA, "
                      "OpenSSH or PEM format); point it at the key ssh-keygen wrote")


def check_known_hosts(path: Path, where: str, may_be_empty: bool = False) -> None:
    """Every line is a host key paramiko reads (a line it skipped would leave a host unverifiable,
    and an `@revoked` line it ignores would leave a revoked key trusted). `may_be_empty`: a file
    that does not exist yet or holds no key is no mistake (`stackaudit known-hosts` starts one)."""
    if may_be_empty and not path.exists():
        return
    entries = 0
    for number, line in enumerate(readable_text(path, where, KNOWN_HOSTS_LIMIT).splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        at = f"{where}: {shown_path(path)} line {number}"
        if line.startswith("@"):
            raise ConfigError(f"{at}: markers such as {shown(line.split()[0])} are not read by paramiko; "
                              "list each host's own key instead")
        try:
            entry = paramiko.hostkeys.HostKeyEntry.from_line(line, number)
        except Exception:   # paramiko raises what base64 and each key class raise on bad key data
            entry = None
        if entry is None:
            raise ConfigError(f"{at}: not a host key line paramiko reads (host names, key type, base64 key); "
                              "fix it, or replace it with a line `stackaudit known-hosts` prints")
        entries += 1
    if not entries and not may_be_empty:
        raise ConfigError(f"{where}: {shown_path(path)} holds no host key, so every host would be refused; "
                          "add each host's key (`stackaudit known-hosts --inventory=FILE` prints them to verify)")


def check_ca_file(path: Path, where: str) -> None:
    text = readable_text(path, where)
    if "-----BEGIN CERTIFICATE-----" not in text:
        raise ConfigError(f"{where}: {shown_path(path)} holds no PEM certificate (-----BEGIN CERTIFICATE-----); "
                          "point it at the CA bundle in PEM")
    try:
        ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT).load_verify_locations(cadata=text)
    except (ssl.SSLError, ValueError) as err:
        raise ConfigError(f"{where}: {shown_path(path)} is not a PEM certificate bundle OpenSSL reads "
                          f"({shown(getattr(err, 'reason', None) or type(err).__name__)[1:-1]}); fix or replace it") from None
