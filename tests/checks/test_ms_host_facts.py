"""The management-server host checks of issue 22, each selected alone on its matrix lab: it reads its
own commands on each management server and nothing else, and its evidence is what the real tools
said (MS-SELINUX-MODE, MS-MKISOFS, MS-FQDN)."""
from __future__ import annotations

import json

import pytest

from tests.checks.fault_lab import attachment
from tests.checks.suite_run import run_suite
from tests.checks.test_selected_facts import collected

pytestmark = [pytest.mark.lab, pytest.mark.slow]


def run_alone(lab, work, scenario: str, check: str, outcomes: dict[str, str], sections: list[str]):
    """Runs `check` alone; asserts each server's outcome and that only `sections` were read over SSH."""
    run = run_suite(lab(scenario).path("inventory.yml"), work, "--allure-label", f"check_id={check}")
    assert run.outcomes() == {(check, f"mgmt://{name}"): outcome for name, outcome in outcomes.items()}, \
        run.output[-2000:]
    facts = {target: parts for target, parts in collected(work).items() if parts}
    assert sorted(facts) == sorted(f"mgmt://{name}" for name in outcomes)
    for target, parts in facts.items():
        assert sorted(parts) == ["ssh"] and sorted(parts["ssh"]["sections"]) == sections, target
    return lambda name, evidence: json.loads(attachment(run, check, f"mgmt://{name}", evidence))


@pytest.mark.lab_scenario("matrix/ms_selinux.yml")
def test_ms_selinux_mode_reads_getenforce_and_the_config_only(tmp_path, lab):
    evidence = run_alone(lab, tmp_path / "selinux", "matrix/ms_selinux.yml", "MS-SELINUX-MODE", {
        "ms1": "failed", "ms2": "passed", "ms3": "failed", "ms4": "broken", "ms5": "broken", "ms6": "passed",
        "ms7": "passed"}, ["getenforce", "selinux_config"])
    assert evidence("ms2", "SELinux modes") == {
        "running (getenforce)": "permissive", "at the next boot (/etc/selinux/config)": "permissive",
        "allowed (ms.selinux_modes)": ["permissive", "disabled"]}
    ms7 = evidence("ms7", "SELinux modes")
    assert ms7["running (getenforce)"] == "no getenforce: disabled"
    assert ms7["at the next boot (/etc/selinux/config)"] == "no file: disabled"


@pytest.mark.lab_scenario("matrix/ms_mkisofs.yml")
def test_ms_mkisofs_reads_the_iso_programs_only(tmp_path, lab):
    evidence = run_alone(lab, tmp_path / "iso", "matrix/ms_mkisofs.yml", "MS-MKISOFS", {
        "ms1": "failed", "ms2": "failed", "ms3": "failed", "ms4": "failed", "ms5": "passed", "ms6": "passed"},
        ["iso_tools"])
    assert evidence("ms1", "ISO programs CloudStack tries") == {}
    assert evidence("ms2", "ISO programs CloudStack tries") == {
        "/usr/bin/genisoimage": "regular file, mode 0644, root:root",
        "/usr/bin/mkisofs": "regular file, mode 0755, root:root"}
    assert evidence("ms6", "ISO programs CloudStack tries") == {
        "/usr/bin/genisoimage": "regular file, mode 0711, root:root"}


@pytest.mark.lab_scenario("matrix/ms_fqdn.yml")
def test_ms_fqdn_reads_the_name_and_its_lookup_only(tmp_path, lab):
    evidence = run_alone(lab, tmp_path / "fqdn", "matrix/ms_fqdn.yml", "MS-FQDN", {
        "ms1": "failed", "ms2": "failed", "ms3": "failed", "ms4": "failed", "ms5": "passed", "ms6": "passed",
        "ms7": "broken"}, ["etc_hostname", "etc_hosts", "fqdn_lookup", "hostname", "ip_addresses"])
    name = "the server's fully qualified name"
    assert evidence("ms5", name)["resolves to (getent ahosts)"] == ["fd00:5341:4c41::c612:e"]
    ms6 = evidence("ms6", name)
    assert ms6["hostname --fqdn"] == "ms6.lab.example"
    assert ms6["resolves to (getent ahosts)"] == ["127.0.1.1", "198.18.0.15"]


@pytest.mark.lab_scenario("matrix/ms_vhdutil.yml")
def test_ms_vhdutil_reads_vhd_util_only(tmp_path, lab):
    evidence = run_alone(lab, tmp_path / "vhd", "matrix/ms_vhdutil.yml", "MS-VHDUTIL", {
        "ms1": "failed", "ms2": "failed", "ms3": "failed", "ms4": "failed", "ms5": "passed"}, ["vhd_util"])
    assert evidence("ms5", "vhd-util") == {
        "/usr/share/cloudstack-common/scripts/vm/hypervisor/xenserver/vhd-util": "regular file, mode 0711, root:root"}


@pytest.mark.lab_scenario("matrix/ms_fqdn.yml")
def test_ms_vhdutil_has_no_item_in_a_kvm_only_cloud(tmp_path, lab):
    run = run_suite(lab("matrix/ms_fqdn.yml").path("inventory.yml"), tmp_path / "vhd-kvm",
                    "--allure-label", "check_id=MS-VHDUTIL")
    assert run.outcomes() == {}, run.output[-2000:]
    reasons = {target: reason for (check, target), reason in run.not_applicable.items() if check == "MS-VHDUTIL"}
    assert reasons == {f"mgmt://ms{n}": "the cloud has no XenServer cluster (listClusters hypervisortype)"
                       for n in range(1, 8)}, run.not_applicable
    assert not any(parts for parts in collected(tmp_path / "vhd-kvm").values())
