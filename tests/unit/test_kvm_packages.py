"""KVM-PACKAGES: the rule (rules/kvm_packages.py) on dpkg-query's answer (parsers/dpkg.py) and the
zone's primary pools from listStoragePools (parsers/api_rows.py)."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stackaudit.config.policy import KvmPolicy, policy_from_data
from stackaudit.errors import ConfigError, UnparsableOutput
from stackaudit.parsers.api_rows import StoragePoolRow, parse_storage_pools
from stackaudit.parsers.dpkg import parse_dpkg_query
from stackaudit.rules.kvm_packages import package_findings, rbd_pools
from tests.unit.hypothesis_budget import examples

KVM = KvmPolicy()
ALL = KVM.packages + KVM.rbd_packages
# The compliant host of the catalog's lab line: Debian 11's qemu 1:5.2+dfsg-11+deb11u3.
COMPLIANT = {"cloudstack-agent": "4.19.0.0", "qemu-system-x86": "1:5.2+dfsg-11+deb11u3",
             "libvirt-daemon-driver-storage-rbd": "7.0.0-3", "qemu-block-extra": "1:5.2+dfsg-11+deb11u3"}


def dpkg(versions: dict[str, str], statuses: dict[str, str] | None = None) -> str:
    statuses = statuses or {}
    return "".join(f"{name}\t{statuses.get(name, 'install ok installed')}\t{version}\n"
                   for name, version in versions.items())


def judge(text: str, pools: list[str]):
    return package_findings(parse_dpkg_query(text), KVM.packages, KVM.rbd_packages, pools, KVM.qemu_floor)


def test_a_compliant_rbd_host_passes():
    verdict = judge(dpkg(COMPLIANT), ["ceph-pool"])
    assert verdict.findings == []
    assert verdict.evidence["required packages"] == list(ALL)


def test_a_missing_rbd_package_fails_only_where_the_zone_has_rbd():
    without = {k: v for k, v in COMPLIANT.items() if k != "qemu-block-extra"}
    assert judge(dpkg(without), ["ceph-pool"]).findings == [
        "qemu-block-extra is not installed (dpkg-query lists no such package)"]
    verdict = judge(dpkg(without), [])
    assert verdict.findings == []
    assert "no RBD primary storage" in verdict.evidence["RBD packages"]


def test_a_qemu_below_the_floor_fails():
    old = {**COMPLIANT, "qemu-system-x86": "1:5.0-14"}
    assert judge(dpkg(old), []).findings == [
        "qemu-system-x86 1:5.0-14 is below the policy floor 1:5.2 (dpkg --compare-versions)"]


def test_the_floor_compares_by_dpkg_rules_not_as_text():
    # 1:5.10 is above 1:5.2 by dpkg's rules; 5.2 without the epoch is below 1:5.2; ~ sorts before.
    assert judge(dpkg({**COMPLIANT, "qemu-system-x86": "1:5.10+dfsg-1"}), []).findings == []
    assert judge(dpkg({**COMPLIANT, "qemu-system-x86": "7.2+dfsg-7"}), []).findings
    assert judge(dpkg({**COMPLIANT, "qemu-system-x86": "1:5.2~rc1-1"}), []).findings


def test_removed_and_half_configured_packages_fail_and_a_held_one_passes():
    text = dpkg({**COMPLIANT, "cloudstack-agent": ""}, {"cloudstack-agent": "deinstall ok config-files"})
    assert judge(text, []).findings == [
        "cloudstack-agent is not installed: dpkg status 'deinstall ok config-files', not '... ok installed'"]
    half = dpkg(COMPLIANT, {"qemu-system-x86": "install ok half-configured"})
    assert judge(half, []).findings[0].startswith("qemu-system-x86 is not installed")
    held = dpkg(COMPLIANT, {"cloudstack-agent": "hold ok installed"})
    assert judge(held, ["ceph-pool"]).findings == []


def test_an_unparsable_version_is_broken_not_passed():
    with pytest.raises(UnparsableOutput, match="line 2"):
        judge(dpkg({**COMPLIANT, "qemu-system-x86": "x:5.2"}), [])


def test_rbd_pools_are_those_of_the_hosts_zone():
    rows = parse_storage_pools([
        {"id": "p1", "name": "nfs-1", "type": "NetworkFilesystem", "zoneid": "z1", "scope": "CLUSTER"},
        {"id": "p2", "name": "ceph-1", "type": "RBD", "zoneid": "z1", "scope": "ZONE"},
        {"id": "p3", "name": "ceph-2", "type": "RBD", "zoneid": "z2", "scope": "ZONE"},
        {"id": "p4", "type": "RBD", "zoneid": "z1"}])
    assert rbd_pools(rows, "z1") == ["ceph-1", "p4"]
    assert rbd_pools(rows, "z3") == []
    assert rbd_pools([StoragePoolRow("p5", "lower", "rbd", "z1")], "z1") == []   # the enum's name is exact


def test_a_storage_pool_row_of_the_wrong_shape_is_unparsable():
    with pytest.raises(UnparsableOutput, match="listStoragePools: row 1 .* field type is int"):
        parse_storage_pools([{"id": "p1", "name": "x", "type": 3}])
    with pytest.raises(UnparsableOutput, match="has no field id"):
        parse_storage_pools([{"name": "x", "type": "RBD"}])


@settings(max_examples=examples(100))
@given(missing=st.sets(st.sampled_from(ALL)), rbd=st.booleans(), order=st.permutations(list(COMPLIANT)))
def test_exactly_the_missing_required_packages_are_named(missing, rbd, order):
    text = dpkg({name: COMPLIANT[name] for name in order if name not in missing})
    findings = judge(text, ["ceph"] if rbd else []).findings
    required = set(ALL) if rbd else set(KVM.packages)
    assert {finding.split()[0] for finding in findings} == missing & required


def test_the_policy_reads_its_kvm_section_and_refuses_a_bad_floor():
    policy = policy_from_data({"kvm": {"packages": ["cloudstack-agent"], "qemu_floor": "1:7.2"}}, "p.yml")
    assert policy.kvm == KvmPolicy(("cloudstack-agent",), KVM.rbd_packages, "1:7.2")
    assert policy_from_data({}, "p.yml").kvm == KVM
    with pytest.raises(ConfigError, match="kvm.qemu_floor"):
        policy_from_data({"kvm": {"qemu_floor": "x:5.2"}}, "p.yml")
    with pytest.raises(ConfigError, match="kvm.packages"):
        policy_from_data({"kvm": {"packages": []}}, "p.yml")
