"""MS-HTTP-LOCAL-ONLY: behind a local reverse proxy, the management server's own HTTP(S) listens on
loopback only. server.properties is read as the embedded Jetty server reads it ([CS-CODE]
client/src/main/java/org/apache/cloudstack/ServerDaemon.java, init() and createHttpConnector()):
`bind.interface` (unset: null, every interface), `http.enable` (default true), `http.port` (8080),
`https.enable` (false), `https.port` (8443); Boolean.valueOf and Integer.valueOf of the values, and
HTTP enabled anyway when both are false."""
from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from stackaudit.errors import UnparsableOutput
from stackaudit.parsers.net import ANY_ADDRESS, Listener
from stackaudit.parsers.numbers import read_java_int

SERVER_PROPERTIES = "/etc/cloudstack/management/server.properties"


@dataclass(frozen=True)
class Connectors:
    bind_interface: str | None     # None: Jetty's host null, every interface
    ports: dict[str, int]          # "http.port" / "https.port" -> port, for the connectors that are on


def java_boolean(value: str | None, default: str) -> bool:
    """Boolean.valueOf: true only for "true" in any case, nothing else (no blanks)."""
    return (default if value is None else value).lower() == "true"


def read_port(properties: dict[str, str], key: str, default: str) -> int:
    where = f"{SERVER_PROPERTIES} {key}"
    port = read_java_int(properties.get(key, default), where, what="a port (Integer.valueOf): the server would not start")
    if not 1 <= port <= 65535:
        raise UnparsableOutput(f"{where}: {port} is not a port from 1 to 65535")
    return port


def connectors(properties: dict[str, str] | None) -> Connectors:
    """What Jetty listens on; no server.properties leaves ServerDaemon's defaults."""
    properties = properties or {}
    http, https = java_boolean(properties.get("http.enable"), "true"), java_boolean(properties.get("https.enable"), "false")
    ports = {}
    if http or not https:
        ports["http.port"] = read_port(properties, "http.port", "8080")
    if https:
        ports["https.port"] = read_port(properties, "https.port", "8443")
    return Connectors(properties.get("bind.interface"), ports)


def is_loopback(address: str) -> bool:
    if address == ANY_ADDRESS:
        return False
    try:
        return ipaddress.ip_address(address.split("%", 1)[0]).is_loopback
    except ValueError:
        return False


def local_only_findings(properties: dict[str, str] | None, listeners: list[Listener]) -> list[str]:
    """Findings: bind.interface not a loopback address; a socket on a Jetty port on another address."""
    found = connectors(properties)
    findings = []
    if properties is None:
        findings.append(f"no {SERVER_PROPERTIES}: the server listens on every interface")
    elif found.bind_interface is None:
        findings.append(f"{SERVER_PROPERTIES} leaves bind.interface unset: the server listens on every interface")
    elif not is_loopback(found.bind_interface):
        findings.append(f"bind.interface is {found.bind_interface!r}, not a loopback address (127.0.0.1 or ::1)")
    for key, port in sorted(found.ports.items()):
        for listener in listeners:
            if listener.port == port and not is_loopback(listener.address):
                shown = f"[{listener.address}]" if ":" in listener.address else listener.address
                findings.append(f"a socket listens on {shown}:{port} ({key}), reachable around the reverse proxy")
    return findings
