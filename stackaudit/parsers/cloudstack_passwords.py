"""CloudStack's install-default admin (`cloud.user` id 2) and the shape of its stored password, as
PyMySQL's DictCursor returns `SELECT id, username, password, state, source FROM cloud.user ...`.

The stored value's shape names the encoder that wrote it, as each of CloudStack's user
authenticators splits it on ":" (Apache CloudStack, plugins/user-authenticators/, https://github.com/apache/cloudstack):

    PBKDF2      b64salt:b64key:rounds   (PBKDF2UserAuthenticator, the default encoder since 4.5.1; its test:
                FMDMdx/2...uWhyw==:+u8T5L...F913vQ==:4096 is "password" at 4096 rounds)
    SHA256SALT  b64salt:b64hash          (SHA256SaltedUserAuthenticator; its test: WS3UHh...a1U=:VhuFOr...bIig=)
    MD5         32 hex digits            (MD5UserAuthenticator, pre-4.5.1 installs: 5f4dcc3b5aa765d61d8327deb882cf99)

Anything else (a never-enabled admin's RAND() number) is "unknown". The stored value is a secret of
the target: it stays in StoredPassword, whose repr never shows it.
"""
from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass, field

from stackaudit.errors import UnparsableOutput
from stackaudit.parsers.mysql import result_rows
from stackaudit.parsers.numbers import java_digits, read_java_int, read_or_none

PBKDF2, SHA256SALT, MD5, UNKNOWN = "PBKDF2", "SHA256SALT", "MD5", "unknown"
MD5_HEX = re.compile(r"[0-9a-f]{32}")
COLUMNS = ("id", "username", "password", "state", "source")


@dataclass(frozen=True)
class StoredPassword:
    """The stored value (`text`, kept for the comparison the authenticator makes) and what its shape
    says: the encoder, and for the salted ones the salt and the PBKDF2 rounds."""
    encoder: str
    text: str = field(repr=False)      # a secret of the target: never in a repr
    salt: bytes = field(default=b"", repr=False)
    rounds: int = 0


@dataclass(frozen=True)
class AdminUser:
    id: int
    username: str
    state: str
    source: str
    password: StoredPassword


def java_split_colon(text: str) -> list[str]:
    """String.split(":") as Java does it: trailing empty parts dropped ("a:b:" is two parts)."""
    parts = text.split(":")
    if len(parts) == 1:             # no separator: the whole text, even when empty
        return parts
    while parts and parts[-1] == "":
        parts.pop()
    return parts


def _base64(text: str) -> bytes | None:
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        return None


def _pbkdf2_rounds(text: str) -> int | None:
    """StringUtils.isNumeric (digits of any script, no sign), then Integer.parseInt; PKCS5S2 refuses
    fewer than one round, so a value it cannot use is None (no password logs in with it)."""
    if not text or java_digits(text) is None:
        return None
    rounds = read_or_none(read_java_int, text)
    return rounds if rounds is not None and rounds >= 1 else None


def parse_stored_password(text: str) -> StoredPassword:
    """The encoder whose format `text` has, with its salt and rounds."""
    parts = java_split_colon(text)
    if len(parts) == 3:
        salt, rounds = _base64(parts[0]), _pbkdf2_rounds(parts[2])
        if salt and rounds is not None:
            return StoredPassword(PBKDF2, text, salt, rounds)
    elif len(parts) == 2:
        salt = _base64(parts[0])
        if salt is not None:
            return StoredPassword(SHA256SALT, text, salt)
    elif MD5_HEX.fullmatch(text):
        return StoredPassword(MD5, text)
    return StoredPassword(UNKNOWN, text)


def _text(row: dict, column: str) -> str:
    value = row.get(column)
    if value is None:
        return ""
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).decode("utf-8", "replace")
    if isinstance(value, (str, int)) and not isinstance(value, bool):
        return str(value)
    raise UnparsableOutput(f"cloud.user: {column} is a {type(value).__name__}, not text")


def parse_admin_users(rows) -> list[AdminUser]:
    """The rows of the admin-user statement, each with its stored password's shape."""
    users = []
    for row in result_rows(rows, "cloud.user"):
        if not isinstance(row, dict) or not set(COLUMNS) <= set(row):
            raise UnparsableOutput(f"cloud.user: expected the columns {', '.join(COLUMNS)}, got "
                                   f"{sorted(row) if isinstance(row, dict) else type(row).__name__}")
        user_id = read_or_none(read_java_int, _text(row, "id"), bits=64)
        if user_id is None:
            raise UnparsableOutput(f"cloud.user: id {_text(row, 'id')[:40]!r} is not a number")
        users.append(AdminUser(user_id, _text(row, "username"), _text(row, "state"), _text(row, "source"),
                               parse_stored_password(_text(row, "password"))))
    return users


def admin_evidence(users: list[AdminUser]) -> list[dict]:
    """What the result shows of each admin: never the stored value, the salt, or which default matched."""
    return [{"id": u.id, "username": u.username, "state": u.state, "source": u.source,
             "encoder": u.password.encoder} for u in users]


def admin_password_secrets(rows) -> list[str]:
    """Every stored password of the rows: secrets of the target, masked by value wherever they would
    leave the run (collect/target_secrets.py)."""
    if not isinstance(rows, list):
        return []
    return [text for row in rows if isinstance(row, dict) and (text := _text_or_empty(row))]


def _text_or_empty(row: dict) -> str:
    try:
        return _text(row, "password")
    except UnparsableOutput:
        return ""
