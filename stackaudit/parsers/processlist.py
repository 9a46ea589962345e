"""Who is connected to a MariaDB/MySQL server, and whether the audit user may see everyone.

`SELECT USER, HOST FROM information_schema.PROCESSLIST`, as PyMySQL's DictCursor returns it: one
row per thread. HOST is `host:port` for a TCP client, `localhost` for the socket, and empty for the
server's own threads, whose USER is `system user` (replication's IO and SQL threads) or
`event_scheduler` (MySQL 8.0 Reference Manual, "Monitoring Replication Main Threads",
https://dev.mysql.com/doc/refman/8.0/en/replication-threads-monitor-main.html):

    {"USER": "system user", "HOST": ""}
    {"USER": "cloud", "HOST": "198.18.0.10:48712"}

A user without the PROCESS privilege sees only its own threads ("Process grant is required to
access processlist, whether through the show command or the information_schema table":
signal18/replication-manager pull request 175), so an empty answer proves nothing without it.
Whether the audit user holds it: `information_schema.USER_PRIVILEGES`, whose GRANTEE is
`'user'@'host'` (MariaDB sql_acl.cc fill_schema_user_privileges: `strxmov(buff, "'", user, "'@'",
host, "'")`), compared with CURRENT_USER(), which says `user@host`.
"""
from __future__ import annotations

from dataclasses import dataclass

from stackaudit.errors import UnparsableOutput
from stackaudit.parsers.mysql import result_rows

SESSIONS_STATEMENT = "SELECT USER, HOST FROM information_schema.PROCESSLIST"
PROCESS_PRIVILEGE_STATEMENT = ("SELECT CURRENT_USER() AS account, GRANTEE, PRIVILEGE_TYPE "
                               "FROM information_schema.USER_PRIVILEGES WHERE PRIVILEGE_TYPE = 'PROCESS'")


@dataclass(frozen=True)
class Session:
    user: str
    host: str        # as the server shows it: host:port, localhost, or empty

    @property
    def described(self) -> str:
        return f"{self.user}@{self.host}" if self.host else self.user


def _text(row, column: str, statement: str) -> str:
    try:
        value = row[column]
    except (KeyError, TypeError):
        raise UnparsableOutput(f"{statement}: a row without {column}: {str(row)[:80]}") from None
    if value is None:
        return ""
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if not isinstance(value, str):
        raise UnparsableOutput(f"{statement}: {column} is {type(value).__name__}, not text: {str(row)[:80]}")
    return value


def parse_sessions(rows) -> tuple[Session, ...]:
    """Every thread's user and host, in the server's order."""
    return tuple(Session(_text(row, "USER", SESSIONS_STATEMENT), _text(row, "HOST", SESSIONS_STATEMENT))
                 for row in result_rows(rows, SESSIONS_STATEMENT))


def grantee_of(account: str) -> str:
    """CURRENT_USER()'s `user@host` as USER_PRIVILEGES names it: `'user'@'host'` (a host has no @)."""
    user, at, host = account.rpartition("@")
    if not at:
        raise UnparsableOutput(f"CURRENT_USER() is {account[:80]!r}, not user@host")
    return f"'{user}'@'{host}'"


def parse_process_privilege(rows) -> bool:
    """Whether the current user holds PROCESS itself (a role's grant is not seen: not held)."""
    for row in result_rows(rows, PROCESS_PRIVILEGE_STATEMENT):
        grantee = _text(row, "GRANTEE", PROCESS_PRIVILEGE_STATEMENT)
        privilege = _text(row, "PRIVILEGE_TYPE", PROCESS_PRIVILEGE_STATEMENT)
        account = _text(row, "account", PROCESS_PRIVILEGE_STATEMENT)
        if privilege.upper() == "PROCESS" and grantee == grantee_of(account):
            return True
    return False
