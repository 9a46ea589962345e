"""Every key and secret of a lab, made once per state dir and kept 0600 under DIR/keys."""
from __future__ import annotations

import secrets as random_secrets
import subprocess
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from lab.parts.common import Keys
from lab.certificates import lab_ca, server_certificate
from lab.keys import secret_file, ssh_keypair
from lab.topology import Topology


@dataclass
class LabSecrets:
    ssh: Keys
    suite_key: Path
    api_key: str
    api_secret: str
    xapi_password: str
    xapi_cert: Path
    xapi_key: Path
    ca_cert: Path           # the lab CA, which the inventory trusts for the databases (databases.ca_file)
    db_audit_user: str
    db_audit_password: str
    db_replication_password: str


def make(state_dir: Path, topo: Topology) -> LabSecrets:
    keys = state_dir / "keys"
    keys.mkdir(parents=True, exist_ok=True)
    keys.chmod(0o700)
    _, suite_public = ssh_keypair(keys / "id_ed25519", comment="stackaudit")
    cloud_private, cloud_public = ssh_keypair(keys / "id_rsa.cloud", key_type="rsa", comment="root@cloud")
    host_dir = keys / "hosts"
    with ThreadPoolExecutor(8) as pool:
        pairs = list(pool.map(lambda n: ssh_keypair(host_dir / n.name, comment=f"root@{n.name}"), topo.machines))
    host_keys = {n.name: pair for n, pair in zip(topo.machines, pairs)}
    xapi_cert, xapi_key = _xapi_certificate(keys, topo)
    ca = lab_ca(keys)
    return LabSecrets(
        ssh=Keys(suite_public, cloud_private, cloud_public, host_keys, _database_certificates(keys, topo, ca)),
        suite_key=keys / "id_ed25519",
        # CloudStack's generated keys are 86 URL-safe characters.
        api_key=secret_file(keys / "api.key", 64), api_secret=secret_file(keys / "api.secret", 64),
        xapi_password=secret_file(keys / "xapi.password"), xapi_cert=xapi_cert, xapi_key=xapi_key, ca_cert=ca[0],
        db_audit_user="stackaudit", db_audit_password=secret_file(keys / "db-audit.password"),
        db_replication_password=secret_file(keys / "db-replication.password"))


def _database_certificates(keys: Path, topo: Topology, ca: tuple[Path, Path]) -> dict[str, tuple[str, str, str]]:
    """Each database server's (CA, certificate, key) in PEM: a certificate signed by the lab CA naming
    the server's addresses, which the suite checks it by (PyMySQL's ssl_verify_identity)."""
    made = {}
    for node in topo.databases:
        cert, key = server_certificate(keys, f"db-{node.name}-tls", [a for a in (node.address, node.address6) if a], ca)
        made[node.name] = (ca[0].read_text(), cert.read_text(), key.read_text())
    return made


def _xapi_certificate(keys: Path, topo: Topology) -> tuple[Path, Path]:
    """One self-signed certificate naming every XenServer host's address; the inventory trusts it."""
    cert, key = keys / "xapi-cert.pem", keys / "xapi-key.pem"
    addresses = [h.address for h in topo.hosts if h.kind == "xs-host"] or ["127.0.0.1"]
    san = ",".join(f"IP:{a}" for a in addresses)
    if not cert.exists() or (keys / "xapi-cert.san").read_text() != san:
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                        "-nodes", "-days", "30", "-subj", f"/CN=xapi.lab/O=StackAudit lab {random_secrets.token_hex(4)}",
                        "-addext", f"subjectAltName={san}", "-keyout", str(key), "-out", str(cert)],
                       check=True, capture_output=True)
        (keys / "xapi-cert.san").write_text(san)
    key.chmod(0o600)
    return cert, key
