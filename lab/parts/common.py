"""What every lab machine kind shares: sshd and its keys, the firewall files, backups, the
host network, database ids of the zone, pod and cluster."""
from __future__ import annotations

import time
from dataclasses import dataclass, field

from lab import files
from lab.clock import clock_files
from lab.topology import LINK_LOCAL_HOST, MGMT_V6_PREFIX, Node, Topology

STANDIN = "#!/bin/sh\n# lab stand-in: a long-running process holding the daemon's real command line\nwhile :; do sleep 3600; done\n"
SYSTEMD = "/etc/systemd/system"


@dataclass
class Keys:
    suite_public: str        # authorized on hosts, management and database servers
    cloud_private: str       # /root/.ssh/id_rsa.cloud on every hypervisor host
    cloud_public: str        # authorized on every system VM
    host_keys: dict[str, tuple[str, str]]   # machine name -> (private, public)
    # database machine name -> (lab CA, its server certificate, key): PEM texts (lab/certificates.py)
    db_tls: dict[str, tuple[str, str, str]] = field(default_factory=dict)


BACKUP_DIR = "/var/backups/cloudstack"


def backup_files(stems: tuple[str, ...], suffix: str, age_hours: int | None) -> tuple[dict, dict]:
    """Backup files of the given age under /var/backups/cloudstack (none when age_hours is null)."""
    if age_hours is None:
        return {}, {}
    made = time.time() - age_hours * 3600
    stamp = time.strftime("%Y%m%d-%H%M", time.gmtime(made))
    paths = [f"{BACKUP_DIR}/{stem}-{stamp}{suffix}" for stem in stems]
    return ({p: f"lab backup {p}\n" for p in paths}, {p: made for p in paths})


def db_id(topo: Topology, kind: str, name: str) -> int:
    """The database id CloudStack gives a zone, pod or cluster: 1, 2, ... in the scenario's order."""
    zones = topo.scenario["zones"]
    names = {"zone": [z["name"] for z in zones],
             "pod": [p["name"] for z in zones for p in z["pods"]],
             "cluster": [c["name"] for z in zones for p in z["pods"] for c in p["clusters"]]}[kind]
    return names.index(name) + 1


def veth_name(node: Node) -> str:
    return f"sa{node.index}"


def link_local_veth(svm: Node) -> str:
    return f"sl{svm.index}"


def common_files(node: Node, keys: Keys) -> tuple[dict, dict]:
    private, public = keys.host_keys[node.name]
    authorized = keys.cloud_public if node.kind == "systemvm" else keys.suite_public
    port = 3922 if node.kind == "systemvm" else 22
    content = {
        "/etc/ssh/sshd_config": files.sshd_config(node.address, port, node.address6),
        "/etc/ssh/ssh_host_ed25519_key": private,
        "/etc/ssh/ssh_host_ed25519_key.pub": public + "\n",
        "/root/.ssh/authorized_keys": authorized + "\n",
        "/etc/hostname": node.name + "\n",
    }
    modes = {"/etc/ssh/ssh_host_ed25519_key": 0o600, "/root/.ssh/authorized_keys": 0o600}
    if "clock" in node.facts:     # servers and hosts: their time tools, in a /usr/bin view (lab/clock.py)
        tools, tool_modes = clock_files(node.facts["clock"])
        content.update(tools)
        modes.update(tool_modes)
    return content, modes


def firewall_parts(node: Node, rhel: bool) -> tuple[dict, dict, str, str]:
    """(files, symlinks, running v4, running v6) for a host or management server's firewall."""
    fw = node.facts["firewall"]
    prefix = str(MGMT_V6_PREFIX) if fw["v6_return_prefix"] == "lab" else fw["v6_return_prefix"]
    running = {4: fw["v4_running"] or files.iptables_rules(4, fw, None, node.kind),
               6: fw["v6_running"] or files.iptables_rules(6, fw, prefix, node.kind)}
    paths = ({4: "/etc/sysconfig/iptables", 6: "/etc/sysconfig/ip6tables"} if rhel
             else {4: "/etc/iptables/rules.v4", 6: "/etc/iptables/rules.v6"})
    content = {}
    for family, path in paths.items():
        persisted = fw["persisted"][f"v{family}"]
        if persisted == "same":
            content[path] = files.saved_rules_file(family, running[family])
        elif persisted != "absent":
            content[path] = persisted
    units = ["iptables.service", "ip6tables.service"] if rhel else ["netfilter-persistent.service"]
    links = {}
    if fw["persistent_enabled"]:
        links = {f"{SYSTEMD}/multi-user.target.wants/{u}": f"/lib/systemd/system/{u}" for u in units}
    return content, links, running[4], running[6]


def host_network(node: Node) -> list[str]:
    commands = [f"addr add {node.address}/15 dev eth0", f"addr add {node.address6}/64 dev eth0 nodad",
                "link set eth0 up", "link add cloud0 type bridge",
                f"addr add {LINK_LOCAL_HOST} dev cloud0", "link set cloud0 up"]
    for svm in node.system_vms:
        commands += [f"link set {link_local_veth(svm)} master cloud0", f"link set {link_local_veth(svm)} up"]
    return commands
