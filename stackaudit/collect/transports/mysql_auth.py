"""Which MariaDB/MySQL authentication exchanges the audit user's password may take part in.

The server, not the client, chooses the plugin (an AuthSwitchRequest names it), so whoever answers
on the database's address can ask for the password itself. PyMySQL 1.2.4 gives it to any server
that asks (pymysql/connections.py, Connection._process_auth and _request_authentication;
pymysql/_auth.py, caching_sha2_password_auth):
- `mysql_clear_password` and `dialog` (PAM) send it as it is;
- `sha256_password`, and `caching_sha2_password` when the server asks for "full authentication",
  send it as it is over TLS, or else encrypted to an RSA key that the server itself supplies.
StackAudit sends only proofs of the password that are worth nothing without it: the
`mysql_native_password` and `caching_sha2_password` scrambles (a hash of the password mixed with
the server's random salt) and `client_ed25519`'s signature. Anything else gets no password, and the
target is broken saying which plugin was asked for (MySQL Reference Manual, "Pluggable
Authentication" and "Caching SHA-2 Pluggable Authentication", 2024,
https://dev.mysql.com/doc/refman/8.0/en/caching-sha2-pluggable-authentication.html; MariaDB
Knowledge Base, "Authentication Plugin - PAM", https://mariadb.com/kb/en/authentication-plugin-pam/).

AuditConnection overrides two of PyMySQL's private methods (requirements.txt pins the version);
tests/unit/test_mysql_auth.py runs PyMySQL's own connection code through them, so a PyMySQL that
changes them fails those tests rather than sending a password.
"""
from __future__ import annotations

import pymysql
from pymysql import _auth
from pymysql.constants import CR

# The plugins whose exchange never carries the password itself.
PROOF_PLUGINS = ("mysql_native_password", "caching_sha2_password", "client_ed25519")
# Why the others get nothing; any plugin not named here or above is unknown, and refused.
REFUSED_PLUGINS = {
    "mysql_clear_password": "sends the password in the clear",
    "dialog": "sends the password in the clear (PAM)",
    "sha256_password": "sends the password itself (as it is over TLS, else encrypted to a key the server supplies)",
    "mysql_old_password": "uses the pre-4.1 scramble, from which the password is recovered",
}
# caching_sha2_password's answers after the scramble (MySQL's sql/auth/sha2_password_common.h):
# 3 fast authentication succeeded; 4 perform full authentication, which asks for the password.
FAST_AUTH_SUCCESS, PERFORM_FULL_AUTH = 3, 4


class PasswordWithheld(pymysql.err.OperationalError):
    """The server asked for an exchange that would give it the password; none was sent."""


def refusal(plugin: str | bytes) -> str | None:
    """None if the audit user's password may go into `plugin`'s exchange, else why not."""
    name = plugin.decode("ascii", "replace") if isinstance(plugin, bytes) else plugin
    if name in PROOF_PLUGINS:
        return None
    return REFUSED_PLUGINS.get(name, "is a plugin StackAudit does not know, which could send the password")


def withhold(plugin: str | bytes, reason: str) -> PasswordWithheld:
    name = plugin.decode("ascii", "replace") if isinstance(plugin, bytes) else plugin
    return PasswordWithheld(CR.CR_AUTH_PLUGIN_CANNOT_LOAD,
                            f"the server asks for authentication plugin {name!r}, which {reason}; no password "
                            "was sent (give the audit user mysql_native_password or ed25519)")


def full_auth_refusal(extra_auth_data: bytes) -> str | None:
    """None if caching_sha2_password's answer after the scramble is its fast path's success, else why
    StackAudit stops there (the next step would send the password)."""
    step = extra_auth_data[1] if len(extra_auth_data) > 1 else None
    if step == FAST_AUTH_SUCCESS:
        return None
    if step == PERFORM_FULL_AUTH:
        return ("then asks for full authentication, which sends the password itself (the server holds no cached "
                "hash of the audit user)")
    return f"then answers the scramble with step {step}, which StackAudit does not know"


class ScrambleOnlyCachingSha2:
    """caching_sha2_password's fast path only: the scramble, never the password (PyMySQL's own handler
    goes on to full authentication). Used by PyMySQL through `auth_plugin_map`."""

    def __init__(self, conn):
        self.conn = conn

    def authenticate(self, pkt):
        if pkt.is_auth_switch_request():
            self.conn.salt = pkt.read_all().removesuffix(b"\0")
            return _auth._roundtrip(self.conn, _auth.scramble_caching_sha2(self.conn.password, self.conn.salt))
        reason = full_auth_refusal(pkt.get_all_data())
        if reason is not None:
            raise withhold("caching_sha2_password", reason)
        pkt = self.conn._read_packet()
        pkt.check_error()
        return pkt


class AuditConnection(pymysql.connections.Connection):
    """PyMySQL's connection, which refuses every exchange that would send the password itself."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, auth_plugin_map={"caching_sha2_password": ScrambleOnlyCachingSha2}, **kwargs)

    def _request_authentication(self):
        # The greeting's plugin decides the first answer: for sha256_password over TLS PyMySQL would
        # put the password in it. Answer any plugin but the two scrambles with mysql_native_password's;
        # a server that wants another plugin then asks for it by an AuthSwitchRequest (below).
        if self._auth_plugin_name not in ("", "mysql_native_password", "caching_sha2_password"):
            self._auth_plugin_name = "mysql_native_password"
        super()._request_authentication()

    def _process_auth(self, plugin_name, auth_packet, handler=None):
        reason = refusal(plugin_name)
        if reason is not None:
            raise withhold(plugin_name, reason)
        return super()._process_auth(plugin_name, auth_packet, handler)
