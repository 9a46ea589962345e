"""KVM-PACKAGES, selected alone, reads one dpkg-query on each KVM host and listStoragePools of the
cloud, nothing else; on the matrix scenario its evidence says why the RBD packages were (not) required."""
from __future__ import annotations

import json

import pytest

from tests.checks.suite_run import run_suite
from tests.checks.test_selected_facts import collected

pytestmark = [pytest.mark.lab, pytest.mark.slow, pytest.mark.lab_scenario("matrix/kvm_packages.yml")]


def test_kvm_packages_collects_dpkg_on_kvm_hosts_and_the_cloud_s_storage_pools_only(tmp_path, lab):
    inventory = lab("matrix/kvm_packages.yml").path("inventory.yml")
    run = run_suite(inventory, tmp_path / "packages", "--allure-label", "check_id=KVM-PACKAGES")
    assert run.outcomes() == {
        ("KVM-PACKAGES", "kvm-host://zone1/kvm01"): "failed", ("KVM-PACKAGES", "kvm-host://zone1/kvm02"): "passed",
        ("KVM-PACKAGES", "kvm-host://zone2/kz2a"): "passed", ("KVM-PACKAGES", "kvm-host://zone2/kz2b"): "failed",
    }, run.output[-2000:]
    facts = {target: parts for target, parts in collected(tmp_path / "packages").items() if parts}
    kvm_hosts = sorted(t for t in facts if t.startswith("kvm-host://"))
    assert kvm_hosts == sorted(target for _, target in run.outcomes()), sorted(facts)
    assert len([t for t in facts if t.startswith("cloud://")]) == 1 and len(facts) == 5, sorted(facts)
    for target, parts in facts.items():
        if target.startswith("cloud://"):
            assert sorted(parts) == ["api"] and sorted(parts["api"]["read"]) == ["storage_pools"], parts
            assert parts["api"]["read"]["storage_pools"]["used"] == "listStoragePools"
        else:
            assert sorted(parts) == ["ssh"] and sorted(parts["ssh"]["sections"]) == ["kvm_packages"], json.dumps(parts)[:500]
