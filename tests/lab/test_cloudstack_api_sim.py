"""The simulated CloudStack API against real CloudStack wire behaviour (apache/cloudstack
ApiServer, ApiResponseSerializer, BaseListCmd: [CS-CODE]), via `cs` and raw HTTP."""
import json
import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import requests
from cs import CloudStack, CloudStackApiException

from lab.certificates import lab_ca, server_certificate
from lab.sim.cloudstack_api import serve
from lab.sim.cloudstack_signing import compute_signature

pytestmark = pytest.mark.integration     # loopback servers and processes (see pytest.ini)

KEY, SECRET = "AK-test", "SK-test"
ZONES = ["z-1111", "z-2222"]
CONTENT_TYPE = "application/json; charset=UTF-8"
BAD_CREDENTIALS = {"uuidList": [], "errorcode": 401,
                   "errortext": "unable to verify user credentials and/or request signature"}


def model(port: int = 0, ready_file: str | None = None) -> dict:
    hosts = [{"id": f"host-{i:04d}", "name": f"kvm{i:04d}", "zoneid": ZONES[i % 2],
              "type": "Routing" if i % 3 else "SecondaryStorageVM", "state": "Up", "annotation": None}
             for i in range(1203)]
    return {
        "credentials": [{"apikey": KEY, "secretkey": SECRET, "state": "enabled"},
                        {"apikey": "AK-off", "secretkey": "SK-off", "state": "disabled"}],
        "default_page_size": 500,
        "json_content_type": CONTENT_TYPE,
        "listen": [{"netns": None, "address": "127.0.0.1", "port": port}],
        "ready_file": ready_file,
        "lists": {
            "listHosts": {"key": "host", "rows": hosts},
            "listZones": {"key": "zone", "rows": [{"id": z, "name": f"zone{n}", "dns2": None}
                                                  for n, z in enumerate(ZONES, 1)]},
            "listLdapConfigurations": {"key": "ldapconfiguration", "rows": []},
        },
        "configurations": [
            {"name": "host", "value": "198.18.0.21", "category": "Advanced", "scope": "global", "scoped_values": {}},
            {"name": "host.maintenance.retries", "value": "20", "category": "Advanced", "scope": "global",
             "scoped_values": {}},
            {"name": "vm.allocation.algorithm", "value": "random", "category": "Advanced", "scope": "zone",
             "scoped_values": {"zone": {ZONES[0]: "firstfit"}}},
            {"name": "enable.dynamic.scale.vm", "value": "false", "category": "Advanced", "scope": "zone",
             "scoped_values": {}},
            {"name": "secret.thing", "value": "x", "category": "Hidden", "scope": "zone", "scoped_values": {}},
        ],
    }


@pytest.fixture(scope="module")
def endpoint():
    server = serve(model()).start()
    host, port = server.addresses[0]
    yield f"http://{host}:{port}/client/api"
    server.stop()


@pytest.fixture
def client(endpoint):
    return CloudStack(endpoint=endpoint, key=KEY, secret=SECRET)


def raw(endpoint: str, secret: str = SECRET, method: str = "get", **params) -> requests.Response:
    params = {"apiKey": KEY, "response": "json", **params}
    params["signature"] = compute_signature(params, secret)
    kind = "params" if method == "get" else "data"
    return requests.request(method, endpoint, timeout=5, **{kind: params})


def assert_error(response, name: str, status: int, cserrorcode: int, text: str) -> None:
    assert response.status_code == status
    assert response.headers["Content-Type"] == CONTENT_TYPE
    assert response.headers["X-Description"] == text
    assert response.json() == {name: {"uuidList": [], "errorcode": status, "cserrorcode": cserrorcode,
                                      "errortext": text}}


def test_cs_fetch_list_pages_through_every_host_once(client):
    hosts = client.listHosts(fetch_list=True)
    assert len(hosts) == 1203
    assert sorted(h["id"] for h in hosts) == [f"host-{i:04d}" for i in range(1203)]
    assert "annotation" not in hosts[0]  # null fields are omitted


def test_cs_post_requests_are_accepted(endpoint):
    client = CloudStack(endpoint=endpoint, key=KEY, secret=SECRET, method="post")
    assert len(client.listHosts(fetch_list=True)) == 1203


def test_empty_list(client, endpoint):
    assert client.listLdapConfigurations(fetch_list=True) == []
    response = raw(endpoint, command="listLdapConfigurations")
    assert response.status_code == 200
    assert response.text == '{"listldapconfigurationsresponse":{}}'


def test_exact_list_body(endpoint):
    response = raw(endpoint, command="listZones")
    assert response.headers["Content-Type"] == CONTENT_TYPE
    assert response.text == ('{"listzonesresponse":{"count":2,"zone":'
                             '[{"id":"z-1111","name":"zone1"},{"id":"z-2222","name":"zone2"}]}}')


