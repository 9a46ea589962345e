"""What SHOW GRANTS FOR CURRENT_USER() says the audit user may do, and what it lacks of a list of needs.

Each row is one statement, under a key naming the account (PyMySQL's DictCursor; MariaDB 10.11):

    {"Grants for stackaudit@%": "GRANT PROCESS, BINLOG MONITOR, SLAVE MONITOR ON *.* TO `stackaudit`@`%`
                                 IDENTIFIED BY PASSWORD '*0123...'"}
    {"Grants for stackaudit@%": "GRANT SELECT ON `cloud`.* TO `stackaudit`@`%`"}
    {"Grants for stackaudit@%": "GRANT SELECT (`id`, `type`) ON `cloud`.`account` TO `stackaudit`@`%`"}

A row can hold the account's password hash: nothing here keeps or shows a row's text. A privilege
with a column list covers only those columns (compared without case, as MariaDB compares column
names); a role's grant (no ON) is not followed. Since MariaDB 10.5.2, REPLICATION CLIENT is an alias
of BINLOG MONITOR, and SHOW GRANTS prints the new name (MariaDB Knowledge Base, "GRANT",
https://mariadb.com/kb/en/grant/).
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


# The names SHOW GRANTS may print for a privilege the needs name otherwise.
ALIASES = {"REPLICATION CLIENT": ("REPLICATION CLIENT", "BINLOG MONITOR")}


@dataclass(frozen=True)
class Grant:
    privilege: str      # upper case, e.g. SELECT, PROCESS, BINLOG MONITOR
    scope: str          # *.*, cloud.*, cloud.version (no backticks)
    columns: tuple[str, ...] = ()   # a column grant's columns; empty: the whole table (or more)


@dataclass(frozen=True)
class GrantNeed:
    """One privilege the checks need: `privilege` on `on` (schema.table, or *.* for a global one), of
    `columns` only where given; `statement` is the GRANT that gives it, for the operator."""
    privilege: str
    on: str
    columns: tuple[str, ...] = ()
    statement: str = ""


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
        grants += [Grant(privilege, scope, columns) for privilege, columns in privileges(match["privileges"])]
    return grants


def privileges(text: str) -> list[tuple[str, tuple[str, ...]]]:
    """(privilege, its columns) of a GRANT's list: `SELECT (`a`, `b`), PROCESS`."""
    found, depth, current = [], 0, ""
    for char in text + ",":
        if char == "," and depth == 0:
            found.append(current.strip())
            current = ""
            continue
        depth += {"(": 1, ")": -1}.get(char, 0)
        current += char
    out = []
    for item in filter(None, found):
        name, _, columns = item.partition("(")
        listed = tuple(unquoted(c.strip()) for c in columns.rstrip(") ").split(",")) if columns else ()
        out.append((" ".join(name.upper().split()), listed))
    return out


def unquoted(part: str) -> str:
    return part[1:-1].replace("``", "`") if part.startswith("`") else part


def covers(grant: Grant, need: GrantNeed) -> bool:
    """Whether this grant gives what the need names (a column need: the table, or those columns)."""
    if grant.privilege not in ALIASES.get(need.privilege, (need.privilege,)) and grant.privilege not in ALL:
        return False
    if grant.scope == "*.*":
        return True
    if need.on == "*.*":
        return False
    if grant.scope == need.on.split(".", 1)[0] + ".*":
        return True
    if grant.scope != need.on:
        return False
    wanted, given = {c.lower() for c in need.columns}, {c.lower() for c in grant.columns}
    return not given or (bool(wanted) and wanted <= given)


def missing_grants(grants: list[Grant], needs: tuple[GrantNeed, ...]) -> list[GrantNeed]:
    """The needs no grant meets, in the order given."""
    return [need for need in needs if not any(covers(grant, need) for grant in grants)]
