"""The accounts of a MariaDB/MySQL server and how each logs in, as PyMySQL's DictCursor returns them.

MariaDB 10.4+ keeps accounts in `mysql.global_priv`, one JSON document per account (`mysql.user`
is a view of it without `account_locked`; MariaDB Knowledge Base, "mysql.global_priv Table",
https://mariadb.com/kb/en/mysql-global_priv-table/). Recorded on MariaDB 10.11.19:

    {"User": "root", "Host": "localhost", "Priv": "{\"access\":18446744073709551615,
     \"plugin\":\"mysql_native_password\",\"authentication_string\":\"invalid\",
     \"auth_or\":[{},{\"plugin\":\"unix_socket\"}]}"}
    {"User": "mariadb.sys", "Host": "localhost", "Priv": "{\"access\":0,\"plugin\":
     \"mysql_native_password\",\"authentication_string\":\"\",\"account_locked\":true, ...}"}
    {"User": "auditors", "Host": "", "Priv": "{\"access\":0,\"version_id\":101119,\"is_role\":true}"}

`auth_or` lists the login alternatives (`IDENTIFIED VIA a OR b`); the `{}` among them is the one
whose plugin and string are the document's own top-level ones (recorded: `VIA unix_socket OR
mysql_native_password` is stored as `auth_or: [{"plugin":"unix_socket"},{}]` with the native hash at
the top). Older MariaDB and MySQL: `mysql.user` columns `plugin`, `authentication_string`, and
`Password`, `account_locked`, `is_role` where the server has them.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass

from stackaudit.errors import UnparsableOutput
from stackaudit.parsers.mysql import result_rows

NATIVE_PLUGIN = "mysql_native_password"
NATIVE_HASH = re.compile(r"\*[0-9A-Fa-f]{40}")
# Plugins that take no password: the peer's uid (unix_socket; MySQL's auth_socket) or a Kerberos
# ticket (gssapi). Their string, if any, names an OS user or a principal: no secret.
PASSWORDLESS_PLUGINS = {"unix_socket", "auth_socket", "gssapi"}


@dataclass(frozen=True)
class Login:
    """One way into an account: its authentication plugin and that plugin's stored string."""
    plugin: str
    secret: str = ""

    def __repr__(self) -> str:     # the stored string is a secret of the target: never in a repr
        return f"Login(plugin={self.plugin!r}, secret={'set' if self.secret else 'empty'})"


@dataclass(frozen=True)
class Account:
    user: str
    host: str
    logins: tuple[Login, ...]
    locked: bool
    role: bool

    @property
    def name(self) -> str:
        return f"'{self.user}'@'{self.host}'"


def _text(value, where: str) -> str:
    if value is None:
        return ""
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).decode("utf-8", "replace")
    if isinstance(value, str):
        return value
    raise UnparsableOutput(f"{where}: expected text, got {type(value).__name__}")


def _yes(value) -> bool:
    return _text(value, "mysql.user").strip().upper() in ("Y", "YES", "1", "TRUE")


def _login(entry, top: Login, where: str) -> Login:
    if not isinstance(entry, dict):
        raise UnparsableOutput(f"{where}: an auth_or alternative is not an object")
    if not entry:
        return top
    plugin = _text(entry.get("plugin"), where) or NATIVE_PLUGIN
    return Login(plugin, _text(entry.get("authentication_string"), where))


def parse_global_priv_row(row: dict) -> Account:
    """One row of `SELECT User, Host, Priv FROM mysql.global_priv`."""
    try:
        user, host, priv = (_text(row[k], "mysql.global_priv") for k in ("User", "Host", "Priv"))
        document = json.loads(priv)
    except (KeyError, TypeError):
        raise UnparsableOutput(f"mysql.global_priv: expected User, Host and Priv, got columns "
                               f"{sorted(row) if isinstance(row, dict) else type(row).__name__}") from None
    except ValueError:
        raise UnparsableOutput("mysql.global_priv: a Priv value is not JSON") from None
    if not isinstance(document, dict):
        raise UnparsableOutput("mysql.global_priv: a Priv value is not a JSON object")
    where = f"mysql.global_priv '{user}'@'{host}'"
    top = Login(_text(document.get("plugin"), where) or NATIVE_PLUGIN,
                _text(document.get("authentication_string"), where))
    alternatives = document.get("auth_or")
    if alternatives is None:
        logins = (top,)
    elif isinstance(alternatives, list) and alternatives:
        logins = tuple(_login(entry, top, where) for entry in alternatives)
    else:
        raise UnparsableOutput(f"{where}: auth_or is not a list of alternatives")
    return Account(user, host, logins, document.get("account_locked") is True, document.get("is_role") is True)


def parse_user_table_row(row: dict) -> Account:
    """One row of the older `mysql.user` statement (MariaDB before 10.4, MySQL). MariaDB 5.5-10.3
    keeps a native hash in `Password` when `authentication_string` is empty."""
    try:
        user, host = _text(row["User"], "mysql.user"), _text(row["Host"], "mysql.user")
    except (KeyError, TypeError):
        raise UnparsableOutput("mysql.user: expected User and Host columns") from None
    where = f"mysql.user '{user}'@'{host}'"
    plugin = _text(row.get("plugin"), where) or NATIVE_PLUGIN
    secret = _text(row.get("authentication_string"), where)
    if not secret and plugin == NATIVE_PLUGIN:
        secret = _text(row.get("Password"), where)
    return Account(user, host, (Login(plugin, secret),), _yes(row.get("account_locked")), _yes(row.get("is_role")))


def parse_accounts(rows, statement: str) -> list[Account]:
    """The rows of the accounts statement `statement` (global_priv or mysql.user), as accounts."""
    parse = parse_global_priv_row if "global_priv" in statement else parse_user_table_row
    accounts = []
    for row in result_rows(rows, statement):
        if not isinstance(row, dict):
            raise UnparsableOutput(f"{statement}: a row is not a record")
        accounts.append(parse(row))
    return accounts


def is_secret(login: Login) -> bool:
    """A native hash, or the string of a plugin that takes a password. Not a native string that
    is no hash (root's `invalid`): no password matches it, and as a secret every "invalid" in
    any output would be masked."""
    if login.plugin == NATIVE_PLUGIN:
        return NATIVE_HASH.fullmatch(login.secret) is not None
    return bool(login.secret) and login.plugin not in PASSWORDLESS_PLUGINS


def account_secrets(rows) -> list[str]:
    """Every stored password hash of the accounts rows: secrets of the target, masked by value
    wherever they would leave the run (collect/target_secrets.py)."""
    if not isinstance(rows, list):
        return []
    found = []
    for row in rows:
        if not isinstance(row, dict):
            continue
        try:
            account = parse_global_priv_row(row) if "Priv" in row else parse_user_table_row(row)
        except (UnparsableOutput, TypeError):
            continue
        found += [login.secret for login in account.logins if is_secret(login)]
    return found
