"""MariaDB/MySQL through PyMySQL, as the read-only audit user.

Over TLS verified against the inventory's CA file, the server's address checked against its
certificate's subjectAltName (PyMySQL's ssl_ca and ssl_verify_identity); without a CA file
(`databases.insecure: true`) PyMySQL's "preferred" TLS, unverified, and every result read over it
says so. Either way the password goes only into exchanges that do not reveal it (mysql_auth.py).
"""
from __future__ import annotations

import ssl
import struct
from pathlib import Path

import pymysql
from pymysql.constants import CR

from stackaudit.config.inventory import unverified_tls_note
from stackaudit.collect.transports.mysql_auth import AuditConnection, PasswordWithheld
from stackaudit.errors import (AuthenticationFailed, CollectionFailed, HostKeyRejected, LoginRefused, Unreachable,
                               error_record)

ACCESS_DENIED = {1044, 1045, 1698}


def connect(address: str, port: int, user: str, password: str, timeout: float,
            ca_file: Path | None) -> pymysql.Connection:
    """A connection as `user`; TLS verified against `ca_file`, or unverified when it is None."""
    label = f"MariaDB {address}:{port}"
    tls = {"ssl_ca": str(ca_file), "ssl_verify_identity": True} if ca_file is not None else {}
    try:
        return AuditConnection(host=address, port=port, user=user, password=password, connect_timeout=timeout,
                               read_timeout=timeout, cursorclass=pymysql.cursors.DictCursor, **tls)
    except PasswordWithheld as err:
        raise AuthenticationFailed(f"{label}: {err.args[1]}") from None
    except pymysql.err.OperationalError as err:
        code = err.args[0] if err.args else 0
        if code in ACCESS_DENIED:
            raise LoginRefused(f"{label}: login as {user} refused ({code})") from None
        cause = getattr(err, "original_exception", None)
        if isinstance(cause, ssl.SSLCertVerificationError):
            raise HostKeyRejected(f"{label}: TLS certificate not trusted: {cause.verify_message} "
                                  "(checked against databases.ca_file)") from None
        if isinstance(cause, ssl.SSLError):
            raise Unreachable(f"{label}: TLS handshake failed: {cause.reason or cause}") from None
        if code == CR.CR_SSL_CONNECTION_ERROR:
            raise HostKeyRejected(f"{label}: the server offers no TLS, and with databases.ca_file StackAudit "
                                  "connects only over verified TLS") from None
        # PyMySQL's text, e.g. "Can't connect to MySQL server on '198.18.0.101' ([Errno 111] Connection refused)"
        reason = str(err.args[1]).split("(", 1)[-1].rstrip(")") if len(err.args) > 1 else "no reason given"
        raise Unreachable(f"{label}: cannot connect ({code}): {reason}") from None
    except (pymysql.err.MySQLError, ValueError, IndexError, struct.error) as err:
        # A greeting or handshake packet PyMySQL cannot read: not a MySQL server, or a broken one.
        raise CollectionFailed(f"{label}: not a MySQL handshake ({type(err).__name__}: {err})"[:300]) from None


def channel_record(conn: pymysql.Connection, insecure: bool) -> dict:
    """{"tls": why not verified} for the SQL facts when the inventory says `insecure: true` (Facts.part
    attaches it to every result judged on them), else {}."""
    if not insecure:
        return {}
    plain = "" if getattr(conn, "_secure", False) else "; nor encrypted: the server offered no TLS"
    return {"tls": unverified_tls_note("databases") + plain}


def query_or_error(conn: pymysql.Connection, label: str, sql: str) -> dict:
    """{"rows": [...]} with JSON-ready values, or {"error": ...}: one refused query spoils no other."""
    try:
        with conn.cursor() as cur:
            cur.execute(sql)
            return {"rows": [{k: jsonable(v) for k, v in row.items()} for row in cur.fetchall()]}
    except pymysql.err.MySQLError as err:
        reason = err.args[-1] if err.args else err
        return error_record(CollectionFailed(f"MariaDB {label}: {sql} failed: {reason}"))


def jsonable(value):
    if isinstance(value, bytes):
        return value.decode(errors="replace")
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)
