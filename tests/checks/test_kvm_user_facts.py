"""KVM-CS-USER, selected alone, reads getent passwd and `sudo -l -U` (real sudo, each host's own sudoers)
on each KVM host and one query of the username details on a database server, nothing else; the
`password` detail beside it appears in no output of the run."""
from __future__ import annotations

import json

import pytest

from lab.parts.db_hosts import HOST_PASSWORD
from tests.checks.fault_lab import attachment
from tests.checks.suite_run import run_suite
from tests.checks.test_selected_facts import collected

pytestmark = [pytest.mark.lab, pytest.mark.slow, pytest.mark.lab_scenario("matrix/kvm_user.yml")]

EVIDENCE = "the user CloudStack logs in as, and its sudo"


def test_kvm_cs_user_reads_the_username_row_and_the_host_s_sudo_only(tmp_path, lab):
    inventory = lab("matrix/kvm_user.yml").path("inventory.yml")
    run = run_suite(inventory, tmp_path / "user", "--allure-label", "check_id=KVM-CS-USER")
    host = "kvm-host://zone1/"
    assert run.outcomes() == {("KVM-CS-USER", host + name): outcome for name, outcome in (
        ("kvm01", "failed"), ("kvm02", "passed"), ("kvm03", "failed"), ("kvm04", "passed"),
        ("kvm05", "broken"), ("kvm06", "broken"), ("kvm07", "broken"))}, run.output[-2000:]
    facts = {target: parts for target, parts in collected(tmp_path / "user").items() if parts}
    # every member's facts are collected before the check runs; the check uses the first that answers
    assert [t for t in facts if t.startswith("db://")] == ["db://db1", "db://db2"], sorted(facts)
    for database in ("db://db1", "db://db2"):
        query = facts[database]["sql"]["queries"]
        assert sorted(query) == ["cloudstack_ssh_users"]
        assert "d.name = 'username'" in query["cloudstack_ssh_users"]["used"]
        assert "password" not in query["cloudstack_ssh_users"]["used"]
    for target in (t for t in facts if t.startswith("kvm-host://")):
        assert sorted(facts[target]) == ["ssh"], target
        assert sorted(facts[target]["ssh"]["sections"]) == ["cs_user_passwd", "cs_user_sudo"], target
    # kvm03 has no such user: sudo was asked nothing the rule reads (getent decides)
    kvm02 = json.loads(attachment(run, "KVM-CS-USER", host + "kvm02", EVIDENCE))
    assert kvm02["requiretty"] == "!requiretty" and kvm02["sudo rules"] == ["(ALL : ALL) ALL [NOPASSWD]"], kvm02
    assert kvm02["read from"] == "cloud.host_details on db://db1"
    kvm04 = json.loads(attachment(run, "KVM-CS-USER", host + "kvm04", EVIDENCE))
    assert kvm04 == {"user": "root", "read from": "cloud.host_details on db://db1"}
    password = HOST_PASSWORD.format(name="")
    leaked = [str(p) for p in tmp_path.rglob("*") if p.is_file() and password.encode() in p.read_bytes()]
    assert leaked == []
