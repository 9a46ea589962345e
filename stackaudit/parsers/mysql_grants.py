"""What SHOW GRANTS FOR CURRENT_USER() says the audit user may do, and what it lacks of a list of needs.

Each row is one statement, under a key naming the account (PyMySQL's DictCursor; MariaDB 10.11):

    {"Grants for stackaudit@%": "GRANT PROCESS, BINLOG MONITOR, SLAVE MONITOR ON *.* TO `stackaudit`@`%`
                                 IDENTIFIED BY PASSWORD '*0123...'"}
    {"Grants for stackaudit@%": "GRANT SELECT ON `cloud`.* TO `stackaudit`@`%`"}
    {"Grants for stackaudit@%": "GRANT SELECT (`id`, `type`) ON `cloud`.`account` TO `stackaudit`@`%`"}

A row can hold the account's password hash: nothing here keeps or shows a row's text. A privilege
with a column list covers only those columns, so it meets no table-wide need; a role's grant (no ON)
is not followed. Since MariaDB 10.5.2, REPLICATION CLIENT is an alias of BINLOG MONITOR, and SHOW
GRANTS prints the new name (MariaDB Knowledge Base, "GRANT", https://mariadb.com/kb/en/grant/).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from stackaudit.errors import UnparsableOutput

_NAME = r"`(?:[^`]|``)*`|[^\s.`]+|\*"      # `quoted`, plain or *
_GRANT = re.compile(rf"GRANT (?P<privileges>.+?) ON (?:(?:TABLE|FUNCTION|PROCEDURE|PACKAGE(?: BODY)?) )?"
                    rf"(?P<database>{_NAME})\.(?P<table>{_NAME}) TO ", re.S)
_ROLE = re.compile(r"GRANT (?:`(?:[^`]|``)*`|[\w$]+)(?:, *(?:`(?:[^`]|``)*`|[\w$]+))* TO ")
ALL = ("ALL", "ALL PRIVILEGES")


@dataclass(frozen=True)
class Grant:
    privilege: str      # upper case, e.g. SELECT, PROCESS, BINLOG MONITOR
    scope: str          # *.*, cloud.*, cloud.version (no backticks)


@dataclass(frozen=True)
class GrantNeed:
    """One thing the checks need: any of `privileges` on any of `objects` (db.table, or *.* for a
    global privilege); `statement` is the GRANT that gives it, for the operator."""
    privileges: tuple[str, ...]
    objects: tuple[str, ...]
    statement: str


def parse_show_grants(rows: object) -> list[Grant]:
    """The table-wide and global grants of SHOW GRANTS FOR CURRENT_USER()'s rows."""
    if not isinstance(rows, list):
        raise UnparsableOutput(f"SHOW GRANTS: expected a list of rows, got {type(rows).__name__}")
    grants = []
    for number, row in enumerate(rows, 1):
        values = list(row.values()) if isinstance(row, dict) else []
        if len(values) != 1 or not isinstance(values[0], str):
            raise UnparsableOutput(f"SHOW GRANTS: row {number} is not one statement")
        text = values[0]
        match = _GRANT.match(text)
        if match is None:
            if _ROLE.match(text):
                continue
            raise UnparsableOutput(f"SHOW GRANTS: row {number} is not a GRANT statement this parser reads")
        scope = f"{unquoted(match['database'])}.{unquoted(match['table'])}"
        grants += [Grant(privilege, scope) for privilege in privileges(match["privileges"])]
    return grants


def privileges(text: str) -> list[str]:
    """The privileges of a GRANT's list, leaving out those with a column list: `SELECT (a, b), PROCESS`."""
    found, depth, current = [], 0, ""
    for char in text + ",":
        if char == "," and depth == 0:
            found.append(current.strip())
            current = ""
            continue
        depth += {"(": 1, ")": -1}.get(char, 0)
        current += char
    return [" ".join(p.upper().split()) for p in found if p and "(" not in p]


def unquoted(part: str) -> str:
    return part[1:-1].replace("``", "`") if part.startswith("`") else part


def covers(grant: Grant, privileges_needed: tuple[str, ...], obj: str) -> bool:
    if grant.privilege not in privileges_needed and grant.privilege not in ALL:
        return False
    if grant.scope == "*.*":
        return True
    database, table = obj.split(".", 1)
    return grant.scope in (f"{database}.*", obj) and database != "*"


def missing_grants(grants: list[Grant], needs: tuple[GrantNeed, ...]) -> list[GrantNeed]:
    """The needs no grant meets, in the order given."""
    return [need for need in needs
            if not any(covers(g, need.privileges, obj) for g in grants for obj in need.objects)]
