"""The database accounts a scenario adds (DB-NO-KNOWN-PASSWORD), and whether the audit user may read
them; CloudStack's users (lab/parts/db_users.py). Run by lab/parts/db.py's setup as root over the
socket, after the other parts' tables, with sql_log_bin = 0 (not replicated)."""
from __future__ import annotations

from lab.parts.db_users import prepare_users

# The database's scenario keys these parts read (lab/scenario.py)
SCENARIO_KEYS = ("accounts", "audit_reads_accounts", "audit_sees_sessions", "admin_password", "admin_state",
                 "admin_removed", "audit_reads_users", "cloud_users")


def prepare_accounts(cur, setup: dict, audit_user: str) -> None:
    """`setup`: {"accounts": [{user, host, password, via, locked}], "audit_reads_accounts": bool}
    (lab/scenario.py); empty: the audit user reads the accounts and none is added."""
    if setup.get("audit_reads_accounts", True):
        cur.execute("GRANT SELECT ON `mysql`.`global_priv` TO %s@'%%'", (audit_user,))
    # DB-VIP-SINGLE-HOLDER: PROCESS shows the audit user every session, not only its own.
    if setup.get("audit_sees_sessions", True):
        cur.execute("GRANT PROCESS ON *.* TO %s@'%%'", (audit_user,))
    for account in setup.get("accounts", ()):
        create_account(cur, account)
    prepare_users(cur, setup, audit_user)


def create_account(cur, account: dict) -> None:
    """One account: a password, none, or unix_socket; locked or not. The values are parameters."""
    if account["via"] == "unix_socket":
        how, args = " IDENTIFIED VIA unix_socket", ()
    elif account["password"] is not None:
        how, args = " IDENTIFIED BY %s", (account["password"],)
    else:
        how, args = "", ()
    lock = " ACCOUNT LOCK" if account["locked"] else ""
    cur.execute(f"CREATE OR REPLACE USER %s@%s{how}{lock}", (account["user"], account["host"], *args))
