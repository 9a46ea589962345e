"""MariaDB/MySQL through PyMySQL, as the read-only audit user."""
from __future__ import annotations

import pymysql

from stackaudit.errors import CollectionFailed, LoginRefused, Unreachable, error_record

ACCESS_DENIED = {1044, 1045, 1698}


def connect(address: str, port: int, user: str, password: str, timeout: float) -> pymysql.Connection:
    try:
        return pymysql.connect(host=address, port=port, user=user, password=password, connect_timeout=timeout,
                               read_timeout=timeout, cursorclass=pymysql.cursors.DictCursor)
    except pymysql.err.OperationalError as err:
        code = err.args[0] if err.args else 0
        if code in ACCESS_DENIED:
            raise LoginRefused(f"MariaDB {address}:{port}: login as {user} refused ({code})") from None
        # PyMySQL's text, e.g. "Can't connect to MySQL server on '198.18.0.101' ([Errno 111] Connection refused)"
        reason = str(err.args[1]).split("(", 1)[-1].rstrip(")") if len(err.args) > 1 else "no reason given"
        raise Unreachable(f"MariaDB {address}:{port}: cannot connect ({code}): {reason}") from None


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
