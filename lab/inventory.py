"""DIR/inventory.yml and DIR/known_hosts: how StackAudit reaches the lab cloud.

The inventory is in the suite's own format (inventories/example.yml documents it); paths in it are
relative to the inventory file. Secrets are never inline: they are 0600 files beside it.
"""
from __future__ import annotations

from pathlib import Path

import yaml

from lab.topology import MGMT_V6_PREFIX, Topology


def known_hosts_lines(topo: Topology, host_keys: dict[str, tuple[str, str]]) -> list[str]:
    """Hosts, management and database servers by address. System VMs are not here: the suite pins
    their keys by CloudStack id (their link-local addresses repeat across hosts)."""
    lines = []
    for node in topo.machines:
        public = " ".join(host_keys[node.name][1].split()[:2])
        if node.kind == "systemvm":
            continue
        else:
            lines.append(f"{node.address} {public}")
            if node.address6:
                lines.append(f"{node.address6} {public}")
    return lines


def inventory_document(topo: Topology) -> dict:
    api = next((m for m in topo.management if m.facts["state"] == "Up"), topo.management[0])
    return {
        "cloud": {
            "name": f"lab-{topo.scenario['name']}",
            "api": {"endpoint": f"https://{api.address}:8080/client/api",
                    "key_file": "keys/api.key", "secret_file": "keys/api.secret", "verify": "keys/lab-ca.pem"},
        },
        "ssh": {"user": "root", "private_key": "keys/id_ed25519", "known_hosts": "known_hosts"},
        "system_vms": {"port": 3922, "key_on_host": "/root/.ssh/id_rsa.cloud"},
        "xenserver": {"username": "root", "password_file": "keys/xapi.password", "ca_file": "keys/xapi-cert.pem"},
        # a scenario without database servers: an inventory without the section (it may not be empty)
        **({"databases": {
            "user": "stackaudit", "password_file": "keys/db-audit.password", "ca_file": "keys/lab-ca.pem",
            "servers": [{"name": d.name, "address": d.address, "port": 3306, "ssh_address": d.address,
                         **({"aliases": d.facts["aliases"]} if d.facts["aliases"] else {})}
                        for d in topo.databases],
        }} if topo.databases else {}),
        "management_servers": [{"name": m.name, "ssh_address": m.address, "deployment": m.facts["deployment"]}
                               for m in topo.management],
        **({"tls_frontends": [{"name": t.name, "ssh_address": t.address, "port": t.facts["port"]}
                              for t in topo.tls_frontends]} if topo.tls_frontends else {}),
        "policy": "policy.yml",
    }


# The lab site's policy: libssl floors for every release its system VMs run (the shipped default
# has only [CS-HEARTBLEED]'s Debian 7 floor), the lab's management prefix for the IPv6 exception, and
# where its machines keep their backups. Its management servers sit behind a reverse proxy (the API
# simulator, on each server's address at 8080, plays it; Jetty's own port is loopback's 8081).
LAB_POLICY = {
    "ms": {"reverse_proxy": True},
    "firewall": {"v6_management_prefix": str(MGMT_V6_PREFIX)},
    "backups": {"database_servers": ["/var/backups/cloudstack/cloud-*.sql.gz",
                                     "/var/backups/cloudstack/cloud_usage-*.sql.gz"],
                "management_servers": ["/var/backups/cloudstack/etc-cloudstack-*.tar.gz",
                                       "/var/backups/cloudstack/var-lib-cloudstack-*.tar.gz"],
                "kvm_hosts": ["/var/backups/cloudstack/etc-cloudstack-*.tar.gz",
                              "/var/backups/cloudstack/var-lib-cloudstack-*.tar.gz"]},
    "system_vms": {"libssl_floors": {
        "7": "1.0.1e-2+deb7u6", "8": "1.0.1t-1+deb8u7",
        # Debian 9's two libraries have two version lines: a floor per package.
        "9": {"openssl": "1.1.0k-1~deb9u1", "libssl1.1": "1.1.0k-1~deb9u1", "libssl1.0.2": "1.0.2s-1~deb9u1"},
        "10": "1.1.1n-0+deb10u6", "11": "1.1.1w-0+deb11u1", "12": "3.0.15-1~deb12u1", "13": "3.5.7-1~deb13u2"}},
}


def write(topo: Topology, state_dir: Path, secrets) -> None:
    (state_dir / "known_hosts").write_text("\n".join(known_hosts_lines(topo, secrets.ssh.host_keys)) + "\n")
    header = (f"# StackAudit inventory of the lab cloud of scenario {topo.scenario['name']!r},\n"
              "# written by `python -m lab up`. Paths are relative to this file.\n")
    (state_dir / "inventory.yml").write_text(header + yaml.safe_dump(inventory_document(topo), sort_keys=False))
    policy = merged(LAB_POLICY, topo.scenario["policy"])
    (state_dir / "policy.yml").write_text("# The lab site's StackAudit policy (python -m lab up).\n"
                                          + yaml.safe_dump(policy, sort_keys=False))


def merged(base: dict, over: dict) -> dict:
    """`over` laid on `base`, mapping by mapping; a null in `over` removes the key."""
    out = dict(base)
    for key, value in over.items():
        if value is None:
            out.pop(key, None)
        elif isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merged(out[key], value)
        else:
            out[key] = value
    return out
