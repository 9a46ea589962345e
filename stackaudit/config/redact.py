"""Secrets out of collected text, before it is stored as facts or attached as evidence.

Collected files carry secrets in the clear (agent.properties `keystore.passphrase`, db.properties
`db.cloud.password`, private keys); no report may show them.
"""
from __future__ import annotations

import re

MASK = "********"
_SECRET_NAME = r"[\w.\-]*(?:password|passwd|passphrase|secret|secretkey|apikey|api_key|token)[\w.\-]*"
# `key=value`, `key: value` and `key value` (java.util.Properties accepts all three)
_ASSIGNMENT = re.compile(rf"(?im)^(\s*{_SECRET_NAME}(?:\s*[=:]\s*|\s+))(\S.*?)\s*$")
_PEM = re.compile(r"-----BEGIN ([A-Z0-9 ]*PRIVATE KEY)-----.*?-----END \1-----", re.S)
# Inside a JDBC URL (db.cloud.uri): `//user:password@host` and password parameters, as `?password=`,
# `address=(password=...)` or `(host=...,password=...)` (MySQL Connector/J's connection URL syntax).
_URL_USERINFO = re.compile(r"(//[^/?#@\s:]*:)[^/?#@\s]*@")
_URL_PASSWORD = re.compile(r"(?i)([?&;(,]\s*[\w.]*(?:password|passwd|secret)[\w.]*\s*=)[^&;),\s]*")
# jasypt-encrypted values CloudStack writes (db.cloud.password=ENC(...)): ciphertext of a secret
_ENCRYPTED = re.compile(r"ENC\([^)\s]*\)?")


def redact_text(text: str) -> str:
    text = _PEM.sub(lambda m: f"-----BEGIN {m.group(1)}-----\n{MASK}\n-----END {m.group(1)}-----", text)
    text = _URL_USERINFO.sub(lambda m: m.group(1) + MASK + "@", text)
    text = _URL_PASSWORD.sub(lambda m: m.group(1) + MASK, text)
    text = _ENCRYPTED.sub(f"ENC({MASK})", text)
    return _ASSIGNMENT.sub(lambda m: m.group(1) + MASK, text)


def is_secret_name(name: str) -> bool:
    return re.fullmatch(_SECRET_NAME, name, re.I) is not None


def redact_mapping(value):
    """Records (XAPI, API rows): any key named like a secret keeps only whether it is set.

    XAPI's PBD device_config can hold an iSCSI `chappassword` or SMB `password` in the clear, and
    older listAccounts answers carry users' `apikey` and `secretkey`."""
    if isinstance(value, dict):
        return {k: (MASK if v not in (None, "") else v) if isinstance(k, str) and is_secret_name(k)
                else redact_mapping(v) for k, v in value.items()}
    if isinstance(value, list):
        return [redact_mapping(v) for v in value]
    return value


def redact_config_rows(rows: list[dict]) -> list[dict]:
    """CloudStack settings whose name says secret keep only whether they are set."""
    return [{**row, "value": MASK if row.get("value") else row.get("value")} if is_secret_name(row.get("name", ""))
            else row for row in rows]
