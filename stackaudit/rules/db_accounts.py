"""DB-NO-KNOWN-PASSWORD: no account that can log in has an empty password or a published one.

A mysql_native_password hash is `'*' + upper(hex(SHA1(SHA1(password))))`, unsalted (MariaDB
Knowledge Base, "PASSWORD", https://mariadb.com/kb/en/password/; checked on MariaDB 10.11:
PASSWORD('password') = *2470C0C06DEE42FD1618BB99005ADCA2EC9D1E19), so a published password is
found by hashing it here and comparing: no login is ever tried. The findings name the account and
"empty" or "a published password", never which one, nor any hash.
"""
from __future__ import annotations

import hashlib
import hmac

from stackaudit.parsers.mysql_accounts import NATIVE_PLUGIN, PASSWORDLESS_PLUGINS, Account
# Salted plugins: a published password cannot be told from their string here, only emptiness.
SALTED_PLUGINS = {"ed25519", "caching_sha2_password", "sha256_password"}


def native_hash(password: str) -> str:
    inner = hashlib.sha1(password.encode("utf-8")).digest()
    return "*" + hashlib.sha1(inner).hexdigest().upper()


def _matches_any(stored: str, hashes: list[str]) -> bool:
    found = False
    for candidate in hashes:      # every candidate compared, in constant time each
        found |= hmac.compare_digest(stored.upper().encode(), candidate.encode())
    return found


def account_findings(accounts: list[Account], published_passwords: list[str]) -> list[str]:
    hashes = [native_hash(p) for p in published_passwords]
    findings = []
    for account in accounts:
        if account.locked or account.role:
            continue
        for login in account.logins:
            if login.plugin in PASSWORDLESS_PLUGINS:
                continue
            if login.plugin == NATIVE_PLUGIN and login.secret and _matches_any(login.secret, hashes):
                findings.append(f"{account.name} has a password that matches a published password")
            elif not login.secret and (login.plugin == NATIVE_PLUGIN or login.plugin in SALTED_PLUGINS):
                findings.append(f"{account.name} ({login.plugin}) has an empty password")
    return list(dict.fromkeys(findings))


def unchecked_plugins(accounts: list[Account]) -> list[str]:
    """Accounts that log in by a plugin whose string cannot be compared with a published password:
    salted ones with a password (checked for emptiness only) and plugins this rule does not know
    (PAM, ...: not judged)."""
    known = {NATIVE_PLUGIN, *PASSWORDLESS_PLUGINS}
    return sorted({f"{a.name} ({login.plugin})" for a in accounts if not (a.locked or a.role)
                   for login in a.logins
                   if login.plugin not in known and (login.secret or login.plugin not in SALTED_PLUGINS)})
