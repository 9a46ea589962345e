"""The install-default admin's password, recomputed from the stored hash in the suite: no login is
tried ([CS-CODE], [CS-DOCS-ADMIN] in docs/sources.md)."""
from stackaudit.catalog import check
from stackaudit.rules import admin_password


@check("MS-ADMIN-DEFAULT-PASSWORD", reads=("admin_users",))
def test_admin_default_password(database, policy):
    """The admin CloudStack creates at install (cloud.user id 2) does not still have a default password
    (policy admin.default_passwords): each default is encoded with the stored salt and rounds, in the
    format the stored value has (PBKDF2, SHA256SALT, MD5), and compared; the password never leaves the suite."""
    findings = admin_password.default_password_findings(database.facts.admin_users, policy.admin.default_passwords,
                                                        policy.admin.max_pbkdf2_rounds)
    assert not findings, "; ".join(findings)
