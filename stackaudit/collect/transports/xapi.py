"""XAPI through the official XenAPI client, with TLS verified against the inventory's CA file."""
from __future__ import annotations

import base64
import ssl
import xmlrpc.client
from pathlib import Path
from xml.parsers.expat import ExpatError

import XenAPI

from stackaudit.collect.transports.bounded import AnswerCaps, AnswerRefused, one_line
from stackaudit.collect.transports.xmlrpc_bounded import BoundedSafeTransport
from stackaudit.errors import ApiError, HostKeyRejected, LoginRefused, Unreachable

ORIGINATOR = "stackaudit"
# A login's answer is a session reference or a failure: a few hundred bytes. The records a pool's
# checks read come through the session the collector opens with the policy's limits.
LOGIN_CAPS = AnswerCaps(1 << 20, "the cap on a login's answer", 60, "the time a login's answer may take")


class NotMaster(Exception):
    """Raised by login on a pool member: XAPI answers HOST_IS_SLAVE with the master's address."""

    def __init__(self, master_address: str):
        super().__init__(master_address)
        self.master_address = master_address


def session(address: str, port: int, ca_file: Path | None, timeout: float, *,
            answer_caps: AnswerCaps = LOGIN_CAPS) -> XenAPI.Session:
    context = ssl.create_default_context(cafile=str(ca_file)) if ca_file else ssl._create_unverified_context()
    host = f"[{address}]" if ":" in address else address
    return XenAPI.Session(f"https://{host}:{port}", transport=_TimeoutSafeTransport(context, timeout, answer_caps))


class _TimeoutSafeTransport(BoundedSafeTransport):
    def __init__(self, context, timeout, answer_caps: AnswerCaps):
        super().__init__(context, answer_caps)
        self._timeout = timeout

    def make_connection(self, host):
        connection = super().make_connection(host)
        connection.timeout = self._timeout
        return connection


def login(address: str, port: int, username: str, password: str, ca_file: Path | None,
          timeout: float, *, answer_caps: AnswerCaps = LOGIN_CAPS) -> XenAPI.Session:
    """A logged-in session on the pool master; NotMaster if `address` is a member. Its answers, and
    those of every call on the session, are bounded by `answer_caps`."""
    xapi = session(address, port, ca_file, timeout, answer_caps=answer_caps)
    try:
        xapi.xenapi.login_with_password(username, password, "2.16", ORIGINATOR)
    except XenAPI.Failure as failure:
        code = str(failure.details[0]) if isinstance(failure.details, list) and failure.details else "UNKNOWN"
        if code == "HOST_IS_SLAVE" and len(failure.details) > 1:
            raise NotMaster(failure.details[1]) from None
        if code == "SESSION_AUTHENTICATION_FAILED":
            raise LoginRefused(f"XAPI {address}: login as {username} refused") from None
        raise ApiError(one_line(f"XAPI {address}: login failed: {code}")) from None
    except ssl.SSLCertVerificationError as err:
        raise HostKeyRejected(f"XAPI {address}: TLS certificate not trusted ({err.verify_message})") from None
    except (OSError, xmlrpc.client.ProtocolError) as err:
        raise Unreachable(f"XAPI {address}:{port}: cannot connect: {connect_failure(err, timeout)}") from None
    except Exception as err:  # noqa: BLE001 - whatever the answer was, the pool is broken, never a traceback
        raise ApiError(f"XAPI {address}: login failed: {unusable_answer(err)}") from None
    return xapi


def unusable_answer(err: Exception) -> str:
    """Why an answer could not be used, in one line: refused by its bounds, an XML-RPC fault (not
    XAPI's own failure envelope), malformed XML, or a shape the XenAPI client trips over."""
    if isinstance(err, AnswerRefused):
        return str(err)
    if isinstance(err, xmlrpc.client.Fault):
        return one_line(f"XML-RPC fault {err.faultCode}: {err.faultString}")
    if isinstance(err, (ExpatError, xmlrpc.client.ResponseError)):
        return one_line(f"malformed XML-RPC answer: {err.args[0] if err.args else type(err).__name__}")
    return one_line(f"an answer of unexpected shape ({type(err).__name__}: {err})")


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
        return json_safe(target(*args))
    except XenAPI.Failure as failure:
        details = failure.details if isinstance(failure.details, list) else [failure.details]
        raise ApiError(one_line(f"XAPI {address}: {method} failed: {' '.join(map(str, details))}")) from None
    except (OSError, xmlrpc.client.ProtocolError) as err:
        raise Unreachable(f"XAPI {address}: {method}: connection lost: {connect_failure(err, 0)}") from None
    except Exception as err:  # noqa: BLE001 - whatever the answer was, the pool is broken, never a traceback
        raise ApiError(f"XAPI {address}: {method}: {unusable_answer(err)}") from None


def json_safe(value):
    """An answer with XML-RPC's own types as text: XAPI's dateTime.iso8601 fields (host_metrics.last_updated,
    VM.snapshot_time) and any <base64> arrive as DateTime and Binary, which the facts files (JSON) cannot
    hold. Nesting is at most MAX_NESTING deep (xmlrpc_bounded.py), so recursion is bounded."""
    if isinstance(value, dict):
        return {str(key): json_safe(item) for key, item in value.items()}
    if isinstance(value, list):
        return [json_safe(item) for item in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, xmlrpc.client.Binary):
        return base64.b64encode(value.data).decode()
    return str(value)


def logout(xapi: XenAPI.Session) -> None:
    try:
        xapi.xenapi.session.logout()
    except Exception:  # noqa: BLE001 - the facts are already collected; a failed logout changes nothing
        pass
