"""SVM-SSVM-OFFERING reads the cloud's API only: selected alone, it asks listConfigurations and
listServiceOfferings of the cloud target and nothing of the secondary storage VMs it judges."""
from __future__ import annotations

import pytest

from tests.checks.suite_run import run_suite
from tests.checks.test_selected_facts import collected

pytestmark = [pytest.mark.lab, pytest.mark.slow, pytest.mark.lab_scenario("compliant.yml")]


def test_ssvm_offering_collects_the_cloud_s_settings_and_offerings_only(tmp_path, lab):
    inventory = lab("compliant.yml").path("inventory.yml")
    run = run_suite(inventory, tmp_path / "offering", "--allure-label", "check_id=SVM-SSVM-OFFERING")
    assert run.outcomes() and set(run.outcomes().values()) == {"passed"}, run.output[-2000:]
    assert all(target.startswith("ssvm://") for _, target in run.outcomes())
    facts = {target: parts for target, parts in collected(tmp_path / "offering").items() if parts}
    assert [target for target in facts] == [t for t in facts if t.startswith("cloud://")] != [], sorted(facts)
    (cloud,) = facts.values()
    assert sorted(cloud) == ["api"], sorted(cloud)
    assert sorted(cloud["api"]["read"]) == ["configurations", "ssvm_offerings"], cloud["api"]["read"]
    assert "listServiceOfferings issystem=true systemvmtype=secondarystoragevm" in \
        cloud["api"]["read"]["ssvm_offerings"]["used"]
