"""KVM-CGROUP2-CPU-WEIGHT, selected alone on its matrix scenario: it reads `stat -fc %T /sys/fs/cgroup` and one
dpkg-query on each KVM host, nothing else (the version listHosts reports comes with discovery), and each host's
stat answers what the lab really mounted in that host's mount namespace."""
from __future__ import annotations

import json

import pytest

from tests.checks.suite_run import run_suite
from tests.checks.test_selected_facts import collected

pytestmark = [pytest.mark.lab, pytest.mark.slow, pytest.mark.lab_scenario("matrix/kvm_cgroup2.yml")]

CHECK = "KVM-CGROUP2-CPU-WEIGHT"
EXPECTED = {"kvm01": "failed", "kvm02": "passed", "kvm03": "passed", "kvm04": "passed", "kvm05": "failed",
            "kvm06": "broken", "kvm07": "broken", "kvm08": "passed"}
MOUNTED = {"kvm04": "tmpfs", "kvm07": "ramfs"}    # every other host: cgroup2


def test_kvm_cgroup2_reads_the_cgroup_mount_and_dpkg_on_kvm_hosts_only(tmp_path, lab):
    inventory = lab("matrix/kvm_cgroup2.yml").path("inventory.yml")
    run = run_suite(inventory, tmp_path / "cgroup2", "--allure-label", f"check_id={CHECK}")
    assert run.outcomes() == {(CHECK, f"kvm-host://zone1/{host}"): outcome for host, outcome in EXPECTED.items()}, \
        run.output[-2000:]
    facts = {target: parts for target, parts in collected(tmp_path / "cgroup2").items() if parts}
    assert sorted(facts) == sorted(f"kvm-host://zone1/{host}" for host in EXPECTED), sorted(facts)
    for target, parts in facts.items():
        assert sorted(parts) == ["ssh"] and sorted(parts["ssh"]["sections"]) == ["cgroup_fs", "kvm_packages"], \
            json.dumps(parts)[:500]
        stat = parts["ssh"]["sections"]["cgroup_fs"]
        assert stat["stdout"].strip() == MOUNTED.get(target.rsplit("/", 1)[1], "cgroup2fs"), stat
