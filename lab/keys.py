"""Keys and secrets of a lab: SSH keys made by ssh-keygen, random secrets, all 0600 under DIR/keys."""
from __future__ import annotations

import os
import secrets
import subprocess
from pathlib import Path


def ssh_keypair(path: Path, key_type: str = "ed25519", comment: str = "stackaudit-lab") -> tuple[str, str]:
    """Create (or reuse) a key pair at `path`; returns (private key text, public key line)."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        extra = ["-b", "2048"] if key_type == "rsa" else []
        subprocess.run(["ssh-keygen", "-q", "-t", key_type, *extra, "-N", "", "-C", comment, "-f", str(path)],
                       check=True, stdin=subprocess.DEVNULL)
    os.chmod(path, 0o600)
    return path.read_text(), path.with_suffix(path.suffix + ".pub").read_text().strip()


def secret_file(path: Path, nbytes: int = 24) -> str:
    """A random secret in a 0600 file (made once, then reused)."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(secrets.token_urlsafe(nbytes) + "\n")
    return path.read_text().strip()