def test_without_paging_only_the_default_page_comes_back(endpoint):
    body = raw(endpoint, command="listHosts").json()["listhostsresponse"]
    assert body["count"] == 1203
    assert len(body["host"]) == 500


def test_page_past_the_end_has_only_the_count(endpoint):
    response = raw(endpoint, command="listHosts", page="4", pagesize="500")
    assert response.status_code == 200
    assert response.text == '{"listhostsresponse":{"count":1203}}'


def test_offset_is_pagesize_times_page_minus_one(endpoint):
    body = raw(endpoint, command="listHosts", page="3", pagesize="7").json()["listhostsresponse"]
    assert [h["id"] for h in body["host"]] == [f"host-{i:04d}" for i in range(14, 21)]


def test_unlimited_page_size(endpoint):
    assert len(raw(endpoint, command="listHosts", pagesize="-1").json()["listhostsresponse"]["host"]) == 1203
    assert_error(raw(endpoint, command="listHosts", pagesize="-1", page="1"), "listhostsresponse", 431, 4350,
                 "Can't specify page parameter when pagesize is -1 (Unlimited)")


def test_page_size_above_the_maximum(endpoint):
    assert_error(raw(endpoint, command="listHosts", page="1", pagesize="600"), "listhostsresponse", 431, 4350,
                 "Page size can't exceed max allowed page size value: 500")


def test_page_size_without_page(endpoint):
    assert_error(raw(endpoint, command="listHosts", pagesize="600"), "listhostsresponse", 431, 9999,
                 '"page" parameter is required when "pagesize" is specified')


def test_page_without_page_size(endpoint):
    assert_error(raw(endpoint, command="listHosts", page="2"), "listhostsresponse", 431, 9999,
                 '"pagesize" parameter is required when "page" is specified')


def test_non_integer_page(endpoint):
    assert_error(raw(endpoint, command="listHosts", page="two", pagesize="5"), "listhostsresponse", 431, 9999,
                 "Unable to execute API command listhosts due to invalid value two for parameter page")


def test_control_characters_are_refused(endpoint):
    assert_error(raw(endpoint, command="listHosts", keyword="a\tb"), "listhostsresponse", 431, 9999,
                 "Received value containing illegal ASCII non-printable characters for parameter keyword")


def test_cs_sees_paging_errors_as_api_exceptions(client):
    with pytest.raises(CloudStackApiException) as raised:
        client.listHosts(page=1, pagesize=600)
    assert raised.value.error["cserrorcode"] == 4350


