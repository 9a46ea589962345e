"""Why an HTTP request (requests, urllib3) did not get an answer, in words an operator acts on.

requests says `ConnectionError` for a name that does not resolve, a refusal and no route alike; the
cause is further down its chain: requests' ConnectionError wraps urllib3's MaxRetryError, whose
`reason` is a NewConnectionError (NameResolutionError for DNS, urllib3 2) raised from the socket's
own error: socket.gaierror, ConnectionRefusedError, OSError EHOSTUNREACH or ENETUNREACH
(requests/adapters.py HTTPAdapter.send; urllib3/connection.py HTTPConnection._new_conn). A TLS
failure is an ssl.SSLError below requests' SSLError, a certificate that is not trusted an
ssl.SSLCertVerificationError. Each kind points at its own fix (report/not_checked.py).
"""
from __future__ import annotations

import errno
import re
import socket
import ssl
import urllib.parse
from dataclasses import dataclass

import requests
import urllib3

MAX_DEPTH = 12      # a chain of causes is a few links; a cycle or a pathological one stops here


@dataclass(frozen=True)
class Failure:
    kind: str                 # DNS, refused, no route, timeout, TLS, certificate, reset, other
    text: str                 # what happened, for the message


def causes(err: BaseException):
    """`err` and what it wraps: its `reason` (urllib3), exception arguments (requests), its cause and context."""
    seen, pending = set(), [err]
    while pending and len(seen) < MAX_DEPTH:
        current = pending.pop(0)
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        wrapped = [getattr(current, "reason", None), *getattr(current, "args", ()), current.__cause__,
                   current.__context__]
        pending += [w for w in wrapped if isinstance(w, BaseException)]


def failure(err: BaseException, timeout: float) -> Failure:
    """The kind of failure behind `err` and one line saying it."""
    found = list(causes(err))
    for cause in found:
        if isinstance(cause, ssl.SSLCertVerificationError):
            return Failure("certificate", f"TLS certificate not trusted ({cause.verify_message or ssl_text(cause)})")
    for cause in found:
        if isinstance(cause, socket.gaierror) or type(cause).__name__ == "NameResolutionError":
            return Failure("DNS", "the name does not resolve (DNS)")
        if isinstance(cause, ConnectionRefusedError):
            return Failure("refused", "connection refused (nothing listens on the port, or a firewall rejects)")
        if isinstance(cause, OSError) and cause.errno in (errno.EHOSTUNREACH, errno.ENETUNREACH):
            return Failure("no route", "no route to host (routing, or a firewall answering with an ICMP error)")
        if isinstance(cause, (ConnectionResetError, ConnectionAbortedError, BrokenPipeError)):
            return Failure("reset", "the connection was reset")
    # urllib3's NewConnectionError is a ConnectTimeoutError by class, whatever its cause: not a timeout
    timeouts = [c for c in found if not isinstance(c, urllib3.exceptions.NewConnectionError)]
    if any(isinstance(c, (requests.ConnectTimeout, urllib3.exceptions.ConnectTimeoutError)) for c in timeouts):
        return Failure("timeout", f"no connection within {timeout:.0f}s (timed out: a firewall dropping "
                                  "silently, or the host down)")
    if any(isinstance(c, (requests.Timeout, TimeoutError, urllib3.exceptions.TimeoutError)) for c in timeouts):
        return Failure("timeout", f"no answer within {timeout:.0f}s (timed out)")
    for cause in found:
        if isinstance(cause, ssl.SSLError):
            return Failure("TLS", f"TLS handshake failed ({ssl_text(cause)})")
    last = found[-1]
    return Failure("other", getattr(last, "strerror", None) or type(last).__name__)


def ssl_text(err: ssl.SSLError) -> str:
    """OpenSSL's words without their codes: `[SSL: WRONG_VERSION_NUMBER] wrong version number (_ssl.c:1006)`."""
    text = str(err.strerror or err.args[-1] if err.args else "") or "no reason given"
    return re.sub(r"\s*\(_ssl\.c:\d+\)$", "", re.sub(r"^\[[^\]]*\]\s*", "", text))


def shown_endpoint(url: str) -> str:
    """The endpoint as scheme://host:port/path: never a user name or password, a query or a fragment."""
    try:
        parts = urllib.parse.urlsplit(url)
        host = parts.hostname or ""
        host = f"[{host}]" if ":" in host else host
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "(an endpoint that is not a URL)"
    return f"{parts.scheme}://{host}{port}{parts.path}"
