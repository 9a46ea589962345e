"""`stackaudit validate --connect` against the shared compliant lab (issue 24): one line per channel
and target, every one ok on the clean lab; then faults of the lab's fault table (lab/faults.py, as
tests/checks/test_faults.py makes them), each in its own line, exit 6; each fault undone after."""
from __future__ import annotations

import time

import pytest
import yaml

from lab.certificates import lab_ca, server_certificate
from lab.faults import LabFaults
from lab.parts.db import admin_connection
from stackaudit import cli
from stackaudit.config.inventory import load_inventory
from stackaudit.discovery.discovery import discover
from stackaudit.targets import SYSTEM_VM_KINDS
from tests.checks.fault_lab import BRIDGE_ADDRESS, BURST, undo_all

pytestmark = [pytest.mark.lab, pytest.mark.lab_scenario("compliant.yml")]

TIMEOUT = 5     # ssh.connect_timeout, xenserver.timeout: an sshd that never greets costs this once
SSH_KINDS = ("kvm-host", "xs-host", "mgmt", "db", "tls-frontend", *SYSTEM_VM_KINDS)


@pytest.fixture(scope="module")
def probed(lab):
    handle = lab("compliant.yml")
    document = yaml.safe_load(handle.path("inventory.yml").read_text())
    document["ssh"] |= {"connect_timeout": TIMEOUT, "command_timeout": TIMEOUT}
    document["xenserver"]["timeout"] = TIMEOUT
    return handle, document, LabFaults(handle.state_dir)


def inventory_file(handle, document: dict, name: str, change=None) -> str:
    changed = yaml.safe_load(yaml.safe_dump(document))
    if change:
        change(changed)
    path = handle.path(f"inventory-validate-{name}.yml")
    path.write_text(yaml.safe_dump(changed, sort_keys=False))
    return str(path)


def validate_connect(inventory: str, capsys, monkeypatch, tmp_path) -> tuple[int, list[str]]:
    monkeypatch.chdir(tmp_path)     # no reports/ here: no system VM key is pinned yet, and none is written
    code = cli.main(["validate", f"--inventory={inventory}", "--connect"])
    out = capsys.readouterr()
    assert out.err == "" and "Traceback" not in out.out
    assert not (tmp_path / "reports").exists()
    return code, out.out.splitlines()


def by_target(lines: list[str]) -> dict[str, str]:
    """'SSH kvm-host://zone1/kvm01: ok' -> {'SSH kvm-host://zone1/kvm01': 'ok'}; the channel lines only."""
    return dict(line.split(": ", 1) for line in lines[1:-1])


def test_each_channel_and_target_is_one_ok_line_on_the_clean_lab(probed, capsys, monkeypatch, tmp_path):
    handle, document, _ = probed
    inventory = inventory_file(handle, document, "clean")
    snapshot = discover(load_inventory(handle.path("inventory.yml")))
    code, lines = validate_connect(inventory, capsys, monkeypatch, tmp_path)
    assert code == 0, lines
    assert lines[0] == f"configuration valid: {inventory}, {handle.path('policy.yml')}"
    results = by_target(lines)
    expected = {f"API {document['cloud']['api']['endpoint']}",
                *(f"XAPI {t.id}" for t in snapshot.of_kinds(("xs-pool",))),
                *(f"database {t.id}" for t in snapshot.of_kinds(("db",))),
                *(f"SSH {t.id}" for t in snapshot.of_kinds(SSH_KINDS))}
    assert set(results) == expected and len(results) == len(lines) - 2
    assert {key.split()[0] for key in results} == {"API", "XAPI", "database", "SSH"}
    vms = {f"SSH {t.id}" for t in snapshot.of_kinds(SYSTEM_VM_KINDS)}
    assert vms and all(results[key].startswith("ok (host key SHA256:") and "not pinned yet" in results[key]
                       for key in vms), results
    assert all(results[key] == "ok" for key in expected - vms), results
    assert lines[-1] == f"{len(expected)} channels ok, 0 failed"


def changed_known_hosts(handle, faults: LabFaults) -> str:
    """The lab's known_hosts with xs02's entry holding xs03's key and kvm02's entries removed."""
    address = {name: faults.machine(name)["address"] for name in ("xs02", "xs03", "kvm02")}
    lines = handle.path("known_hosts").read_text().splitlines()
    keys = {line.split()[0]: line.split(None, 1)[1] for line in lines}
    kept = [f"{address['xs02']} {keys[address['xs03']]}" if line.split()[0] == address["xs02"] else line
            for line in lines if line.split()[0] != address["kvm02"]]
    handle.path("known_hosts-validate").write_text("\n".join(kept) + "\n")
    return "known_hosts-validate"


def wrong_secret(handle, name: str) -> str:
    path = handle.path(f"keys/{name}")
    path.write_text("not-the-password\n")
    path.chmod(0o600)
    return f"keys/{name}"


