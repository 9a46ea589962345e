"""Which tables and columns an SQL statement of the suite reads, so that the audit user's GRANTs are
made from the statements themselves (access_needs.py) and cannot drift from them.

It reads only the shape the suite's statements have, and refuses any other with one clear error
(a new statement shape is then taught here before its grant is printed):

    SELECT h.uuid AS uuid, d.value AS username FROM cloud.host h
    JOIN cloud.host_details d ON d.host_id = h.id WHERE d.name = 'username' AND h.removed IS NULL

Every column named anywhere (the select list, ON, WHERE, ORDER BY) counts: MariaDB and MySQL check
the SELECT privilege of each column a statement refers to, not only of those it returns (MariaDB KB
"GRANT", column privileges; MySQL 8.0 Reference Manual 8.2.2, "Privileges Provided by MySQL").
"""
from __future__ import annotations

import re

TOKEN = re.compile(r"\s*(?:(?P<string>'(?:[^'\\]|\\.)*')|(?P<variable>@@\w+)|(?P<number>\d+)"
                   r"|(?P<name>[A-Za-z_][\w]*(?:\.[A-Za-z_][\w]*)?)|(?P<symbol><>|<=|>=|[(),=<>*]))")
KEYWORDS = {"SELECT", "FROM", "JOIN", "LEFT", "INNER", "ON", "WHERE", "AND", "OR", "NOT", "IS", "NULL", "IN", "AS",
            "ORDER", "BY", "ASC", "DESC", "LIKE"}
CLAUSE_ENDS = {"WHERE", "ORDER"}


class UnreadableStatement(ValueError):
    """A statement of a shape this reader does not know."""


def tokens(statement: str) -> list[tuple[str, str]]:
    """(kind, text) of each token; kind is string, variable, number, name, keyword or symbol."""
    found, at = [], 0
    text = statement.rstrip().rstrip(";")
    while at < len(text):
        match = TOKEN.match(text, at)
        if match is None or match.end() == at:
            raise UnreadableStatement(f"{statement[:60]!r}: cannot read {text[at:at + 20]!r}")
        kind = match.lastgroup
        word = match.group(kind)
        found.append(("keyword", word.upper()) if kind == "name" and word.upper() in KEYWORDS else (kind, word))
        at = match.end()
    return found


def tables_and_columns(statement: str) -> dict[str, tuple[str, ...]]:
    """{"schema.table": (column, ...)} for every table the SELECT reads (sorted); {} for a SELECT of
    server variables only. UnreadableStatement for any other shape (a SHOW, a subquery, a bare table)."""
    words = tokens(statement)
    if not words or words[0] != ("keyword", "SELECT"):
        raise UnreadableStatement(f"{statement[:60]!r}: not a SELECT")
    if ("keyword", "SELECT") in words[1:]:
        raise UnreadableStatement(f"{statement[:60]!r}: a subquery")
    try:
        start = words.index(("keyword", "FROM"))
    except ValueError:
        if column_names(words[1:], statement):
            raise UnreadableStatement(f"{statement[:60]!r}: names a column without FROM") from None
        return {}
    end = next((i for i in range(start, len(words)) if words[i] in (("keyword", w) for w in CLAUSE_ENDS)), len(words))
    aliases, conditions = from_clause(words[start + 1:end], statement)
    read: dict[str, set[str]] = {table: set() for table in aliases.values()}
    for name in column_names(words[1:start] + conditions + words[end:], statement):
        table = column_table(name, aliases, statement)
        read[table].add(name.rsplit(".", 1)[-1])
    return {table: tuple(sorted(columns)) for table, columns in sorted(read.items())}


def from_clause(words: list[tuple[str, str]], statement: str) -> tuple[dict[str, str], list[tuple[str, str]]]:
    """({alias or table: "schema.table"}, the tokens of the ON conditions)."""
    aliases: dict[str, str] = {}
    conditions: list[tuple[str, str]] = []
    at = 0
    while at < len(words):
        kind, word = words[at]
        if kind != "name" or "." not in word:
            raise UnreadableStatement(f"{statement[:60]!r}: FROM names {word!r}, not a schema.table")
        at += 1
        alias = word
        if at < len(words) and words[at][0] == "name":
            alias = words[at][1]
            at += 1
        aliases[alias] = word
        if at < len(words) and words[at] == ("keyword", "ON"):
            close = next((i for i in range(at, len(words)) if words[i][1] in ("JOIN", "LEFT", "INNER")), len(words))
            conditions += words[at + 1:close]
            at = close
        while at < len(words) and words[at][1] in ("LEFT", "INNER", "JOIN"):
            at += 1
    return aliases, conditions


def column_names(words: list[tuple[str, str]], statement: str) -> list[str]:
    """The column names among the tokens: not a function's name, not the alias after AS."""
    names = []
    for i, (kind, word) in enumerate(words):
        if kind != "name":
            continue
        if i + 1 < len(words) and words[i + 1] == ("symbol", "("):
            continue        # a function: CURRENT_USER(), COUNT(...)
        if i > 0 and words[i - 1] == ("keyword", "AS"):
            continue
        names.append(word)
    if ("symbol", "*") in words:
        raise UnreadableStatement(f"{statement[:60]!r}: SELECT * (name the columns read)")
    return names


def column_table(name: str, aliases: dict[str, str], statement: str) -> str:
    if "." in name:
        qualifier = name.split(".", 1)[0]
        if qualifier not in aliases:
            raise UnreadableStatement(f"{statement[:60]!r}: {name} names no table of its FROM")
        return aliases[qualifier]
    tables = set(aliases.values())
    if len(tables) != 1:
        raise UnreadableStatement(f"{statement[:60]!r}: column {name} is not qualified by its table")
    return next(iter(tables))
