"""Faults of connections, commands, services, logins and discovery in the shared compliant lab
(tests/checks/fault_lab.py says what each fault test asserts)."""
from __future__ import annotations

import pytest

from lab.faults import CUT_SHORT, GARBLED
from tests.checks.fault_lab import (
    BRIDGE_ADDRESS, BURST, CLOUD, DB_SQL, DB_SSH, KVM_SSH, MGMT_SSH, SSVM_SSH, SVM_SSH, TIMEOUT, XS_SSH,
    api_settings_fault, assert_faults_reported, attachment, databases_fault, known_hosts_with_changed_key,
    kvm_cluster_fault, on, wrong_secret, xapi_pool_fault)

pytestmark = [pytest.mark.lab, pytest.mark.slow, pytest.mark.lab_scenario("compliant.yml")]


def test_connection_faults(fault_lab):
    """No listener, no route, an sshd that accepts and never sends its banner, a refused SSH login,
    a changed host key, and the API answering 503."""
    f = fault_lab.faults

    def change(doc):
        doc["ssh"]["known_hosts"] = known_hosts_with_changed_key(fault_lab, "xs02", "xs03")
    result, seconds = fault_lab.run("connect", [
        lambda: f.reject_tcp("kvm01", 22),
        lambda: f.reject_tcp("kvm03", 22, "icmp-host-unreachable"),
        lambda: f.stop_sshd("ms2"),
        lambda: f.bind_over("db1", "/root/.ssh/authorized_keys", ""),
        lambda: f.api_faults({"listConfigurations": {"mode": "unavailable"}}),
    ], fault_lab.inventory_with("connect", change))
    assert_faults_reported(fault_lab, result, seconds, {
        **api_settings_fault("CloudStack API: listConfigurations: HTTP 503 Service Unavailable"),
        **on("kvm-host://zone1/kvm01", KVM_SSH, "kvm-host://zone1/kvm01: cannot connect: Connection refused"),
        **on("ssvm://zone1/s-1-VM", SSVM_SSH, "host kvm01: cannot connect: Connection refused"),
        **on("kvm-host://zone1/kvm03", KVM_SSH, "kvm-host://zone1/kvm03: cannot connect: No route to host"),
        **on("router://zone1/r-4-VM", SVM_SSH, "host kvm03: cannot connect: No route to host"),
        ("HOST-UUID-UNIQUE", CLOUD): "could not read xs-host://zone1/xs02",
        **kvm_cluster_fault("could not read kvm-host://zone1/kvm01: cannot connect: Connection refused"),
        **on("mgmt://ms2", MGMT_SSH, f"mgmt://ms2: no SSH banner within {TIMEOUT}s"),
        **on("db://db1", DB_SSH, "db://db1: SSH login as root refused"),
        ("DB-VIP-SINGLE-HOLDER", CLOUD): "could not read db://db1: SSH login as root refused; mgmt://ms2: no SSH banner",
        ("MS-BUILD-IDENTICAL", CLOUD): "could not read mgmt://ms2: no SSH banner",
        **on("xs-host://zone1/xs02", XS_SSH, "xs-host://zone1/xs02: host key changed"),
    })
    message = next(r.message for r in result.results if (r.check_id, r.target) == ("HOST-UUID-UNIQUE", CLOUD))
    assert "Connection refused" in message and "No route to host" in message, message


def test_command_faults(fault_lab):
    """A command that hangs, output cut short, garbled output, XAPI login refused, an API error envelope."""
    f = fault_lab.faults

    def change(doc):
        doc["xenserver"]["password_file"] = wrong_secret(fault_lab, "xapi-wrong.password")
    result, seconds = fault_lab.run("commands", [
        lambda: f.bind_over("kvm02", "/etc/cloudstack/agent/agent.properties", fifo=True),
        lambda: f.bind_over("ms1", "/usr/bin/hostname", CUT_SHORT),
        lambda: f.bind_over("ms2", "/usr/bin/ip", GARBLED),
        lambda: f.api_faults({"listDomains": {"mode": "error"}}),
    ], fault_lab.inventory_with("commands", change))
    assert_faults_reported(fault_lab, result, seconds, {
        **api_settings_fault("CloudStack API: listDomains: error 530: Command failed due to Internal Server Error"),
        **on("kvm-host://zone1/kvm02", KVM_SSH, f"command did not finish within {TIMEOUT}s (ssh.command_timeout)"),
        ("HOST-UUID-UNIQUE", CLOUD): "kvm-host://zone1/kvm02: command did not finish",
        **kvm_cluster_fault("could not read kvm-host://zone1/kvm02: command did not finish"),
        **on("mgmt://ms1", MGMT_SSH, "mgmt://ms1: garbled output: stdout: cut short in section 'hostname'"),
        **on("mgmt://ms2", MGMT_SSH, "mgmt://ms2: garbled output: not UTF-8 text in stdout of section 'ip_addresses'"),
        ("DB-VIP-SINGLE-HOLDER", CLOUD): "could not read mgmt://ms1: garbled output: stdout: cut short",
        ("MS-BUILD-IDENTICAL", CLOUD): "could not read mgmt://ms1: garbled output: stdout: cut short",
        **xapi_pool_fault("XAPI 198.18.1.1: login as root refused"),
    })


