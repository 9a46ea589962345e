"""The system VM host key fingerprints an inventory may give (system_vms.host_key_fingerprints).

CloudStack's system VM template makes its SSH host keys once, at build, and every system VM made
from it keeps them (collect/hostkeys.py gives the sources). A site that reads those keys out of band,
on the template image or on a VM it trusts, lists them here; each system VM's key must then be one of
them, with no first use. One fingerprint a line, as `ssh-keygen -lf` prints it (OpenSSH's
ssh-keygen(1), -l and -E sha256, the default since OpenSSH 6.8): `SHA256:` and 43 characters of
unpadded base64, optionally after the key's size in bits and before a comment. Blank lines and lines
starting with `#` are skipped:

    # systemvm-kvm-4.19.1, read on the template image
    256 SHA256:uJ0bTbpVwFZ3iZ1Ma1i0J8Xq5SxZqcB2kq0N1mVbL2w root@systemvm (ED25519)
    SHA256:9mI1Bx0YdAo7pWl3oQ2rj7y8v7WmEwqQyPZk2n8X3cA  the same template's RSA key
"""
from __future__ import annotations

import base64
import binascii
import re
from pathlib import Path

from stackaudit.config.files import shown, shown_path
from stackaudit.config.named_files import readable_text
from stackaudit.errors import ConfigError

FINGERPRINT = re.compile(r"SHA256:[A-Za-z0-9+/]{43}")
FIX = "write one fingerprint a line as `ssh-keygen -lf` prints it (SHA256: and 43 base64 characters)"


def is_sha256_fingerprint(word: str) -> bool:
    if not FINGERPRINT.fullmatch(word):
        return False
    body = word.removeprefix("SHA256:")
    try:    # 43 characters hold 258 bits: the last one's two low bits must be zero for 32 bytes
        return base64.b64encode(base64.b64decode(body + "=", validate=True)).decode().rstrip("=") == body
    except binascii.Error:
        return False


def parse_fingerprints(text: str, where: str) -> frozenset[str]:
    """The fingerprints of the file's text; ConfigError naming the line that is not one."""
    found = set()
    for number, line in enumerate(text.splitlines(), 1):
        words = line.split()
        if not words or words[0].startswith("#"):
            continue
        word = words[1] if words[0].isdigit() and len(words) > 1 else words[0]
        if word.upper().startswith("MD5:"):
            raise ConfigError(f"{where} line {number}: an MD5 fingerprint; give SHA256 ones "
                              "(ssh-keygen -lf -E sha256)")
        if not is_sha256_fingerprint(word):
            raise ConfigError(f"{where} line {number}: {shown(word)} is not a SHA256 fingerprint; {FIX}")
        found.add(word)
    if not found:
        raise ConfigError(f"{where}: no fingerprint in the file; {FIX}, or remove the key to pin on first use")
    return frozenset(found)


def read_fingerprints(path: Path, where: str) -> frozenset[str]:
    """The fingerprints file at `path` (`where`: the inventory and key that name it)."""
    return parse_fingerprints(readable_text(path, where), f"{where}: {shown_path(path)}")
