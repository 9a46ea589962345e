"""The API client's errors name the endpoint and the kind of failure (collect/transports/http_failures.py):
a refusal and a timeout made for real on loopback, the other kinds as urllib3 and requests chain them."""
from __future__ import annotations

import errno
import socket
import ssl

import pytest
import requests
import urllib3

from stackaudit.collect.transports.cloudstack import connection_error
from stackaudit.collect.transports.http_failures import Failure, failure, shown_endpoint
from stackaudit.errors import HostKeyRejected, Unreachable
from stackaudit.report.auditor import not_checked_reason
from tests.unit.loopback import LoopbackServer

ENDPOINT = "https://ms1.example:8443/client/api"


def wrapped(cause: BaseException, outer=requests.ConnectionError) -> BaseException:
    """`cause` as requests raises it: requests' error around urllib3's MaxRetryError around urllib3's
    connection error, raised from the socket's (HTTPAdapter.send; HTTPConnection._new_conn)."""
    conn = urllib3.connection.HTTPSConnection("ms1.example", 8443)
    if isinstance(cause, socket.gaierror):
        new = urllib3.exceptions.NameResolutionError("ms1.example", conn, cause)
    elif isinstance(cause, ssl.SSLError):
        new = urllib3.exceptions.SSLError(cause)
    else:
        new = urllib3.exceptions.NewConnectionError(conn, f"Failed to establish a new connection: {cause}")
    new.__cause__ = cause
    retry = urllib3.exceptions.MaxRetryError(None, "/client/api", reason=new)
    return outer(retry)


def certificate_error() -> ssl.SSLCertVerificationError:
    err = ssl.SSLCertVerificationError(1, "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed")
    err.verify_message = "unable to get local issuer certificate"
    return err


@pytest.mark.parametrize("err, kind, text", [
    (wrapped(socket.gaierror(socket.EAI_NONAME, "Name or service not known")), "DNS", "the name does not resolve (DNS)"),
    (wrapped(OSError(errno.EHOSTUNREACH, "No route to host")), "no route",
     "no route to host (routing, or a firewall answering with an ICMP error)"),
    (wrapped(OSError(errno.ENETUNREACH, "Network is unreachable")), "no route",
     "no route to host (routing, or a firewall answering with an ICMP error)"),
    (wrapped(ConnectionResetError(errno.ECONNRESET, "reset")), "reset", "the connection was reset"),
    (wrapped(certificate_error(), requests.exceptions.SSLError), "certificate",
     "TLS certificate not trusted (unable to get local issuer certificate)"),
    (wrapped(ssl.SSLError(1, "[SSL: WRONG_VERSION_NUMBER] wrong version number"), requests.exceptions.SSLError),
     "TLS", "TLS handshake failed (wrong version number)"),
    (requests.ConnectTimeout(urllib3.exceptions.ConnectTimeoutError(None, "timed out")), "timeout",
     "no connection within 6s (timed out: a firewall dropping silently, or the host down)"),
    (wrapped(PermissionError(errno.EPERM, "Operation not permitted")), "other", "Operation not permitted"),
])
def test_each_kind_of_failure_is_named_from_the_error_chain(err, kind, text):
    found = failure(err, 6)
    assert (found.kind, found.text) == (kind, text)


def test_ssl_error_without_a_library_reason_names_its_text():
    assert failure(wrapped(ssl.SSLError(1, "odd")), 6) == Failure("TLS", "TLS handshake failed (odd)")


@pytest.mark.integration     # connects (loopback)
def test_a_refusal_on_loopback_is_named_refused():
    with socket.socket() as probe:      # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(requests.RequestException) as raised:
        requests.get(f"http://127.0.0.1:{port}/client/api", timeout=5)
    assert failure(raised.value, 5) == Failure(
        "refused", "connection refused (nothing listens on the port, or a firewall rejects)")


@pytest.mark.integration     # connects (loopback)
def test_a_silent_server_on_loopback_is_no_answer_within_the_timeout():
    server = LoopbackServer("hold")
    try:
        with pytest.raises(requests.RequestException) as raised:
            requests.get(f"http://127.0.0.1:{server.port}/client/api", timeout=0.3)
    finally:
        server.stop()
    assert failure(raised.value, 0.3) == Failure("timeout", "no answer within 0s (timed out)")


def test_the_client_s_error_names_the_endpoint_and_its_kind_of_reason():
    refused = connection_error("listZones", shown_endpoint(ENDPOINT), Failure("refused", "connection refused (...)"))
    assert type(refused) is Unreachable and str(refused) == (
        "CloudStack API: listZones: cannot connect to https://ms1.example:8443/client/api: connection refused (...)")
    silent = connection_error("listHosts", ENDPOINT, Failure("timeout", "no answer within 6s (timed out)"))
    assert str(silent) == f"CloudStack API: listHosts: no answer within 6s (timed out) from {ENDPOINT}"
    untrusted = connection_error("listHosts", ENDPOINT, Failure("certificate", "TLS certificate not trusted (x)"))
    assert type(untrusted) is HostKeyRejected and not_checked_reason(untrusted) == "host key"
    assert not_checked_reason(refused) == "unreachable"


@pytest.mark.parametrize("url, shown", [
    ("https://audit:s3cret@ms1.example:8443/client/api?apikey=x#f", "https://ms1.example:8443/client/api"),
    ("http://[fd00::1]:8080/client/api", "http://[fd00::1]:8080/client/api"),
    ("http://ms1/client/api", "http://ms1/client/api"),
    ("http://ms1:99999999/client/api", "(an endpoint that is not a URL)"),
])
def test_the_endpoint_is_shown_without_credentials_query_or_fragment(url, shown):
    assert shown_endpoint(url) == shown
