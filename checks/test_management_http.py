"""Management servers' own HTTP(S) behind a local reverse proxy, read over SSH ([CSC-WIKI], [CS-CODE]
in docs/sources.md)."""
from stackaudit.catalog import check
from stackaudit.rules import http_local as rules


@check("MS-HTTP-LOCAL-ONLY", reads=("server_properties", "listeners"))
def test_http_local_only(management_server):
    """Behind a local reverse proxy, server.properties binds the management server's Jetty to a
    loopback address, and no socket on its HTTP (or enabled HTTPS) port listens on another address."""
    facts = management_server.facts
    findings = rules.local_only_findings(facts.server_properties, facts.listeners)
    assert not findings, "; ".join(findings)
