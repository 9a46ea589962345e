"""The lab's SSH targets and the files every measured tool reaches them with.

Written into a work directory from the lab's topology and state dir:
- `ssh_config`: one Host per target (its machine name), the lab's key, BatchMode, host keys checked
  against `known_hosts`; a system VM is reached with ProxyJump through its host, on port 3922, with
  the key its host holds (the lab keeps the same key in keys/id_rsa.cloud) and its host key checked
  under its own name (HostKeyAlias: link-local addresses repeat across hosts). OpenBSD,
  "ssh_config(5)", ProxyJump, HostKeyAlias, 2025, https://man.openbsd.org/ssh_config
- `known_hosts`: the lab's, plus each system VM's key by name (`name` for OpenSSH's HostKeyAlias,
  `[name]:3922` for paramiko, which looks a key up by host and port).
- `reads.json`: per target its StackAudit kind, and per kind the shell line of every SSH reading the
  checks declare (stackaudit/collect/declarations.py), for the testinfra and Ansible peers.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

from lab.topology import Topology
from stackaudit.collect.declarations import Command, all_facts_of, readings_of
from stackaudit.config.policy import load_policy

SYSTEM_VM_KIND = {"secondarystoragevm": "ssvm", "consoleproxy": "cpvm", "router": "router"}
SYSTEM_VM_PORT = 3922


@dataclass(frozen=True)
class SshTarget:
    name: str
    kind: str                   # the StackAudit target kind
    address: str
    port: int
    hop: str | None = None      # a system VM's host (machine name)


def ssh_targets(topo: Topology) -> list[SshTarget]:
    """Every machine with an sshd, in the topology's order."""
    targets = []
    for node in topo.machines:
        if node.kind == "systemvm":
            targets.append(SshTarget(node.name, SYSTEM_VM_KIND[node.facts["type"]], node.address,
                                     SYSTEM_VM_PORT, node.host.name))
        elif node.facts.get("ssh", True):
            targets.append(SshTarget(node.name, node.kind, node.address, 22))
    return targets


def ssh_config(targets: list[SshTarget], state_dir: Path, known_hosts: Path) -> str:
    common = ["User root", f"UserKnownHostsFile {known_hosts}", "StrictHostKeyChecking yes", "BatchMode yes",
              "IdentitiesOnly yes", "ConnectTimeout 15", "LogLevel ERROR"]
    blocks = []
    for target in targets:
        lines = [f"Host {target.name}", f"  HostName {target.address}", f"  Port {target.port}"]
        if target.hop:
            lines += [f"  ProxyJump {target.hop}", f"  HostKeyAlias {target.name}",
                      f"  IdentityFile {state_dir / 'keys' / 'id_rsa.cloud'}"]
        else:
            lines.append(f"  IdentityFile {state_dir / 'keys' / 'id_ed25519'}")
        blocks.append("\n".join(lines + [f"  {option}" for option in common]))
    return "\n\n".join(blocks) + "\n"


def known_hosts(targets: list[SshTarget], state_dir: Path) -> str:
    lines = (state_dir / "known_hosts").read_text().splitlines()
    for target in targets:
        if target.hop:
            public = " ".join((state_dir / "keys" / "hosts" / f"{target.name}.pub").read_text().split()[:2])
            lines += [f"{target.name} {public}", f"[{target.name}]:{target.port} {public}"]
    return "\n".join(lines) + "\n"


def reads_by_kind(policy, kinds: set[str]) -> dict[str, dict[str, dict]]:
    """kind -> section -> {line, ok, absent_ok}: the SSH readings of every fact declared for the kind
    (absent_ok: a "No such file" failure means the file is absent, an answer, as StackAudit reads it)."""
    reads = {}
    for kind in sorted(kinds):
        commands = [r for r in readings_of(all_facts_of(kind), kind) if isinstance(r, Command)]
        lines = {c.name: {"line": c.line_for(policy, kind), "ok": list(c.ok_exit_codes),
                           "absent_ok": c.absent_if_missing_file} for c in commands}
        reads[kind] = {name: read for name, read in lines.items() if read["line"] is not None}
    return reads


def write_files(topo: Topology, state_dir: Path, work: Path) -> list[SshTarget]:
    work.mkdir(parents=True, exist_ok=True)
    targets = ssh_targets(topo)
    (work / "known_hosts").write_text(known_hosts(targets, state_dir))
    (work / "ssh_config").write_text(ssh_config(targets, state_dir, work / "known_hosts"))
    policy = load_policy(state_dir / "policy.yml")
    (work / "reads.json").write_text(json.dumps({
        "targets": {t.name: t.kind for t in targets},
        "reads": reads_by_kind(policy, {t.kind for t in targets})}, indent=1))
    (work / "targets.json").write_text(json.dumps([asdict(t) for t in targets], indent=1))
    return targets
