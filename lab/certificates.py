"""The lab's certificate authority and the server certificates it signs (openssl), kept under DIR/keys.

The suite's inventory trusts the CA (cloud.api.verify), as a site trusts its own CA, and each
service proves its identity with a certificate naming its addresses: a client that verifies the
chain and the host name accepts only these servers.
"""
from __future__ import annotations

import secrets
import subprocess
from pathlib import Path

DAYS = 30


def lab_ca(keys: Path) -> tuple[Path, Path]:
    """(CA certificate, CA key), made once per state dir."""
    cert, key = keys / "lab-ca.pem", keys / "lab-ca-key.pem"
    if not cert.exists() or not key.exists():
        openssl("req", "-x509", *new_key(key), "-days", str(DAYS),
                "-subj", f"/CN=StackAudit lab CA {secrets.token_hex(4)}",
                "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
                "-out", str(cert))
    key.chmod(0o600)
    return cert, key


def server_certificate(keys: Path, name: str, addresses: list[str], ca: tuple[Path, Path]) -> tuple[Path, Path]:
    """(certificate, key) for a server at `addresses` (IP subjectAltNames), signed by the lab CA; made
    again when the addresses or the CA changed."""
    cert, key, names = keys / f"{name}-cert.pem", keys / f"{name}-key.pem", keys / f"{name}-cert.san"
    san = ",".join(f"IP:{a}" for a in addresses)
    stamp = f"{san} {ca[0].stat().st_mtime_ns}"
    if not cert.exists() or not names.exists() or names.read_text() != stamp:
        request = keys / f"{name}.csr"
        openssl("req", "-new", *new_key(key), "-subj", f"/CN={name}.lab", "-addext", f"subjectAltName={san}",
                "-out", str(request))
        openssl("x509", "-req", "-in", str(request), "-CA", str(ca[0]), "-CAkey", str(ca[1]),
                "-days", str(DAYS), "-copy_extensions", "copyall", "-out", str(cert))
        request.unlink()
        names.write_text(stamp)
    key.chmod(0o600)
    return cert, key


def new_key(key: Path) -> list[str]:
    return ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", str(key)]


def openssl(*args: str) -> None:
    subprocess.run(["openssl", *args], check=True, capture_output=True)
