"""MS-HTTP-LOCAL-ONLY's rule (rules/http_local.py): server.properties read as ServerDaemon reads it,
and the listening sockets, on recorded files (tests/data/recorded/SOURCES.md) and tables."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lab.files import server_properties
from stackaudit.errors import UnparsableOutput
from stackaudit.parsers.net import Listener, parse_ss_listening
from stackaudit.parsers.properties import parse_java_properties_file
from stackaudit.rules.http_local import connectors, is_loopback, java_boolean, local_only_findings
from tests.unit.hypothesis_budget import examples

RECORDED = Path(__file__).resolve().parent.parent / "data" / "recorded"
PATH = "/etc/cloudstack/management/server.properties"
PACKAGED = parse_java_properties_file((RECORDED / "server-properties-in-cloudstack.properties").read_text(), PATH)
DEBIAN12 = parse_ss_listening((RECORDED / "ss-listening-debian12.txt").read_text())


def with_keys(**keys) -> dict[str, str]:
    return {**PACKAGED, **{k.replace("_", "."): v for k, v in keys.items()}}


def test_the_packaged_file_listens_everywhere():
    assert "bind.interface" not in PACKAGED
    assert connectors(PACKAGED).ports == {"http.port": 8080}
    assert local_only_findings(PACKAGED, [Listener("*", 8080)]) == [
        f"{PATH} leaves bind.interface unset: the server listens on every interface",
        "a socket listens on *:8080 (http.port), reachable around the reverse proxy"]


def test_the_lab_writes_the_recorded_packaged_file():
    assert parse_java_properties_file(server_properties({}), PATH) == PACKAGED


def test_loopback_binding_and_loopback_sockets_pass_on_a_recorded_listing():
    # ss-listening-debian12 has [::1]:9090 and no 8080: bind.interface ::1 on port 9090 passes
    assert local_only_findings(with_keys(bind_interface="::1", http_port="9090"), DEBIAN12) == []
    assert local_only_findings(with_keys(bind_interface="127.0.0.1"), [Listener("127.0.0.1", 8080)]) == []


@pytest.mark.parametrize("keys, listeners, findings", [
    ({"bind_interface": "0.0.0.0"}, [], ["bind.interface is '0.0.0.0', not a loopback address (127.0.0.1 or ::1)"]),
    ({"bind_interface": "::"}, [], ["bind.interface is '::', not a loopback address (127.0.0.1 or ::1)"]),
    ({"bind_interface": "localhost"}, [], ["bind.interface is 'localhost', not a loopback address (127.0.0.1 or ::1)"]),
    ({"bind_interface": "127.0.0.2"}, [Listener("127.0.0.2", 8080)], []),
    ({"bind_interface": "127.0.0.1"}, [Listener("198.18.0.11", 8080)],
     ["a socket listens on 198.18.0.11:8080 (http.port), reachable around the reverse proxy"]),
    ({"bind_interface": "127.0.0.1", "https_enable": "TRUE"}, [Listener("::", 8443)],
     ["a socket listens on [::]:8443 (https.port), reachable around the reverse proxy"]),
    # https.enable "true " is false to Boolean.valueOf: 8443 is not the server's port
    ({"bind_interface": "127.0.0.1", "https_enable": "true "}, [Listener("0.0.0.0", 8443)], []),
    # both off: ServerDaemon turns HTTP on again
    ({"bind_interface": "127.0.0.1", "http_enable": "false"}, [Listener("0.0.0.0", 8080)],
     ["a socket listens on 0.0.0.0:8080 (http.port), reachable around the reverse proxy"]),
    ({"bind_interface": "127.0.0.1", "http_enable": "false", "https_enable": "true"},
     [Listener("0.0.0.0", 8080)], []),
])
def test_findings(keys, listeners, findings):
    assert local_only_findings(with_keys(**keys), listeners) == findings


def test_no_file_means_the_defaults():
    assert local_only_findings(None, []) == [f"no {PATH}: the server listens on every interface"]


@pytest.mark.parametrize("port, message", [
    ("80a", "'80a' is not a port (Integer.valueOf): the server would not start"),
    ("8080 ", "'8080 ' is not a port"),
    ("0", "0 is not a port from 1 to 65535"),
    ("65536", "65536 is not a port from 1 to 65535"),
])
def test_a_port_the_server_cannot_use_is_not_checked(port, message):
    with pytest.raises(UnparsableOutput, match=re.escape(f"{PATH} http.port: {message}")):
        local_only_findings(with_keys(bind_interface="127.0.0.1", http_port=port), [])


@given(st.text(max_size=8))
@settings(max_examples=examples(200), deadline=None)
def test_booleans_are_read_as_boolean_value_of(text):
    assert java_boolean(text, "false") == (text.lower() == "true")


@pytest.mark.parametrize("address, loopback", [
    ("127.0.0.1", True), ("127.255.0.9", True), ("::1", True), ("*", False), ("0.0.0.0", False),
    ("::", False), ("198.18.0.11", False), ("fd00::11", False), ("not an address", False)])
def test_loopback(address, loopback):
    assert is_loopback(address) is loopback
