"""How the fleet benchmark runs each tool: its command line and environment, at concurrency C."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from benchmarks.peers.ansible import playbook

REPO = Path(__file__).resolve().parent.parent
ANSIBLE_VENV = REPO / ".venv-ansible"
ANSIBLE_REQUIREMENTS = REPO / "benchmarks" / "peers" / "ansible" / "requirements.txt"


def concurrency(inventory: Path) -> tuple[int, int, int]:
    """(workers, max_connections, C): `stackaudit run`'s `-n auto` (pytest-xdist's own count) times
    the inventory's ssh.max_connections, the SSH connections it has in flight at most."""
    from types import SimpleNamespace
    from xdist.plugin import pytest_xdist_auto_num_workers
    from stackaudit.config.inventory import load_inventory
    workers = pytest_xdist_auto_num_workers(SimpleNamespace(option=SimpleNamespace(numprocesses="auto")))
    per_process = load_inventory(inventory).ssh.max_connections
    return workers, per_process, workers * per_process


def ensure_ansible_venv(out=print) -> Path:
    """.venv-ansible with the pinned ansible-core (made once; remade when the pin changes)."""
    stamp = ANSIBLE_VENV / "requirements.txt"
    wanted = ANSIBLE_REQUIREMENTS.read_text()
    if not stamp.exists() or stamp.read_text() != wanted:
        out(f"making {ANSIBLE_VENV} ({ANSIBLE_REQUIREMENTS.relative_to(REPO)})")
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(ANSIBLE_VENV)], check=True)
        subprocess.run([str(ANSIBLE_VENV / "bin" / "pip"), "install", "-q", "--disable-pip-version-check",
                        "-r", str(ANSIBLE_REQUIREMENTS)], check=True)
        stamp.write_text(wanted)
    return ANSIBLE_VENV / "bin" / "ansible-playbook"


def floor(tool: str, work: Path, c: int) -> tuple[list[str], dict]:
    return [sys.executable, str(REPO / "benchmarks" / "floor.py"), tool, str(work), str(c)], dict(os.environ)


def stackaudit(inventory: Path, reports: Path, *extra: str) -> tuple[list[str], dict]:
    return ([sys.executable, "-m", "stackaudit", "run", f"--inventory={inventory}", f"--reports-dir={reports}", *extra],
            dict(os.environ))


def testinfra(work: Path, c: int) -> tuple[list[str], dict]:
    config = work / "ssh_config.testinfra"
    (work / "cm").mkdir(exist_ok=True)
    # testinfra's ssh backend adds ControlMaster=auto/ControlPersist=60s; the socket path is ours to give
    config.write_text((work / "ssh_config").read_text() + f"\nHost *\n  ControlPath {work / 'cm'}/%C\n")
    names = json.loads((work / "reads.json").read_text())["targets"]
    argv = [sys.executable, "-m", "pytest", str(REPO / "benchmarks" / "peers" / "testinfra"), "-q",
            "-p", "no:stackaudit.plugin", f"--numprocesses={c}", f"--ssh-config={config}",
            "--hosts=" + ",".join(f"ssh://{name}" for name in names)]
    return argv, {**os.environ, "BENCH_READS": str(work / "reads.json")}


def ansible(work: Path, c: int, ansible_playbook: Path) -> tuple[list[str], dict]:
    cfg = playbook.write(work, c)
    env = {**os.environ, "ANSIBLE_CONFIG": str(cfg), "ANSIBLE_HOME": str(work / "ansible-home"),
           "ANSIBLE_NOCOLOR": "1"}
    return [str(ansible_playbook), str(work / "reads.yml")], env
