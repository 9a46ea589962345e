"""MS-ADMIN-DEFAULT-PASSWORD: the install-default admin's stored password is none of the known defaults.

Each default is encoded here, with the stored salt and rounds, exactly as the authenticator that
reads that format encodes a password at login (Apache CloudStack, plugins/user-authenticators/,
https://github.com/apache/cloudstack), and compared in constant time with what is stored: no login
is ever tried. PBKDF2: PKCS5S2 (PBKDF2-HMAC-SHA1) over PKCS5PasswordToBytes (each UTF-16 unit's low
byte), a 512-bit key, and the whole `salt:key:rounds` text compared; SHA256SALT: SHA-256 of the
password's UTF-8 bytes then the salt, its Base64 compared with the stored hash; MD5: md5 in 32 lowercase
hex digits. A stored value of no known format that equals a default is taken as plain text (the
PLAINTEXT authenticator reads it so). Findings name the user and the encoder, never which default matched.
"""
from __future__ import annotations

import base64
import hashlib
import hmac

from stackaudit.errors import NotCheckable
from stackaudit.parsers.cloudstack_passwords import (MD5, PBKDF2, SHA256SALT, UNKNOWN, AdminUser, StoredPassword,
                                                     java_split_colon)

PBKDF2_KEY_BYTES = 64          # PBKDF2UserAuthenticator: s_keylen = 512 bits


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def pkcs5_password_bytes(password: str) -> bytes:
    """Bouncy Castle's PKCS5PasswordToBytes(password.toCharArray()): the low byte of each UTF-16 unit."""
    return password.encode("utf-16-le", "surrogatepass")[0::2]


def pbkdf2_encoding(password: str, salt: bytes, rounds: int) -> str:
    key = hashlib.pbkdf2_hmac("sha1", pkcs5_password_bytes(password), salt, rounds, PBKDF2_KEY_BYTES)
    return f"{_b64(salt)}:{_b64(key)}:{rounds}"


def sha256salt_hash(password: str, salt: bytes) -> str:
    return _b64(hashlib.sha256(password.encode("utf-8", "replace") + salt).digest())


def md5_hex(password: str) -> str:
    return hashlib.md5(password.encode("utf-8", "replace")).hexdigest()


def _same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode("utf-8", "replace"), b.encode("utf-8", "replace"))


def matches(stored: StoredPassword, password: str) -> bool:
    """Whether the authenticator of the stored value's format would take `password` (none takes an
    empty one: each returns false first on StringUtils.isAnyEmpty(username, password))."""
    if not password:
        return False
    if stored.encoder == PBKDF2:
        return _same(stored.text, pbkdf2_encoding(password, stored.salt, stored.rounds))
    if stored.encoder == SHA256SALT:
        return _same(java_split_colon(stored.text)[1], sha256salt_hash(password, stored.salt))
    if stored.encoder == MD5:
        return _same(stored.text, md5_hex(password))
    return _same(stored.text, password)


def default_password_findings(users: list[AdminUser], defaults: list[str], max_rounds: int) -> list[str]:
    """One finding per admin whose stored password is one of `defaults`. PBKDF2 rounds above
    `max_rounds` are not recomputed: the result is not checked (a hostile row could cost hours)."""
    costly = [u for u in users if u.password.encoder == PBKDF2 and u.password.rounds > max_rounds]
    if costly:
        raise NotCheckable(f"user {costly[0].id} ({costly[0].username}): its PBKDF2 password has "
                           f"{costly[0].password.rounds} rounds, more than admin.max_pbkdf2_rounds ({max_rounds}); "
                           "raise that policy key to recompute it")
    findings = []
    for user in users:
        found = False
        for password in defaults:     # every default tried, so the time says nothing of which matched
            found |= matches(user.password, password)
        if found:
            encoder = "plain text" if user.password.encoder == UNKNOWN else user.password.encoder
            findings.append(f"user {user.id} ({user.username}, {user.state or 'no state'}) still has a default "
                            f"password ({encoder}): change it")
    return findings

