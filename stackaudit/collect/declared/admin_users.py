"""CloudStack's install-default admin as the cloud's database stores it (MS-ADMIN-DEFAULT-PASSWORD):
one read-only SELECT of `cloud.user` id 2, the admin ConfigurationServerImpl creates and the first
start enables with the password "password" (Apache CloudStack, server/.../ConfigurationServerImpl.java
and ManagementServerImpl.java, https://github.com/apache/cloudstack). The stored password is read
into the suite's process only (parsers/cloudstack_passwords.py); as a secret of the target it is
masked by value wherever it would leave the run."""
from __future__ import annotations

from stackaudit.collect.readings import Fact, Query
from stackaudit.errors import CollectionFailed, raise_if_error
from stackaudit.parsers.cloudstack_passwords import admin_evidence, admin_password_secrets, parse_admin_users

# `source` is a column from 4.5.1 (setup/db/db/schema-450to451.sql)
ADMIN_USERS = Query("admin_users", "SELECT id, username, password, state, source FROM cloud.user "
                    "WHERE id = 2 AND removed IS NULL", secrets=admin_password_secrets)


def admin_users_of(facts):
    """The admin's row; its evidence is id, name, state, source and the encoder, never the password.
    An audit user without SELECT on cloud.user is broken, naming the grant it needs."""
    answer = facts.reading("sql", "admin_users")
    if answer is None:
        raise CollectionFailed(f"{facts.target.id}: no output for admin_users")
    message = str((answer.error or {}).get("message", ""))
    if "1142" in message or "1143" in message or "command denied" in message:   # table or column access denied
        raise CollectionFailed(f"{facts.target.id}: the audit user cannot read cloud.user: GRANT SELECT (id, username, "
                               "password, state, source, removed) ON cloud.user TO the audit user")
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
