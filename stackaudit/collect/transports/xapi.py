"""XAPI through the official XenAPI client, with TLS verified against the inventory's CA file."""
from __future__ import annotations

import ssl
import xmlrpc.client
from pathlib import Path

import XenAPI

from stackaudit.errors import ApiError, HostKeyRejected, LoginRefused, Unreachable

ORIGINATOR = "stackaudit"


class NotMaster(Exception):
    """Raised by login on a pool member: XAPI answers HOST_IS_SLAVE with the master's address."""

    def __init__(self, master_address: str):
        super().__init__(master_address)
        self.master_address = master_address


def tls_context(ca_file: Path | None, insecure: bool) -> ssl.SSLContext:
    """Verified against the CA file (chain and host name); unverified only when the inventory says
    `insecure: true` (config/inventory.py refuses neither)."""
    if ca_file is not None:
        return ssl.create_default_context(cafile=str(ca_file))
    if not insecure:
        raise ValueError("XAPI without a CA file needs xenserver.insecure: true")
    return ssl._create_unverified_context()


def session(address: str, port: int, ca_file: Path | None, timeout: float, insecure: bool = False) -> XenAPI.Session:
    context = tls_context(ca_file, insecure)
    host = f"[{address}]" if ":" in address else address
    return XenAPI.Session(f"https://{host}:{port}", transport=_TimeoutSafeTransport(context, timeout))


class _TimeoutSafeTransport(xmlrpc.client.SafeTransport):
    def __init__(self, context, timeout):
        super().__init__(context=context)
        self._timeout = timeout

    def make_connection(self, host):
        connection = super().make_connection(host)
        connection.timeout = self._timeout
        return connection


def login(address: str, port: int, username: str, password: str, ca_file: Path | None,
          timeout: float, insecure: bool = False) -> XenAPI.Session:
    """A logged-in session on the pool master; NotMaster if `address` is a member."""
    xapi = session(address, port, ca_file, timeout, insecure)
    try:
        xapi.xenapi.login_with_password(username, password, "2.16", ORIGINATOR)
    except XenAPI.Failure as failure:
        code = failure.details[0] if failure.details else "UNKNOWN"
        if code == "HOST_IS_SLAVE" and len(failure.details) > 1:
            raise NotMaster(failure.details[1]) from None
        if code == "SESSION_AUTHENTICATION_FAILED":
            raise LoginRefused(f"XAPI {address}: login as {username} refused") from None
        raise ApiError(f"XAPI {address}: login failed: {code}") from None
    except ssl.SSLCertVerificationError as err:
        raise HostKeyRejected(f"XAPI {address}: TLS certificate not trusted ({err.verify_message})") from None
    except (OSError, xmlrpc.client.ProtocolError) as err:
        raise Unreachable(f"XAPI {address}:{port}: cannot connect: {connect_failure(err, timeout)}") from None
    return xapi


def connect_failure(err: Exception, timeout: float) -> str:
    # a reset reaches the client as EOF, reset or broken pipe, by when it lands in the handshake
    if isinstance(err, (ssl.SSLEOFError, ConnectionResetError, BrokenPipeError, ConnectionAbortedError)) or (
            isinstance(err, ssl.SSLError) and "EOF" in str(err)):
        return "the connection was closed or reset during the TLS handshake (xapi not serving)"
    if isinstance(err, TimeoutError):
        return f"no answer within {timeout:.0f}s (timed out)" if timeout else "timed out"
    if isinstance(err, xmlrpc.client.ProtocolError):
        return f"HTTP {err.errcode} {err.errmsg}"
    return getattr(err, "strerror", None) or str(err) or type(err).__name__


def call(xapi: XenAPI.Session, address: str, method: str, *args):
    """xapi.xenapi.<method>(*args) with XAPI failures turned into a broken result's reason."""
    target = xapi.xenapi
    for part in method.split("."):
        target = getattr(target, part)
    try:
        return target(*args)
    except XenAPI.Failure as failure:
        raise ApiError(f"XAPI {address}: {method} failed: {' '.join(map(str, failure.details))}") from None
    except (OSError, xmlrpc.client.ProtocolError) as err:
        raise Unreachable(f"XAPI {address}: {method}: connection lost: {connect_failure(err, 0)}") from None


def logout(xapi: XenAPI.Session) -> None:
    try:
        xapi.xenapi.session.logout()
    except Exception:  # noqa: BLE001 - the facts are already collected; a failed logout changes nothing
        pass
