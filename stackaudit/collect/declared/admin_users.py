"""CloudStack's install-default admin as the cloud's database stores it (MS-ADMIN-DEFAULT-PASSWORD):
one read-only SELECT of `cloud.user` id 2, the admin ConfigurationServerImpl creates and the first
start enables with the password "password" (Apache CloudStack, server/.../ConfigurationServerImpl.java
and ManagementServerImpl.java, https://github.com/apache/cloudstack); with policy
admin.check_all_root_admins, of every user of a root-admin account (`cloud.account` type 1, as
create-schema gives the system and admin accounts). The stored password is read
into the suite's process only (parsers/cloudstack_passwords.py); as a secret of the target it is
masked by value wherever it would leave the run."""
from __future__ import annotations

from stackaudit.collect.readings import Fact, Query
from stackaudit.errors import CollectionFailed, raise_if_error
from stackaudit.parsers.cloudstack_passwords import admin_evidence, admin_password_secrets, parse_admin_users

# `source` is a column from 4.5.1 (setup/db/db/schema-450to451.sql)
INSTALL_ADMIN = "SELECT id, username, password, state, source FROM cloud.user WHERE id = 2 AND removed IS NULL"
# id 2 is read whatever its account row says, so the wider statement never reads less
ROOT_ADMINS = ("SELECT u.id, u.username, u.password, u.state, u.source FROM cloud.user u "
               "LEFT JOIN cloud.account a ON a.id = u.account_id "
               "WHERE u.removed IS NULL AND (u.id = 2 OR a.type = 1) ORDER BY u.id")
USER_GRANT = "GRANT SELECT (id, username, password, state, source, removed{}) ON cloud.user"


def admin_users_statement(policy) -> str:
    """id 2 only; with policy admin.check_all_root_admins, every non-removed user of an account of type 1."""
    return ROOT_ADMINS if policy.admin.check_all_root_admins else INSTALL_ADMIN


ADMIN_USERS = Query("admin_users", admin_users_statement, secrets=admin_password_secrets)


def needed_grant(statement: str | None) -> str:
    """The grants the statement asked needs of the audit user."""
    if statement == ROOT_ADMINS:
        return USER_GRANT.format(", account_id") + " and GRANT SELECT (id, type) ON cloud.account"
    return USER_GRANT.format("")


def admin_users_of(facts):
    """The admin's row; its evidence is id, name, state, source and the encoder, never the password.
    An audit user without SELECT on cloud.user is broken, naming the grant it needs."""
    answer = facts.reading("sql", "admin_users")
    if answer is None:
        raise CollectionFailed(f"{facts.target.id}: no output for admin_users")
    message = str((answer.error or {}).get("message", ""))
    if "1142" in message or "1143" in message or "command denied" in message:   # table or column access denied
        table = "cloud.user and cloud.account" if answer.used == ROOT_ADMINS else "cloud.user"
        raise CollectionFailed(f"{facts.target.id}: the audit user cannot read {table}: {needed_grant(answer.used)} "
                               "TO the audit user")
    if "1054" in message:                                                     # ER_BAD_FIELD_ERROR
        raise CollectionFailed(f"{facts.target.id}: cloud.user has no `source` column (CloudStack before 4.5.1): "
                               "this check reads 4.5.1 and later")
    if answer.error:
        raise_if_error({"error": answer.error})
    users = parse_admin_users(answer.output)
    facts.attach("admin_users", admin_evidence(users), as_json=True)
    return users


FACTS = [
    Fact("admin_users", ("db",), (ADMIN_USERS,), admin_users_of),
]