def with_faults(lab, makers, run):
    """`run()` while the lab has the faults `makers` make; each undone after (tests/checks/fault_lab.py)."""
    undos = []
    try:
        for make in makers:
            undos.append(make())
        return run()
    finally:
        undo_all(lab, undos)


def test_faults_of_ssh_xapi_and_the_database_each_give_their_own_line(probed, lab, capsys, monkeypatch, tmp_path):
    handle, document, faults = probed

    def change(doc):
        doc["ssh"]["known_hosts"] = changed_known_hosts(handle, faults)
        doc["xenserver"]["password_file"] = wrong_secret(handle, "xapi-validate-wrong.password")
        doc["databases"]["password_file"] = wrong_secret(handle, "db-validate-wrong.password")
    inventory = inventory_file(handle, document, "faults", change)

    def timed():
        started = time.monotonic()
        return validate_connect(inventory, capsys, monkeypatch, tmp_path), time.monotonic() - started
    (code, lines), seconds = with_faults(lab, (lambda: faults.reject_tcp("kvm01", 22), lambda: faults.stop_sshd("ms2"),
                                               lambda: faults.stop_sshd("tls1"),
                                               lambda: faults.bind_over("db1", "/root/.ssh/authorized_keys", "")),
                                         timed)
    # Two sshds that never greet, waited out in parallel: one timeout, not two in series.
    assert seconds < 2 * TIMEOUT, (seconds, lines)
    assert code == 6, lines
    results = by_target(lines)
    expected = {
        "SSH kvm-host://zone1/kvm01": "cannot connect: Connection refused",
        "SSH mgmt://ms2": f"no SSH banner within {TIMEOUT}s",
        "SSH tls-frontend://tls1": f"no SSH banner within {TIMEOUT}s",
        "SSH db://db1": "SSH login as root refused",
        "SSH xs-host://zone1/xs02": "host key changed",
        "SSH kvm-host://zone1/kvm02": "host key unknown",
    }
    for key, text in expected.items():
        assert text in results[key], (key, results[key])
    assert results["SSH ssvm://zone1/s-1-VM"] == "not tried: its host kvm-host://zone1/kvm01 failed"
    pools = [key for key in results if key.startswith("XAPI ")]
    assert pools and all("login as root refused" in results[key] for key in pools), results
    databases = [key for key in results if key.startswith("database ")]
    assert databases and all("login as stackaudit refused (1045)" in results[key] for key in databases), results
    assert results["SSH kvm-host://zone1/kvm03"] == "ok" and results["SSH mgmt://ms1"] == "ok"
    failed = sum(value != "ok" and not value.startswith("ok (") for value in results.values())
    assert lines[-1] == f"{len(results) - failed} channels ok, {failed} failed"


@pytest.mark.parametrize("name, change, text", [
    ("api-secret", lambda handle, doc: doc["cloud"]["api"].update(secret_file=wrong_secret(handle, "api-wrong.secret")),
     "CloudStack API: listHosts: "),
    ("api-ca", lambda handle, doc: doc["cloud"]["api"].update(verify="keys/xapi-cert.pem"),
     "TLS certificate not trusted"),
], ids=["api-401", "api-tls-ca-wrong"])
def test_an_api_fault_is_the_api_line_and_the_inventorys_own_targets_are_still_tried(
        probed, capsys, monkeypatch, tmp_path, name, change, text):
    handle, document, _ = probed
    inventory = inventory_file(handle, document, name, lambda doc: change(handle, doc))
    code, lines = validate_connect(inventory, capsys, monkeypatch, tmp_path)
    assert code == 6, lines
    results = by_target(lines)
    api = results[f"API {document['cloud']['api']['endpoint']}"]
    assert text in api, api
    fix = {"api-secret": "the key or secret is refused", "api-ca": "give cloud.api.verify the CA bundle"}[name]
    assert fix in api, api
    assert not any(key.startswith(("XAPI ", "SSH kvm-host", "SSH xs-host")) for key in results), results
    assert all(results[f"SSH mgmt://{m['name']}"] == "ok" for m in document["management_servers"])
    assert all(results[f"database db://{d['name']}"] == "ok" for d in document["databases"]["servers"])


