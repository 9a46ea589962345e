"""The tables and columns the suite's SELECTs read (parsers/sql_reads.py), and the shapes it refuses."""
from __future__ import annotations

import pytest

from stackaudit.parsers.sql_reads import UnreadableStatement, tables_and_columns


@pytest.mark.parametrize("statement, read", [
    ("SELECT @@version AS version, @@version_comment AS version_comment", {}),
    ("SELECT id, version, step FROM cloud.version ORDER BY id", {"cloud.version": ("id", "step", "version")}),
    ("SELECT h.uuid AS uuid, h.name AS name, d.value AS username FROM cloud.host h "
     "JOIN cloud.host_details d ON d.host_id = h.id WHERE d.name = 'username' AND h.removed IS NULL",
     {"cloud.host": ("id", "name", "removed", "uuid"), "cloud.host_details": ("host_id", "name", "value")}),
    ("SELECT u.id, u.username FROM cloud.user u LEFT JOIN cloud.account a ON a.id = u.account_id "
     "WHERE u.removed IS NULL AND (u.id = 2 OR a.type = 1) ORDER BY u.id",
     {"cloud.account": ("id", "type"), "cloud.user": ("account_id", "id", "removed", "username")}),
    ("SELECT CURRENT_USER() AS account, GRANTEE FROM information_schema.USER_PRIVILEGES "
     "WHERE PRIVILEGE_TYPE = 'PROCESS'", {"information_schema.USER_PRIVILEGES": ("GRANTEE", "PRIVILEGE_TYPE")}),
    ("select User, Host from mysql.user where User <> 'it''s';", {"mysql.user": ("Host", "User")}),
])
def test_every_column_named_anywhere_counts_against_its_table(statement, read):
    assert tables_and_columns(statement) == read


@pytest.mark.parametrize("statement, message", [
    ("SHOW GLOBAL VARIABLES", "'SHOW GLOBAL VARIABLES': not a SELECT"),
    ("SELECT id FROM version", "'SELECT id FROM version': FROM names 'version', not a schema.table"),
    ("SELECT * FROM cloud.version", "'SELECT \\* FROM cloud.version': SELECT \\* \\(name the columns read\\)"),
    ("SELECT id FROM cloud.a x JOIN cloud.b y ON x.id = y.id", "column id is not qualified by its table"),
    ("SELECT z.id FROM cloud.a x", "z.id names no table of its FROM"),
    ("SELECT id FROM cloud.a WHERE id IN (SELECT id FROM cloud.b)", "a subquery"),
    ("SELECT id; DROP TABLE x", "cannot read ';"),
    ("SELECT version", "names a column without FROM"),
])
def test_a_statement_of_another_shape_is_refused_in_one_line(statement, message):
    with pytest.raises(UnreadableStatement, match=message):
        tables_and_columns(statement)