def test_service_faults(fault_lab):
    """The API timing out, the XAPI master unreachable while a member answers HOST_IS_SLAVE, MariaDB
    down, and a target clock 30 hours behind (its backups are judged on its own clock: no change)."""
    f = fault_lab.faults
    result, seconds = fault_lab.run("services", [
        lambda: f.api_faults({"listLdapConfigurations": {"mode": "hang", "seconds": 3 * TIMEOUT}}),
        lambda: f.xapi_reset([fault_lab.address("xs01")]),
        lambda: f.reject_tcp("db2", 3306, source=BRIDGE_ADDRESS),
        lambda: f.skew_clock("kvm01", -30 * 3600, "/var/backups/cloudstack/*"),
    ])
    assert_faults_reported(fault_lab, result, seconds, {
        **api_settings_fault(f"CloudStack API: listLdapConfigurations: no answer within {TIMEOUT}s (timed out)"),
        **xapi_pool_fault("XAPI 198.18.1.1:443: cannot connect: the connection was closed or reset during the TLS handshake"),
        **on("db://db2", DB_SQL, "MariaDB 198.18.0.101:3306: cannot connect (2003): [Errno 111] Connection refused"),
        ("DB-REPLICATION-HEALTHY", CLOUD): "could not read db://db2: MariaDB 198.18.0.101:3306: cannot connect",
        ("DB-VIP-SINGLE-HOLDER", CLOUD): "could not read db://db2: MariaDB 198.18.0.101:3306: cannot connect",
    })
    assert attachment(result, "GATE-BACKUP-FRESH", "kvm-host://zone1/kvm01", "clock skew") == (
        "the target's clock is 30.0 h behind the auditor's; backup ages are judged on the target's clock")
    # The master's address came from a member: xs01 reset discovery's first login, xs02 named it.
    log = (fault_lab.faults.state_dir / "sim" / "xapi.log").read_text()
    assert f"{fault_lab.address('xs02')} session.login_with_password HOST_IS_SLAVE" in log


def test_login_burst_and_paging_faults(fault_lab):
    """MariaDB login refused, sshd dropping every new connection (MaxStartups full: 100
    unauthenticated connections pending), API paging whose count disagrees with its rows."""
    def change(doc):
        doc["databases"]["password_file"] = wrong_secret(fault_lab, "db-wrong.password")
    result, seconds = fault_lab.run("logins", [
        lambda: fault_lab.faults.hold_unauthenticated(fault_lab.address("kvm03")),
        lambda: fault_lab.faults.api_faults({"listAccounts": {"mode": "count_extra", "rows": 1}}),
    ], fault_lab.inventory_with("logins", change))
    assert_faults_reported(fault_lab, result, seconds, {
        **api_settings_fault("CloudStack API: listAccounts: count says 3 rows but the pages held 2"),
        **on("db://db1", DB_SQL, "MariaDB 198.18.0.100:3306: login as stackaudit refused (1045)"),
        **on("db://db2", DB_SQL, "MariaDB 198.18.0.101:3306: login as stackaudit refused (1045)"),
        ("DB-REPLICATION-HEALTHY", CLOUD): "login as stackaudit refused",
        ("DB-VIP-SINGLE-HOLDER", CLOUD): "login as stackaudit refused",
        **on("kvm-host://zone1/kvm03", KVM_SSH, BURST),
        **on("router://zone1/r-4-VM", SVM_SSH, BURST),
        ("HOST-UUID-UNIQUE", CLOUD): BURST,
        **kvm_cluster_fault(BURST),
        **databases_fault("login as stackaudit refused"),
    })


@pytest.mark.parametrize("fault, reason", [
    ({"mode": "count_extra", "rows": 1}, "CloudStack API: listHosts: count says 7 rows but the pages held 6"),
    ({"mode": "unavailable"}, "CloudStack API: listHosts: HTTP 503 Service Unavailable"),
], ids=["count-disagrees", "unavailable"])
def test_discovery_faults_stop_the_run_with_one_line(fault_lab, fault, reason):
    """listHosts failing, or its pages not adding up to its count, during discovery: no target list
    that may silently miss hosts; the run ends, exit code 6 (not checked), with one line."""
    result, seconds = fault_lab.run(f"discovery-{fault['mode']}", [lambda: fault_lab.faults.api_faults({"listHosts": fault})])
    assert result.exit_code == 6 and result.results == [], result.output
    lines = [line for line in result.output.splitlines() if "cannot discover" in line]
    assert lines == [f"Exit: stackaudit: cannot discover the cloud's targets: {reason}"
                     + ("; the listing is incomplete, so its targets cannot be trusted" if "count" in reason else "")]
    assert "Traceback" not in result.output
    assert seconds < fault_lab.clean_seconds
