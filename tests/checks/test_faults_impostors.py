"""Impostors: MariaDB/MySQL servers and a XAPI master that are not who the inventory trusts, and the
inventory's TLS opt-outs (tests/checks/fault_lab.py)."""
from __future__ import annotations

import json
import re
import xmlrpc.client

import pytest

from lab.certificates import lab_ca, server_certificate
from lab.lifecycle import XAPI_PORT
from lab.sim.recorder import RecordingServer, xmlrpc_answer
from lab.sim.tls import server_context
from stackaudit.collect.transports import xapi
from tests.checks.fault_lab import (
    BRIDGE_ADDRESS, CLOUD, DB_SQL, POOL, TIMEOUT, assert_faults_reported, attachment, attachment_names,
    FaultLab, databases_fault, on, xapi_pool_fault)
from tests.checks.suite_run import SuiteRun

pytestmark = [pytest.mark.lab, pytest.mark.slow, pytest.mark.lab_scenario("compliant.yml")]


# --- hostile machines: MariaDB/MySQL ---
def impostor_record(fault_lab: FaultLab, name: str) -> list[dict]:
    """Every connection the impostor at `name` served: whether TLS was up, each packet it received."""
    path = fault_lab.work / f"impostor-{name}.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def assert_received_no_password(fault_lab: FaultLab, connections: list[dict]) -> None:
    password = (fault_lab.faults.state_dir / "keys" / "db-audit.password").read_text().strip().encode()
    assert connections, "the impostor served no connection: the auditor never reached it"
    for connection in connections:
        received = b"".join(bytes.fromhex(p) for p in connection["packets"])
        assert password not in received and password.hex().encode() not in received


def test_impostor_mysql_servers_get_no_password(fault_lab):
    """Two impostors in place of the databases, for the auditor's connections only: on db1 one holding a
    certificate the lab CA signed for db1's address (a taken-over server) that asks for
    mysql_clear_password; on db2 one whose certificate names db2's address but chains to another CA.
    The first gets a scramble and no password, the second not even the user name."""
    keys, other = fault_lab.faults.state_dir / "keys", fault_lab.work / "impostor-ca"
    other.mkdir()
    valid = server_certificate(keys, "impostor-db1", [fault_lab.address("db1")], lab_ca(keys))
    untrusted = server_certificate(other, "impostor-db2", [fault_lab.address("db2")], lab_ca(other))
    result, seconds = fault_lab.run("impostor-mysql", [
        lambda: fault_lab.faults.impostor_mysql("db1", BRIDGE_ADDRESS, "mysql_clear_password",
                                          fault_lab.work / "impostor-db1.jsonl", valid),
        lambda: fault_lab.faults.impostor_mysql("db2", BRIDGE_ADDRESS, "mysql_clear_password",
                                          fault_lab.work / "impostor-db2.jsonl", untrusted),
    ])
    refused = (f"MariaDB {fault_lab.address('db1')}:3306: the server asks for authentication plugin "
               "'mysql_clear_password', which sends the password in the clear; no password was sent")
    untrusted_text = f"MariaDB {fault_lab.address('db2')}:3306: TLS certificate not trusted: unable to get local issuer"
    assert_faults_reported(fault_lab, result, seconds, {
        **on("db://db1", DB_SQL, refused), **on("db://db2", DB_SQL, untrusted_text),
        ("DB-REPLICATION-HEALTHY", CLOUD): "could not read db://db",
        ("DB-VIP-SINGLE-HOLDER", CLOUD): "could not read db://db",
        **databases_fault("could not read cloud.host_details: db://db1"),
    })
    first, second = impostor_record(fault_lab, "db1"), impostor_record(fault_lab, "db2")
    assert_received_no_password(fault_lab, first)
    assert_received_no_password(fault_lab, second)
    # db1's impostor: TLS up, the handshake response (the user name and a scramble), then nothing.
    assert all(c["tls"] and len(c["packets"]) == 2 and b"stackaudit\0" in bytes.fromhex(c["packets"][1])
               for c in first), first
    # db2's impostor: the client's TLS request, then the client refused its certificate.
    assert all(not c["tls"] and len(c["packets"]) == 1 for c in second), second


def test_with_insecure_an_impostor_without_tls_gets_no_password_and_results_say_tls_not_verified(fault_lab):
    """databases.insecure: true, no CA file: an impostor without TLS on db1 asks for the password by
    PAM's dialog plugin and gets none; db2's results are as clean, each saying "TLS not verified", and
    summary.json lists the channel."""
    def change(doc):
        doc["databases"].pop("ca_file")
        doc["databases"]["insecure"] = True
    run_dir = fault_lab.work / "insecure-run"
    run_dir.mkdir()
    result, seconds = fault_lab.run("insecure-mysql", [
        lambda: fault_lab.faults.impostor_mysql("db1", BRIDGE_ADDRESS, "dialog", fault_lab.work / "impostor-db1-dialog.jsonl",
                                          switch_data=b"\x04Password: "),
    ], fault_lab.inventory_with("insecure", change), f"--run-dir={run_dir}")
    refused = (f"MariaDB {fault_lab.address('db1')}:3306: the server asks for authentication plugin 'dialog', which "
               "sends the password in the clear (PAM); no password was sent")
    assert_faults_reported(fault_lab, result, seconds, {
        **on("db://db1", DB_SQL, refused), ("DB-REPLICATION-HEALTHY", CLOUD): "could not read db://db1",
        ("DB-VIP-SINGLE-HOLDER", CLOUD): "could not read db://db1"})
    connections = impostor_record(fault_lab, "db1-dialog")
    assert_received_no_password(fault_lab, connections)
    assert all(not c["tls"] and len(c["packets"]) == 1 for c in connections), connections
    for check in DB_SQL:
        assert attachment(result, check, "db://db2", "TLS not verified").startswith(
            "TLS not verified: these facts came from MariaDB/MySQL over a connection whose certificate was not checked")
    assert "TLS not verified" not in attachment_names(result, "DB-BIND-ADDRESS", "db://db2")   # SSH facts only
    assert json.loads((run_dir / "summary.json").read_text())["insecure_channels"] == ["databases"]



