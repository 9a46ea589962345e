"""The floor: one SSH connection and one trivial command (`true`) per SSH target, C at a time.

    python benchmarks/floor.py openssh|paramiko|paramiko-reads WORK_DIR CONCURRENCY

paramiko-reads runs, instead of `true`, one shell script per target with every reading the checks
declare for its kind (reads.json, the lines the testinfra and Ansible peers run), and reads all their
output: the floor of any tool that reads those facts, where the targets' own commands run on the same
cores as the tool.

WORK_DIR holds fleet_targets.py's files. openssh: `ssh -F ssh_config NAME true` (system VMs by
ProxyJump through their host). paramiko: connect, exec, close; a system VM through a direct-tcpip
channel over a connection to its host, with the key its host holds. Both verify every host key.
Prints the number of targets that failed and exits 1 if any did.
"""
from __future__ import annotations

import functools
import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import paramiko


def with_openssh(work: Path, target: dict) -> str | None:
    done = subprocess.run(["ssh", "-F", str(work / "ssh_config"), target["name"], "true"],
                          stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120)
    return None if done.returncode == 0 else f"{target['name']}: exit {done.returncode} {done.stderr.strip()[:200]}"


@functools.lru_cache(maxsize=1)
def parsed(known_hosts: Path) -> paramiko.HostKeys:
    """known_hosts parsed once: SSHClient.load_host_keys parses it at every connection, in time
    quadratic in its lines (stackaudit/collect/transports/ssh.py, known_hosts), which would make
    the floor itself grow faster than the fleet."""
    return paramiko.HostKeys(str(known_hosts))


def client(known_hosts: Path, name: str) -> paramiko.SSHClient:
    """A client that knows `name`'s host keys (as known_hosts names it: "[name]:port" off port 22)."""
    ssh = paramiko.SSHClient()
    for key_type, key in (parsed(known_hosts).lookup(name) or {}).items():
        ssh.get_host_keys().add(name, key_type, key)
    ssh.set_missing_host_key_policy(paramiko.RejectPolicy())
    return ssh


def known_name(host: str, port: int) -> str:
    return host if port == 22 else f"[{host}]:{port}"


def run_true(ssh: paramiko.SSHClient, script: str = "true") -> int:
    _, stdout, _ = ssh.exec_command(script, timeout=120)
    stdout.read()
    return stdout.channel.recv_exit_status()


def reads_script(reads: dict) -> str:
    """Every reading of a kind, one after the other, each in its own subshell; exit 0 whatever they answer
    (the readings' own exit codes are StackAudit's to judge, not the floor's)."""
    return "; ".join(f"( {read['line']} ) 2>&1" for read in reads.values()) + "; true"


def with_paramiko(work: Path, target: dict, by_name: dict, state_dir: Path, script: str = "true") -> str | None:
    known_hosts = work / "known_hosts"
    hop = by_name.get(target["hop"]) if target["hop"] else None
    first = hop or target
    ssh = client(known_hosts, known_name(first["address"], first["port"]))
    try:
        ssh.connect(first["address"], first["port"], "root", key_filename=str(state_dir / "keys" / "id_ed25519"),
                    timeout=15, allow_agent=False, look_for_keys=False)
        if hop is None:
            status = run_true(ssh, script)
        else:
            channel = ssh.get_transport().open_channel("direct-tcpip", (target["address"], target["port"]),
                                                       ("127.0.0.1", 0))
            vm = client(known_hosts, known_name(target["name"], target["port"]))
            try:
                # the name, not the address: paramiko checks the key of "[name]:3922" (known_hosts)
                vm.connect(target["name"], target["port"], "root", sock=channel, timeout=15, allow_agent=False,
                           look_for_keys=False, key_filename=str(state_dir / "keys" / "id_rsa.cloud"))
                status = run_true(vm, script)
            finally:
                vm.close()
        return None if status == 0 else f"{target['name']}: exit {status}"
    except (OSError, paramiko.SSHException) as err:
        return f"{target['name']}: {type(err).__name__}: {err}"
    finally:
        ssh.close()


def main() -> int:
    tool, work, concurrency = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3])
    targets = json.loads((work / "targets.json").read_text())
    state_dir = Path((work / "state_dir").read_text().strip())
    by_name = {t["name"]: t for t in targets}
    if tool == "openssh":
        def one(target):
            return with_openssh(work, target)
    elif tool == "paramiko-reads":
        reads = json.loads((work / "reads.json").read_text())
        scripts = {kind: reads_script(kind_reads) for kind, kind_reads in reads["reads"].items()}

        def one(target):
            return with_paramiko(work, target, by_name, state_dir, scripts.get(target["kind"], "true"))
    else:
        def one(target):
            return with_paramiko(work, target, by_name, state_dir)
    with ThreadPoolExecutor(concurrency) as pool:
        failures = [f for f in pool.map(one, targets) if f]
    for failure in failures[:10]:
        print(failure)
    ran = "their readings" if tool == "paramiko-reads" else "`true`"
    print(f"{tool}: {len(targets) - len(failures)} of {len(targets)} targets ran {ran}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
