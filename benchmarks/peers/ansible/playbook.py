"""StackAudit's SSH reads as an Ansible playbook, with its inventory and ansible.cfg.

One named task per reading (the usual one-task-per-check layout), run on the hosts whose kind
declares it (`when`), `ansible.builtin.shell` because the reads are shell lines (pipelines, loops).
Settings (Ansible, "Ansible configuration settings", ansible-core 2.19, 2025,
https://docs.ansible.com/ansible/latest/reference_appendices/config.html):
forks = C, pipelining on (one SSH exec per task instead of put + exec), facts gathering off,
host key checking on against the lab's known_hosts (through ssh_config), the ssh connection
plugin's default ControlMaster/ControlPersist reuse, and the interpreter given (no discovery).
"""
from __future__ import annotations

import json
from pathlib import Path

import yaml


def group(kind: str) -> str:
    return kind.replace("-", "_")    # Ansible warns on group names with dashes


def inventory(bench: dict) -> dict:
    groups = {}
    for name, kind in bench["targets"].items():
        entry = groups.setdefault(group(kind), {"hosts": {}, "vars": {"reads": bench["reads"][kind]}})
        entry["hosts"][name] = None
    return {"all": {"vars": {"ansible_python_interpreter": "/usr/bin/python3"}, "children": groups}}


def playbook(bench: dict) -> list[dict]:
    sections = sorted({section for reads in bench["reads"].values() for section in reads})
    tasks = [{"name": f"read {section}", "ansible.builtin.shell": f"{{{{ reads[{section!r}].line }}}}",
              "when": f"{section!r} in reads", "register": "result", "changed_when": False,
              "failed_when": f"result.rc not in reads[{section!r}].ok and not (reads[{section!r}].absent_ok "
                             "and 'No such file' in result.stderr)"} for section in sections]
    return [{"name": "StackAudit's reads", "hosts": "all", "gather_facts": False, "tasks": tasks}]


def ansible_cfg(work: Path, forks: int) -> str:
    return ("[defaults]\n"
            f"inventory = {work / 'ansible-inventory.yml'}\n"
            f"forks = {forks}\nhost_key_checking = True\ngathering = explicit\n"
            "interpreter_python = /usr/bin/python3\nretry_files_enabled = False\n"
            f"local_tmp = {work / 'ansible-local'}\n"
            "[ssh_connection]\npipelining = True\n"
            f"ssh_args = -F {work / 'ssh_config'} -o ControlMaster=auto -o ControlPersist=60s\n"
            f"control_path_dir = {work / 'ansible-cp'}\n")


def write(work: Path, forks: int) -> Path:
    """Write the playbook, inventory and config into `work`; returns the ansible.cfg path."""
    bench = json.loads((work / "reads.json").read_text())
    (work / "ansible-inventory.yml").write_text(yaml.safe_dump(inventory(bench), sort_keys=False))
    (work / "reads.yml").write_text(yaml.safe_dump(playbook(bench), sort_keys=False, width=200))
    (work / "ansible.cfg").write_text(ansible_cfg(work, forks))
    return work / "ansible.cfg"
