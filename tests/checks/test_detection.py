"""The detection matrix: each check fails on exactly the seeded targets and passes everywhere else."""
from __future__ import annotations

import json

import pytest

from stackaudit.catalog import catalog

pytestmark = [pytest.mark.lab, pytest.mark.slow]

@pytest.mark.lab_scenario("compliant.yml")
def test_compliant_cloud_passes_every_check_on_every_target(suite_run):
    result = suite_run("compliant.yml")
    assert {check for check, _ in result.outcomes()} == set(catalog())
    assert result.not_passed() == {} and result.not_applicable == {}, result.output
    assert result.exit_code == 0, result.output


@pytest.mark.lab_scenario("violations.yml")
def test_failure_messages_say_what_was_found_and_what_is_wanted(suite_run):
    messages = {(r.check_id, r.target): r.message for r in suite_run("violations.yml").results}
    assert "no explicit timeout: XenServer's default applies; the policy wants 180 s" in \
        messages[("XS-POOL-HA-TIMEOUT", "xs-pool://zone1/xen-pool1")]
    assert "/etc/iptables/rules.v4 does not exist" in messages[("HOST-IPTABLES-V4", "kvm-host://zone1/kvm02")]
    assert "1.1.1k-1+deb11u1" in messages[("SVM-LIBSSL-PATCHED", "cpvm://zone1/v-2-VM")]
    assert "binlog_format STATEMENT" in messages[("DB-BINLOG-ROW", "db://db2")]


@pytest.mark.lab_scenario("violations.yml")
def test_parallel_run_gives_the_same_results(suite_run):
    serial = suite_run("violations.yml")
    parallel = suite_run("violations.yml", "-n", "4")
    assert parallel.outcomes() == serial.outcomes(), parallel.output
    # what the workers left out at collection reaches the controller as one process lists it
    assert parallel.not_applicable == serial.not_applicable, parallel.output
    assert parallel.exit_code == 1


@pytest.mark.lab_scenario("violations.yml")
def test_pre_upgrade_profile_selects_its_checks(suite_run):
    result = suite_run("violations.yml", "-m", "pre_upgrade")
    assert {c for c, _ in result.outcomes()} == {c for c, r in catalog().items() if "pre_upgrade" in r.profiles}
    assert {c for c, _ in result.not_applicable} <= {c for c, r in catalog().items() if "pre_upgrade" in r.profiles}
    assert result.exit_code == 1


@pytest.mark.lab_scenario("violations.yml")
def test_allure_label_selects_one_check_by_its_id(suite_run):
    result = suite_run("violations.yml", "--allure-label", "check_id=DB-BINLOG-ROW")
    assert result.outcomes() == {("DB-BINLOG-ROW", "db://db1"): "passed", ("DB-BINLOG-ROW", "db://db2"): "failed"}


@pytest.mark.lab_scenario("violations.yml")
def test_every_result_carries_its_metadata_and_evidence(suite_run):
    result = suite_run("violations.yml")
    for path in (result.work / "allure-results").glob("*-result.json"):
        data = json.loads(path.read_text())
        labels = {label["name"]: label["value"] for label in data["labels"]}
        assert {"check_id", "target", "severity", "epic"} <= set(labels), path
        assert "<h3><b>WHY</b></h3>" in data["descriptionHtml"], path
        # a broken result gives the fix of its reason instead of the rule's remediation (report/not_checked.py)
        fix = "<h3><b>TO LET IT BE CHECKED</b></h3>" if data["status"] == "broken" else "<h3><b>REMEDIATION</b></h3>"
        assert fix in data["descriptionHtml"], path
        assert "description" not in data, "Allure 2 shows a Markdown description as plain text"
        assert data.get("attachments"), f"{labels['check_id']} {labels['target']} has no evidence"


@pytest.mark.lab_scenario("violations.yml")
def test_no_secret_of_the_lab_reaches_a_report_or_the_collected_facts(suite_run, lab):
    result = suite_run("violations.yml")
    keys = lab("violations.yml").path("keys")
    secrets = [(keys / name).read_text().strip() for name in
               ("api.key", "api.secret", "xapi.password", "db-audit.password", "db-replication.password")]
    secrets += ["lab-keystore-passphrase"]   # agent.properties keystore.passphrase, collected from KVM hosts
    # db.properties' jasypt ciphertexts (lab/parts/mgmt.py mgmt_spec), collected from management servers
    secrets += ["5z2R3y1Lb8kq0m9VtQeW4w==", "Qm9oHq7d0V3uZs1kXa2PbA=="]
    secrets += [line for line in (keys / "id_rsa.cloud").read_text().splitlines()[1:-1]]
    written = [p for d in ("allure-results", "reports") for p in (result.work / d).rglob("*") if p.is_file()]
    assert written
    leaks = [(p.name, s[:8]) for p in written for s in secrets if s and s in p.read_text(errors="replace")]
    assert leaks == []


@pytest.mark.lab_scenario("hostile_tenants.yml", "compliant.yml")
def test_tenants_naming_things_like_secrets_change_no_verdict(suite_run):
    """Issue 18: VM, network and account names shaped like `token=CLOUDSTACK-SERVICES` whose values
    are chain names, option words, listeners and host names give exactly the compliant lab's
    results; the names did reach the collected facts, masked only in what the run wrote out."""
    hostile = suite_run("hostile_tenants.yml")
    compliant = suite_run("compliant.yml")
    same_cloud = {(check, target.replace("cloud://lab-hostile-tenants", "cloud://lab-compliant")): status
                  for (check, target), status in hostile.outcomes().items()}
    assert same_cloud == compliant.outcomes(), hostile.output[-3000:]
    assert hostile.not_passed() == {} and hostile.exit_code == 0, hostile.output[-3000:]
    run_dirs = [p.parent for p in (hostile.work / "reports" / "runs").glob("*/targets.json")]
    assert len(run_dirs) == 1 and not (run_dirs[0] / ".raw").exists()    # the raw facts did not stay
    facts = {p.name: p.read_text() for p in (run_dirs[0] / "facts").glob("*.json")}
    pool = next(text for name, text in facts.items() if name.startswith("xs-pool"))
    cloud = next(text for name, text in facts.items() if name.startswith("cloud"))
    assert "web token=********" in pool and "CLOUDSTACK-SERVICES" not in pool
    assert "token=********" in cloud and "--listen" not in cloud
    host = next(text for name, text in facts.items() if name.startswith("kvm-host"))
    assert "CLOUDSTACK-SERVICES" in host and "--listen" in host   # the hosts' own words are not secrets
