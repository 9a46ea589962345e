"""The database servers' accounts and how each logs in (DB-NO-KNOWN-PASSWORD): one read-only
SELECT, in the table the server's version keeps accounts in (parsers/mysql_accounts.py)."""
from __future__ import annotations

from stackaudit.collect.declared.database import SERVER_VERSION
from stackaudit.collect.readings import Fact, Query
from stackaudit.errors import CollectionFailed, TargetError, raise_if_error
from stackaudit.parsers.mysql import parse_server_version
from stackaudit.parsers.mysql_accounts import account_secrets, parse_accounts

GLOBAL_PRIV_SINCE = (10, 4)      # MariaDB 10.4.1 moved accounts to mysql.global_priv
GLOBAL_PRIV = "SELECT User, Host, Priv FROM mysql.global_priv"
MARIADB_USER_TABLE = "SELECT User, Host, plugin, authentication_string, Password, is_role FROM mysql.user"
MYSQL_USER_TABLE = "SELECT User, Host, plugin, authentication_string, account_locked FROM mysql.user"


def accounts_statement(answers) -> str:
    try:
        version = answers["server_version"]
        if version.error:
            raise_if_error({"error": version.error})
        server = parse_server_version(version.output)
    except TargetError as err:
        raise CollectionFailed(f"accounts not read: the server's version is unknown ({err})") from None
    if server.mariadb:
        return GLOBAL_PRIV if server.numbers[:2] >= GLOBAL_PRIV_SINCE else MARIADB_USER_TABLE
    return MYSQL_USER_TABLE


ACCOUNTS = Query("accounts", None, after=("server_version",), statement_of=accounts_statement,
                 secrets=account_secrets)


def accounts_of(facts):
    """The accounts; their evidence is each account's plugins and whether its string is set, never
    the string. An audit user without SELECT on the table is broken, naming the grant it needs."""
    answer = facts.reading("sql", "accounts")
    if answer is None:
        raise CollectionFailed(f"{facts.target.id}: no output for accounts")
    table = "mysql.global_priv" if answer.used == GLOBAL_PRIV else "mysql.user"
    message = str((answer.error or {}).get("message", ""))
    if "1142" in message or "command denied" in message:     # ER_TABLEACCESS_DENIED_ERROR
        raise CollectionFailed(f"{facts.target.id}: the audit user cannot read {table}: "
                               f"GRANT SELECT ON {table} TO the audit user")
    if answer.error:
        raise_if_error({"error": answer.error})
    accounts = parse_accounts(answer.output, answer.used or table)
    facts.attach("accounts", [{"account": a.name, "locked": a.locked, "role": a.role,
                               "logins": [{"plugin": x.plugin, "string": "set" if x.secret else "empty"}
                                          for x in a.logins]} for a in accounts], as_json=True)
    return accounts


FACTS = [
    Fact("accounts", ("db",), (SERVER_VERSION, ACCOUNTS), accounts_of),
]
