"""The suite only reads: a whole `stackaudit run` leaves every lab machine as it found it (issue 12, item 5).

Every machine is snapshotted (lab/snapshot.py: files under /etc, /root, /var/lib/cloudstack,
iptables-save and ip6tables-save, the process list, the MariaDB servers' binary log position and GTIDs)
before and after a full run on the lab with seeded violations, and twice before it, to show that
nothing in the snapshot moves by itself. The API and XAPI simulators log every call they receive: only
reads were made. A change planted after the run shows that the comparison sees one.
"""
from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from lab.snapshot import differences, snapshot_lab
from lab.state import LabState
from stackaudit.access_needs import api_commands
from stackaudit.report.summary import load_results

pytestmark = [pytest.mark.lab, pytest.mark.slow, pytest.mark.lab_scenario("violations.yml")]
REPO = Path(__file__).resolve().parent.parent.parent
# CloudStack's API reference (https://cloudstack.apache.org/api.html, "API Reference", 4.19): the
# list* commands return rows and change nothing; every command that changes the cloud is named for
# what it does (create*, update*, delete*, add*, ...), and none of those starts with "list".
API_READ = re.compile(r"^list[A-Z][A-Za-z]*$")
# XenAPI (https://xapi-project.github.io/xen-api/, "XenAPI Reference"): <class>.get_* reads fields or
# records; a session is opened and closed with these two, which change no object of the pool.
XAPI_READ = re.compile(r"^[a-zA-Z_]+\.get_[a-z_]+$")
XAPI_SESSION = {"session.login_with_password", "session.logout"}


def calls_log(lab: Path, simulator: str) -> Path:
    return lab / "sim" / f"{simulator}.calls.jsonl"


def calls_since(lab: Path, simulator: str, offsets: dict[str, int]) -> list[dict]:
    """The calls a simulator logged after `offsets` (the shared lab's logs hold other tests' calls too)."""
    path = calls_log(lab, simulator)
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_bytes()[offsets[simulator]:].decode().splitlines()]


@pytest.fixture(scope="module")
def audited(tmp_path_factory, labs):
    """The shared violations lab snapshotted around a full run; the changes planted afterwards are
    removed again, so the lab is left as the run found it for the tests after these."""
    work = tmp_path_factory.mktemp("read-only")
    lab = labs("violations.yml").state_dir
    offsets = {name: calls_log(lab, name).stat().st_size if calls_log(lab, name).exists() else 0
               for name in ("cloudstack_api", "xapi")}
    first = snapshot_lab(lab)
    try:
        settled = snapshot_lab(lab)
        logs = {path.parent.name: path for path in lab.glob("machines/*/console.log")}
        log_sizes = {name: path.stat().st_size for name, path in logs.items()}
        run = subprocess.run([sys.executable, "-m", "stackaudit", "run", f"--inventory={lab / 'inventory.yml'}",
                              f"--reports-dir={work / 'reports'}", "-p", "no:randomly"],
                             cwd=REPO, capture_output=True, text=True, timeout=900)
        after = snapshot_lab(lab)
        # what each machine's sshd logged of the run (lab/machine.py: `sshd -D -e` into console.log)
        sshd_logs = {name: path.read_bytes()[log_sizes[name]:].decode("utf-8", "replace") for name, path in logs.items()}
        planted = plant_changes(lab)
        tampered = snapshot_lab(lab)
    finally:
        remove_planted(lab)
    left = differences(after, snapshot_lab(lab))
    if left:
        labs.release()      # a changed lab is not shared further
    assert left == [], "\n".join(["the planted changes were not all removed:", *left])
    return {"first": first, "before": settled, "after": after, "tampered": tampered, "planted": planted,
            "run": run, "sshd_logs": sshd_logs, "results": load_results(work / "reports" / "latest" / "allure-results"),
            "api": calls_since(lab, "cloudstack_api", offsets), "xapi": calls_since(lab, "xapi", offsets)}