def test_expired_request(endpoint):
    expired = (datetime.now(timezone.utc) - timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%S%z")
    response = raw(endpoint, command="listHosts", signatureVersion="3", expires=expired)
    assert response.status_code == 401
    assert response.headers["Content-Type"] == CONTENT_TYPE
    assert "X-Description" not in response.headers
    assert response.text == json.dumps({"listhostsresponse": BAD_CREDENTIALS}, separators=(",", ":"))


def test_bad_signature(endpoint):
    response = raw(endpoint, secret="wrong", command="listHosts")
    assert response.status_code == 401
    assert response.json() == {"listhostsresponse": BAD_CREDENTIALS}


def test_missing_signature_unknown_or_disabled_key(endpoint):
    unsigned = requests.get(endpoint, params={"apiKey": KEY, "command": "listHosts", "response": "json"}, timeout=5)
    assert (unsigned.status_code, unsigned.json()) == (401, {"listhostsresponse": BAD_CREDENTIALS})
    for key, secret in (("AK-unknown", SECRET), ("AK-off", "SK-off")):
        client = CloudStack(endpoint=endpoint, key=key, secret=secret)
        with pytest.raises(CloudStackApiException) as raised:
            client.listHosts()
        assert raised.value.error == BAD_CREDENTIALS


def test_unknown_command_fails_verification_under_errorresponse(endpoint):
    # ApiServer.verifyRequest rejects a command it has no class for before it checks the signature.
    for command in ("listNothing", "listhosts"):
        response = raw(endpoint, command=command)
        assert response.status_code == 401
        assert response.json() == {"errorresponse": BAD_CREDENTIALS}


def test_filters_by_zone_and_type(client):
    hosts = client.listHosts(zoneid=ZONES[1], type="Routing", fetch_list=True)
    expected = [f"host-{i:04d}" for i in range(1203) if i % 2 == 1 and i % 3]
    assert [h["id"] for h in hosts] == expected
    assert client.listHosts(zoneid="z-none") == {}
    assert len(client.listHosts(zoneId=ZONES[1], fetch_list=True)) == 1203  # parameter names are case-sensitive


def test_keyword_matches_name_substring(client):
    assert [h["name"] for h in client.listHosts(keyword="KVM120", fetch_list=True)] == ["kvm1200", "kvm1201", "kvm1202"]


def test_configuration_zone_scope(client):
    body = client.listConfigurations(zoneid=ZONES[0])
    assert body == {"count": 2, "configuration": [
        {"name": "enable.dynamic.scale.vm", "value": "false", "category": "Advanced", "scope": "zone"},
        {"name": "vm.allocation.algorithm", "value": "firstfit", "category": "Advanced", "scope": "zone"}]}
    other = client.listConfigurations(zoneid=ZONES[1], name="vm.allocation.algorithm")["configuration"]
    assert [c["value"] for c in other] == ["random"]


def test_configuration_name_is_a_substring_match(client):
    rows = client.listConfigurations(name="host")["configuration"]
    assert [(c["name"], c["scope"]) for c in rows] == [("host", "global"), ("host.maintenance.retries", "global")]
    assert all("scoped_values" not in c for c in rows)
    assert client.listConfigurations(category="hidden") == {}


def test_configuration_with_two_scope_ids(endpoint):
    assert_error(raw(endpoint, command="listConfigurations", zoneid=ZONES[0], clusterid="c-1"),
                 "listconfigurationsresponse", 431, 4350,
                 "cannot handle multiple IDs, provide only one ID corresponding to the scope")


def test_command_line_server(tmp_path: Path):
    ready = tmp_path / "ready.json"
    model_file = tmp_path / "model.json"
    model_file.write_text(json.dumps(model(ready_file=str(ready))))
    proc = subprocess.Popen([sys.executable, "-m", "lab.sim.cloudstack_api", str(model_file)],
                            cwd=Path(__file__).resolve().parents[2], stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 10
        while not ready.exists():
            assert proc.poll() is None and time.monotonic() < deadline, "server did not become ready"
            time.sleep(0.02)
        [[host, port]] = json.loads(ready.read_text())
        client = CloudStack(endpoint=f"http://{host}:{port}/client/api", key=KEY, secret=SECRET)
        assert len(client.listZones()["zone"]) == 2
        proc.send_signal(signal.SIGTERM)
        _, log = proc.communicate(timeout=10)
    finally:
        proc.kill()
    assert proc.returncode == 0
    assert "listZones 200" in log.splitlines()
    assert KEY not in log and SECRET not in log and "signature" not in log.lower()


def test_missing_command_is_a_credentials_failure(endpoint):
    # With no command, getSerializedApiError leaves the response name null, and Java writes "null".
    assert raw(endpoint).json() == {"null": BAD_CREDENTIALS}
    assert requests.get(endpoint, timeout=5).json() == {"errorresponse": BAD_CREDENTIALS}


def test_scoped_configuration_count_is_the_page_length(endpoint):
    body = raw(endpoint, command="listConfigurations", zoneid=ZONES[0], page="1", pagesize="1").json()
    assert body["listconfigurationsresponse"]["count"] == 1
    assert raw(endpoint, command="listConfigurations", page="1", pagesize="1").json()[
        "listconfigurationsresponse"]["count"] == 4


def test_with_tls_it_serves_only_https_verified_against_the_lab_ca(tmp_path: Path):
    """As the lab runs it: a certificate from the lab's CA naming the address; a client that trusts the
    system's CAs, or reaches it at an address the certificate does not name, refuses it; plain http
    gets no HTTP answer."""
    ca = lab_ca(tmp_path)
    cert, key = server_certificate(tmp_path, "api-tls", ["127.0.0.1"], ca)
    server = serve(model() | {"tls": {"cert": str(cert), "key": str(key)}}).start()
    try:
        host, port = server.addresses[0]
        url = f"https://{host}:{port}/client/api"
        client = CloudStack(endpoint=url, key=KEY, secret=SECRET, verify=str(ca[0]))
        assert len(client.listZones()["zone"]) == 2
        with pytest.raises(requests.exceptions.SSLError):
            requests.get(url, timeout=5)
        other = server_certificate(tmp_path, "other", ["127.0.0.2"], ca)
        server.stop()
        server = serve(model() | {"tls": {"cert": str(other[0]), "key": str(other[1])}}).start()
        url = f"https://127.0.0.1:{server.addresses[0][1]}/client/api"
        with pytest.raises(requests.exceptions.SSLError, match="127.0.0.1"):
            requests.get(url, timeout=5, verify=str(ca[0]))
        with pytest.raises(requests.exceptions.ConnectionError):
            requests.get(url.replace("https://", "http://"), timeout=5)
    finally:
        server.stop()