# --- hostile machines: credentials (a member naming an impostor as its master; TLS opt-outs) ---
IMPOSTOR = "127.0.18.18"    # loopback: outside the fault_lab, a host of no cluster the API lists
LOGGED_IN = xmlrpc.client.dumps(({"Status": "Success", "Value": "OpaqueRef:impostor"},), methodresponse=True)


def test_a_member_naming_an_impostor_master_gets_it_nothing(fault_lab):
    """xs01, the member discovery asks first, answers HOST_IS_SLAVE naming an address the CloudStack
    API does not list in the pool's cluster. An impostor there serves XAPI's port over TLS with the
    lab's own XAPI certificate and records every connection and byte: the pool is broken naming both
    addresses, and the impostor is never connected to, so the pool's password never reaches it."""
    keys = fault_lab.faults.state_dir / "keys"
    tls = server_context({"cert": str(keys / "xapi-cert.pem"), "key": str(keys / "xapi-key.pem")})
    impostor = RecordingServer(IMPOSTOR, XAPI_PORT, xmlrpc_answer(LOGGED_IN), tls)
    try:
        # Live and recording: a client that does not check the certificate's name gives it the password.
        xapi.login(IMPOSTOR, XAPI_PORT, "root", "probe-password", None, TIMEOUT, insecure=True)
        assert b"probe-password" in impostor.recording.received
        impostor.recording.clear()
        result, seconds = fault_lab.run("impostor", [lambda: fault_lab.faults.xapi_redirect({fault_lab.address("xs01"): IMPOSTOR})])
    finally:
        impostor.stop()
    assert_faults_reported(fault_lab, result, seconds, xapi_pool_fault(
        f"XAPI {fault_lab.address('xs01')} answered HOST_IS_SLAVE naming {IMPOSTOR} as the pool master, which the "
        "CloudStack API does not list as a host of this cluster; not followed (no login sent there)"))
    assert impostor.recording.connections == [] and impostor.recording.received == b""
    password = (keys / "xapi.password").read_text().strip()
    assert password not in result.output


def tls_marks(run: SuiteRun) -> dict[tuple[str, str], tuple[bool, bool]]:
    """(check, target) -> (its evidence holds XAPI or API facts, it carries a "TLS not verified" attachment)."""
    marks = {}
    for path in (run.work / "allure-results").glob("*-result.json"):
        data = json.loads(path.read_text())
        labels = {label["name"]: label["value"] for label in data.get("labels", [])}
        names = [a["name"] for a in data.get("attachments", [])]
        marks[(labels.get("check_id"), labels.get("target"))] = (
            any(re.match(r"(\S+: )?(XAPI|API) ", name) for name in names),
            any(name.endswith("TLS not verified") for name in names))
    return marks


def test_tls_opt_outs_are_marked_on_every_result_they_touch_and_in_the_summary(fault_lab):
    """The inventory's explicit opt-outs (xenserver.insecure: true without a CA file, cloud.api.insecure:
    true with verify: false) change no verdict; every result judged on XAPI or API facts carries a
    "TLS not verified" attachment and no other does; summary.json lists both channels."""
    def change(doc):
        del doc["xenserver"]["ca_file"]
        doc["xenserver"]["insecure"] = True
        doc["cloud"]["api"] |= {"verify": False, "insecure": True}
    run_dir = fault_lab.work / "insecure" / "run"
    run_dir.mkdir(parents=True)     # as `stackaudit run` makes it
    result, seconds = fault_lab.run("insecure", [], fault_lab.inventory_with("insecure", change), f"--run-dir={run_dir}")
    assert_faults_reported(fault_lab, result, seconds, {})
    assert json.loads((run_dir / "summary.json").read_text())["insecure_channels"] == ["cloud.api", "xenserver"]
    marks = tls_marks(result)
    assert all(over_tls == marked for over_tls, marked in marks.values()), marks
    marked = {key for key, (_, is_marked) in marks.items() if is_marked}
    assert {("XS-POOL-HA-ENABLED", "xs-pool://zone1/xen-pool1"), ("MS-GLOBAL-SETTINGS", CLOUD)} <= marked
    assert ("HOST-IPTABLES-V4", "kvm-host://zone1/kvm01") not in marked
    assert not any(is_marked for _, is_marked in tls_marks(fault_lab.clean).values())