def plant_changes(lab: Path) -> list[str]:
    """A file under a KVM host's /etc and a rule in its firewall: what a writing suite would leave."""
    machine = LabState.load(lab).machines["kvm01"]
    Path(f"/proc/{machine['pid']}/root/etc/stackaudit-was-here").write_text("x\n")
    subprocess.run(["ip", "netns", "exec", machine["netns"], "iptables", "-A", "INPUT", "-p", "tcp", "--dport",
                    "9", "-j", "DROP"], check=True)
    return ["/kvm01/files//etc/etc/stackaudit-was-here: new",
            "/kvm01/iptables/iptables-save: new '-A INPUT -p tcp -m tcp --dport 9 -j DROP'"]


def remove_planted(lab: Path) -> None:
    """Undo plant_changes (each step only if it was made)."""
    machine = LabState.load(lab).machines["kvm01"]
    Path(f"/proc/{machine['pid']}/root/etc/stackaudit-was-here").unlink(missing_ok=True)
    rule = ["-p", "tcp", "--dport", "9", "-j", "DROP"]
    netns = ["ip", "netns", "exec", machine["netns"], "iptables"]
    if subprocess.run([*netns, "-C", "INPUT", *rule], capture_output=True).returncode == 0:
        subprocess.run([*netns, "-D", "INPUT", *rule], check=True)


def test_the_snapshot_covers_every_machine_and_does_not_move_by_itself(audited):
    machines = audited["before"]
    assert {"kvm01", "xs01", "db1", "db2", "ms1"} <= set(machines)
    assert [name for name, m in machines.items() if not (m["files"]["/etc"] and m["processes"])] == []
    assert all(machines[name]["iptables"]["iptables-save"] for name in ("kvm01", "xs01", "ms1"))
    assert audited["before"]["db1"]["binlog"]["master_status"]
    moved = differences(audited["first"], audited["before"])
    assert moved == [], "\n".join(moved)


def test_a_full_run_changes_nothing_on_any_machine(audited):
    assert audited["run"].returncode in (0, 1, 6, 7), audited["run"].stdout + audited["run"].stderr
    changed = differences(audited["before"], audited["after"])
    assert changed == [], "\n".join(changed)
    assert len(audited["results"]) > 70 and any(r.status == "failed" for r in audited["results"])


def test_the_comparison_sees_a_planted_change(audited):
    found = differences(audited["after"], audited["tampered"])
    for planted in audited["planted"]:
        assert any(line.startswith(planted) for line in found), (planted, found)


def test_the_api_was_only_read(audited):
    commands = {call["command"] or f"(not the API) {call['path']}" for call in audited["api"]}
    assert {"listHosts", "listConfigurations", "listManagementServers"} <= commands
    assert sorted(c for c in commands if not API_READ.match(c)) == []


def test_every_api_command_a_run_sends_is_one_the_read_only_role_allows(audited):
    """docs/accounts.md's role (access_needs.api_commands) is made from the code; a whole run sends
    nothing outside it."""
    commands = {call["command"] for call in audited["api"] if call["command"]}
    assert {"listHosts", "listUsers", "listTrafficTypes"} <= commands
    assert sorted(commands - set(api_commands())) == []


def test_xapi_was_only_read(audited):
    methods = {call["method"] for call in audited["xapi"]}
    assert XAPI_SESSION <= methods and any(XAPI_READ.match(m) for m in methods)
    assert sorted(m for m in methods if not (XAPI_READ.match(m) or m in XAPI_SESSION)) == []


def test_every_machine_was_logged_into_once_over_one_connection(audited):
    """One SSH connection per sshd for the whole run (issue 13): a host's own commands and its system
    VMs' channels share it, and no probe connects beside it. OpenSSH's sshd logs "Accepted publickey
    for USER from ADDRESS" for each login it accepts (at its default LogLevel INFO), and, at
    LogLevel VERBOSE, "Connection from ADDRESS port P on ..." for each TCP connection."""
    logs = audited["sshd_logs"]
    assert {"kvm01", "xs01", "ms1", "db1", "s-1-VM", "r-3-VM"} <= set(logs)
    logins = {name: log.count("Accepted publickey for root from ") for name, log in logs.items()}
    assert logins == {name: 1 for name in logs}, logins
    connections = {name: log.count("Connection from ") for name, log in logs.items()}
    assert set(connections.values()) in ({0}, {1}), connections     # 0: sshd logs them only at VERBOSE
