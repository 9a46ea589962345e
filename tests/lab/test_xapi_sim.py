"""The simulated XAPI, driven by the official XenAPI client over HTTPS and plain HTTP."""
from __future__ import annotations

import json
import signal
import ssl
import subprocess
import sys
import time
import xmlrpc.client
from pathlib import Path

import pytest
import XenAPI

from lab.sim.xapi import serve

pytestmark = pytest.mark.integration     # loopback servers and processes (see pytest.ini)

REPO = Path(__file__).resolve().parents[2]
PASSWORD = "s3cret-pw"
MASTER, MEMBER = "127.0.0.1", "127.0.0.2"
HOSTS = ["OpaqueRef:host-1", "OpaqueRef:host-2", "OpaqueRef:host-3"]
POOL = "OpaqueRef:pool-a"
STATEFILE = "OpaqueRef:vdi-statefile"
HA_VM = "OpaqueRef:vm-app"
DOM0 = "OpaqueRef:vm-dom0"
TEMPLATE = "OpaqueRef:vm-template"
NFS = "OpaqueRef:sr-nfs"


def raw_proxy(url: str) -> xmlrpc.client.ServerProxy:
    """A plain XML-RPC client, to see results and session handling without XenAPI's wrapping."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return xmlrpc.client.ServerProxy(url, context=context)


def pool_model(tmp_path: Path, tls: dict | None) -> dict:
    addresses = [MASTER, MEMBER, "127.0.0.3"]
    host = {ref: {"uuid": f"host-uuid-{i}", "name_label": f"xs0{i}", "hostname": f"xs0{i}",
                  "address": addresses[i - 1], "enabled": True, "API_version_major": "2",
                  "metrics": f"OpaqueRef:metrics-{i}", "PBDs": [f"OpaqueRef:pbd-{i}"],
                  "software_version": {"product_version": "8.2.1", "platform_name": "XCP"}}
            for i, ref in enumerate(HOSTS, 1)}
    metrics = {f"OpaqueRef:metrics-{i}": {"uuid": f"metrics-uuid-{i}", "live": i != 3,
                                          "memory_total": "68719476736"}
               for i in range(1, 4)}
    pbd = {f"OpaqueRef:pbd-{i}": {"uuid": f"pbd-uuid-{i}", "host": ref, "SR": NFS,
                                  "currently_attached": i != 2,
                                  "device_config": {"server": "198.18.0.5", "serverpath": "/export/ha"}}
           for i, ref in enumerate(HOSTS, 1)}
    vm = {
        HA_VM: {"uuid": "vm-app-uuid", "name_label": "app", "power_state": "Running", "is_a_template": False,
                "is_a_snapshot": False, "is_control_domain": False, "resident_on": HOSTS[1],
                "ha_restart_priority": "restart", "ha_always_run": True, "memory_static_max": "4294967296"},
        DOM0: {"uuid": "vm-dom0-uuid", "name_label": "Control domain on host: xs01", "power_state": "Running",
               "is_a_template": False, "is_a_snapshot": False, "is_control_domain": True,
               "resident_on": HOSTS[0], "ha_restart_priority": "", "ha_always_run": False,
               "memory_static_max": "4294967296"},
        TEMPLATE: {"uuid": "vm-template-uuid", "name_label": "Debian Bookworm 12", "power_state": "Halted",
                   "is_a_template": True, "is_a_snapshot": False, "is_control_domain": False,
                   "resident_on": "OpaqueRef:NULL", "ha_restart_priority": "", "ha_always_run": False,
                   "memory_static_max": "2147483648"},
    }
    return {
        "credentials": {"username": "root", "password": PASSWORD},
        "tls": tls,
        "ready_file": str(tmp_path / "ready.json"),
        "hosts": [{"netns": None, "address": address, "port": 0, "pool": "pool-a", "host_ref": ref}
                  for address, ref in zip(addresses, HOSTS)],
        "pools": {"pool-a": {"master_address": MASTER, "objects": {
            "pool": {POOL: {"uuid": "pool-uuid", "name_label": "pool-a", "master": HOSTS[0], "default_SR": NFS,
                            "ha_enabled": True, "ha_configuration": {"timeout": "180"},
                            "ha_statefiles": [STATEFILE], "ha_host_failures_to_tolerate": "1",
                            "ha_plan_exists_for": "1", "ha_allow_overcommit": False, "ha_overcommitted": False,
                            "ha_cluster_stack": "xhad"}},
            "host": host, "host_metrics": metrics, "VM": vm, "PBD": pbd,
            "SR": {NFS: {"uuid": "sr-nfs-uuid", "name_label": "HA NFS", "type": "nfs", "shared": True,
                         "content_type": "", "physical_size": "107374182400", "PBDs": list(pbd)}},
            "VDI": {STATEFILE: {"uuid": "vdi-statefile-uuid", "name_label": "Statefile for HA", "SR": NFS,
                                "type": "ha_statefile", "virtual_size": "4194304"}},
        }}},
    }


def self_signed(tmp_path: Path) -> dict:
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                    "-nodes", "-days", "1", "-subj", "/CN=xapi-sim", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)
    return {"cert": str(cert), "key": str(key)}


@pytest.fixture(params=["https", "http"])
def urls(request, tmp_path):
    tls = self_signed(tmp_path) if request.param == "https" else None
    server = serve(pool_model(tmp_path, tls))
    server.start()
    yield [f"{request.param}://{address}:{port}" for address, port in server.addresses]
    server.stop()


@pytest.fixture
def session(urls):
    s = XenAPI.Session(urls[0], ignore_ssl=True)
    s.xenapi.login_with_password("root", PASSWORD, "1.0", "stackaudit-test")
    yield s
    if s.handle:
        s.xenapi.session.logout()


def test_pool_records_arrive_in_wire_shape(session):
    records = session.xenapi.pool.get_all_records()
    assert list(records) == [POOL]
    pool = records[POOL]
    assert pool["master"] == HOSTS[0]
    assert pool["ha_enabled"] is True
    assert pool["ha_configuration"] == {"timeout": "180"}
    assert pool["ha_statefiles"] == [STATEFILE]
    assert pool["ha_host_failures_to_tolerate"] == "1"
    assert pool["ha_plan_exists_for"] == "1"
    assert session.xenapi.pool.get_all() == [POOL]
    assert session.xenapi.pool.get_ha_configuration(POOL) == {"timeout": "180"}
    assert session.xenapi.pool.get_master(POOL) == HOSTS[0]


def test_vms_hosts_and_storage(session):
    vms = session.xenapi.VM.get_all_records()
    assert set(vms) == {HA_VM, DOM0, TEMPLATE}
    assert vms[HA_VM]["ha_restart_priority"] == "restart"
    assert vms[HA_VM]["resident_on"] == HOSTS[1]
    assert vms[DOM0]["is_control_domain"] is True
    assert vms[TEMPLATE]["is_a_template"] is True
    assert vms[TEMPLATE]["memory_static_max"] == "2147483648"
    assert session.xenapi.host_metrics.get_live("OpaqueRef:metrics-1") is True
    assert session.xenapi.host_metrics.get_live("OpaqueRef:metrics-3") is False
    attached = {rec["host"]: rec["currently_attached"] for rec in session.xenapi.PBD.get_all_records().values()}
    assert attached == {HOSTS[0]: True, HOSTS[1]: False, HOSTS[2]: True}
    assert session.xenapi.PBD.get_currently_attached("OpaqueRef:pbd-2") is False
    assert session.xenapi.SR.get_record(NFS)["physical_size"] == "107374182400"
    assert session.xenapi.VDI.get_type(STATEFILE) == "ha_statefile"
    assert session.xenapi.host.get_software_version(HOSTS[0])["product_version"] == "8.2.1"


def test_lookups(session):
    assert session.xenapi.VM.get_by_uuid("vm-app-uuid") == HA_VM
    assert session.xenapi.host.get_by_name_label("xs02") == [HOSTS[1]]
    assert session.xenapi.SR.get_by_name_label("no such SR") == []
    with pytest.raises(XenAPI.Failure) as err:
        session.xenapi.VM.get_by_uuid("no-such-uuid")
    assert err.value.details == ["UUID_INVALID", "VM", "no-such-uuid"]
    with pytest.raises(XenAPI.Failure) as err:
        session.xenapi.VM.get_record("OpaqueRef:missing")
    assert err.value.details == ["HANDLE_INVALID", "VM", "OpaqueRef:missing"]
    with pytest.raises(XenAPI.Failure) as err:
        session.xenapi.host_metrics.get_live(HOSTS[0])
    assert err.value.details == ["HANDLE_INVALID", "host_metrics", HOSTS[0]]


def test_call_errors(session):
    with pytest.raises(XenAPI.Failure) as err:
        session.xenapi.VM.start(HA_VM, False, False)
    assert err.value.details == ["MESSAGE_METHOD_UNKNOWN", "VM.start"]
    with pytest.raises(XenAPI.Failure) as err:
        session.xenapi.PBD.get_by_name_label("x")   # PBD has no name_label in the datamodel
    assert err.value.details == ["MESSAGE_METHOD_UNKNOWN", "PBD.get_by_name_label"]
    with pytest.raises(XenAPI.Failure) as err:
        session.xenapi.VM.get_record(HA_VM, "extra")
    assert err.value.details == ["MESSAGE_PARAMETER_COUNT_MISMATCH", "VM.get_record", "1", "2"]


def test_wrong_password(urls):
    s = XenAPI.Session(urls[0], ignore_ssl=True)
    with pytest.raises(XenAPI.Failure) as err:
        s.xenapi.login_with_password("root", "wrong", "1.0", "stackaudit-test")
    assert err.value.details == ["SESSION_AUTHENTICATION_FAILED", "root", "Authentication failure"]


def test_member_host_redirects_to_master(urls, session):
    member = XenAPI.Session(urls[1], ignore_ssl=True)
    for password in (PASSWORD, "wrong"):   # xapi answers HOST_IS_SLAVE before checking credentials
        with pytest.raises(XenAPI.Failure) as err:
            member.xenapi.login_with_password("root", password, "1.0", "stackaudit-test")
        assert err.value.details == ["HOST_IS_SLAVE", MASTER]
    raw = raw_proxy(urls[1])
    assert raw.pool.get_all_records(session.handle) == {"Status": "Failure",
                                                        "ErrorDescription": ["HOST_IS_SLAVE", MASTER]}
    assert raw.pool.get_all_records("OpaqueRef:bogus")["ErrorDescription"] == ["SESSION_INVALID", "OpaqueRef:bogus"]


def test_session_invalid_after_logout(urls):
    s = XenAPI.Session(urls[0], ignore_ssl=True)
    s.xenapi.login_with_password("root", PASSWORD, "1.0", "stackaudit-test")
    ref = s.handle
    assert ref.startswith("OpaqueRef:")
    s.xenapi.session.logout()
    raw = raw_proxy(urls[0])
    assert raw.pool.get_all(ref) == {"Status": "Failure", "ErrorDescription": ["SESSION_INVALID", ref]}
    assert raw.session.logout(ref) == {"Status": "Failure", "ErrorDescription": ["SESSION_INVALID", ref]}
    assert raw.VM.start(ref)["ErrorDescription"] == ["SESSION_INVALID", ref]
    assert raw.session.login_with_password("root") == {
        "Status": "Failure",
        "ErrorDescription": ["MESSAGE_PARAMETER_COUNT_MISMATCH", "session.login_with_password", "2", "1"]}


def test_login_logout_over_raw_xmlrpc(urls):
    raw = raw_proxy(urls[0])
    login = raw.session.login_with_password("root", PASSWORD)
    assert login["Status"] == "Success"
    assert raw.session.logout(login["Value"]) == {"Status": "Success", "Value": ""}


def test_cli_serves_writes_ready_file_and_stops_on_sigterm(tmp_path):
    model = pool_model(tmp_path, self_signed(tmp_path))
    model_file = tmp_path / "model.json"
    model_file.write_text(json.dumps(model))
    proc = subprocess.Popen([sys.executable, "-m", "lab.sim.xapi", str(model_file)], cwd=REPO,
                            stderr=subprocess.PIPE, text=True)
    try:
        ready = Path(model["ready_file"])
        deadline = time.monotonic() + 10
        while not ready.exists():
            assert proc.poll() is None and time.monotonic() < deadline, "simulator did not become ready"
            time.sleep(0.05)
        bound = json.loads(ready.read_text())
        assert [address for address, _ in bound] == [MASTER, MEMBER, "127.0.0.3"]
        s = XenAPI.Session(f"https://{MASTER}:{bound[0][1]}", ignore_ssl=True)
        s.xenapi.login_with_password("root", PASSWORD, "1.0", "stackaudit-test")
        assert s.xenapi.pool.get_ha_host_failures_to_tolerate(POOL) == "1"
        s.xenapi.session.logout()
    finally:
        proc.send_signal(signal.SIGTERM)
        _, stderr = proc.communicate(timeout=10)
    assert proc.returncode == 0
    assert "pool.get_ha_host_failures_to_tolerate Success" in stderr
    assert PASSWORD not in stderr and "OpaqueRef:" not in stderr