def test_service_and_impostor_faults_each_give_their_own_line(probed, lab, capsys, monkeypatch, tmp_path):
    """No route, sshd dropping a burst (MaxStartups), the XAPI master resetting while a member names it,
    MariaDB down, and an impostor MySQL whose certificate chains to another CA."""
    handle, document, faults = probed
    other = tmp_path / "other-ca"
    other.mkdir()
    untrusted = server_certificate(other, "impostor-db1", [faults.machine("db1")["address"]], lab_ca(other))
    inventory = inventory_file(handle, document, "services")
    code, lines = with_faults(lab, (
        lambda: faults.reject_tcp("kvm01", 22, "icmp-host-unreachable"),
        lambda: faults.hold_unauthenticated(faults.machine("kvm03")["address"]),
        lambda: faults.xapi_reset([faults.machine("xs01")["address"]]),
        lambda: faults.reject_tcp("db2", 3306, source=BRIDGE_ADDRESS),
        lambda: faults.impostor_mysql("db1", BRIDGE_ADDRESS, "mysql_clear_password", tmp_path / "impostor.jsonl",
                                      untrusted),
    ), lambda: validate_connect(inventory, capsys, monkeypatch, tmp_path))
    assert code == 6, lines
    results = by_target(lines)
    expected = {
        "SSH kvm-host://zone1/kvm01": "cannot connect: No route to host",
        "SSH ssvm://zone1/s-1-VM": "not tried: its host kvm-host://zone1/kvm01 failed",
        "SSH kvm-host://zone1/kvm03": BURST,
        "SSH router://zone1/r-4-VM": "not tried: its host kvm-host://zone1/kvm03 failed",
        "XAPI xs-pool://zone1/xen-pool1": "XAPI 198.18.1.1:443: cannot connect: the connection was closed or reset "
                                          "during the TLS handshake",
        "database db://db2": "MariaDB 198.18.0.101:3306: cannot connect (2003): [Errno 111] Connection refused",
        "database db://db1": "MariaDB 198.18.0.100:3306: TLS certificate not trusted: unable to get local issuer",
    }
    for key, text in expected.items():
        assert text in results[key], (key, results[key])
    assert results["SSH kvm-host://zone1/kvm02"] == "ok" and results["SSH db://db1"] == "ok"


@pytest.mark.parametrize("fault, text", [
    ({"mode": "unavailable"}, "CloudStack API: listHosts: HTTP 503 Service Unavailable"),
    ({"mode": "error"}, "CloudStack API: listHosts: error 530: Command failed due to Internal Server Error"),
    ({"mode": "forbidden"}, "CloudStack API: listHosts: error 432: The given command does not exist or it is not "
                            "available for user"),
], ids=["503", "530", "432"])
def test_an_api_answering_with_an_error_is_the_api_line(probed, lab, capsys, monkeypatch, tmp_path, fault, text):
    handle, document, faults = probed
    inventory = inventory_file(handle, document, "api-answers")
    code, lines = with_faults(lab, (lambda: faults.api_faults({"listHosts": fault}),),
                              lambda: validate_connect(inventory, capsys, monkeypatch, tmp_path))
    assert code == 6, lines
    fix = ("the key's role may not call listHosts: give the account the read-only role `stackaudit access --api` "
           "prints") if "432" in text else "check the API at cloud.api.endpoint"
    assert by_target(lines)[f"API {document['cloud']['api']['endpoint']}"] == f"{text}; {fix}"


def revoke_on(faults: LabFaults, name: str, grant: str, user: str = "stackaudit"):
    """`REVOKE <grant>` from the audit user on one server (kept out of its binlog); the undo grants it back."""
    def run(statement: str) -> None:
        conn = admin_connection(faults.machine(name)["pid"])
        try:
            with conn.cursor() as cur:
                cur.execute("SET SESSION sql_log_bin = 0")
                cur.execute(statement, (user,))
        finally:
            conn.close()
    run(f"REVOKE {grant} FROM %s@'%%'")
    return lambda: run(f"GRANT {grant} TO %s@'%%'")


def test_a_missing_grant_is_named_with_the_statement_that_gives_it(probed, lab, capsys, monkeypatch, tmp_path):
    handle, document, faults = probed
    inventory = inventory_file(handle, document, "grants")
    code, lines = with_faults(lab, (lambda: revoke_on(faults, "db2", "PROCESS ON *.*"),),
                              lambda: validate_connect(inventory, capsys, monkeypatch, tmp_path))
    assert code == 6, lines
    results = by_target(lines)
    assert results["database db://db2"] == ("login ok, but stackaudit lacks grants the checks need: "
                                            "GRANT PROCESS ON *.* TO 'stackaudit'@'%'")
    assert results["database db://db1"] == "ok"


def test_a_wrong_xapi_ca_file_is_the_pools_line(probed, capsys, monkeypatch, tmp_path):
    """xenserver.ca_file naming a CA that did not sign the pool's certificates (the lab CA, where XAPI's
    certificate is self-signed): discovery finds no master, and the pool's line says why for each member."""
    handle, document, _ = probed
    inventory = inventory_file(handle, document, "xapi-ca", lambda doc: doc["xenserver"].update(ca_file="keys/lab-ca.pem"))
    code, lines = validate_connect(inventory, capsys, monkeypatch, tmp_path)
    assert code == 6, lines
    results = by_target(lines)
    assert results["XAPI xs-pool://zone1/xen-pool1"] == (
        "no member answered XAPI: XAPI 198.18.1.1: TLS certificate not trusted (self-signed certificate); "
        "XAPI 198.18.1.2: TLS certificate not trusted (self-signed certificate)")
    assert sum(not value.startswith("ok") for value in results.values()) == 1
