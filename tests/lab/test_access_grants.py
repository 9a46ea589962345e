"""The audit user's GRANTs that docs/accounts.md prints (access_needs.database_grants_needed) are enough
and each is needed, on a real MariaDB: a user with exactly those grants asks every statement of the
suite's SQL readings without a refusal and sees what the checks must see; a user lacking any one of them
is refused (or, lacking PROCESS, sees only its own sessions)."""
from __future__ import annotations

import pymysql
import pytest

from lab.parts.db import admin_connection
from stackaudit.access_needs import database_grants_needed, policy_variants, sql_readings, statements_of
from stackaudit.parsers.mysql import parse_server_version
from tests.lab.test_database_part import bridge, bring_up, lab, pair_facts, query  # noqa: F401 - fixtures

pytestmark = pytest.mark.lab
PASSWORD = "grants-secret-1"
REFUSED = {1142, 1143, 1227}     # table, column access denied; "you need (at least one of) the ... privilege"
HOSTS = [{"id": 1, "name": "kvm01", "uuid": "3f0c6c1e-0000-4000-8000-000000000001", "username": "root"}]


def create_user(root, name: str, grants: list[str]) -> None:
    with root.cursor() as cur:
        cur.execute("SET SESSION sql_log_bin = 0")
        cur.execute("CREATE OR REPLACE USER %s@'%%' IDENTIFIED BY %s REQUIRE SSL", (name, PASSWORD))
        for grant in grants:
            cur.execute(grant)


def answers(lab, facts, user: str, statements: list[tuple[str, str]]) -> tuple[dict[str, list[dict]], set[int]]:
    """(reading name -> its rows as `user`, the error codes of the statements it was refused)."""
    rows: dict[str, list[dict]] = {}
    refused: set[int] = set()
    with pymysql.connect(host=facts.address, user=user, password=PASSWORD, connect_timeout=5, ssl_ca=str(lab.ca[0]),
                         ssl_verify_identity=True, cursorclass=pymysql.cursors.DictCursor) as conn:
        for name, statement in statements:
            try:
                with conn.cursor() as cur:
                    cur.execute(statement)
                    rows.setdefault(name, []).extend(cur.fetchall())
            except pymysql.err.OperationalError as err:
                refused.add(err.args[0])
    return rows, refused


def test_exactly_the_generated_grants_read_every_statement_and_each_one_is_needed(lab):
    pair = pair_facts(hosts=HOSTS)
    pids = bring_up(lab, pair)
    with admin_connection(pids[0]) as root:
        (version,) = query(root, "SELECT @@version, @@version_comment")
        server = parse_server_version([{"version": version[0], "version_comment": version[1]}])
        grants = database_grants_needed(server)
        statements = [(q.name, s) for q in sql_readings() for s in statements_of(q, server, policy_variants())]
        create_user(root, "minimal", [g.statement("'minimal'@'%'") for g in grants])
        for number, left_out in enumerate(grants):
            create_user(root, f"without{number}", [g.statement(f"'without{number}'@'%'") for g in grants
                                                   if g != left_out])

    read, refused = answers(lab, pair[0], "minimal", statements)
    assert refused == set()
    assert read["replicas"] and read["schema_versions"] and read["cloudstack_ssh_users"] == [
        {"uuid": HOSTS[0]["uuid"], "name": "kvm01", "username": "root"}]
    assert any(row["USER"] != "minimal" for row in read["sessions"])       # PROCESS: every session
    assert {row["User"] for row in read["accounts"]} >= {"root", "minimal"}
    assert {row["username"] for row in read["admin_users"]} >= {"system", "admin"}

    for number, left_out in enumerate(grants):
        lacking, refused = answers(lab, pair[0], f"without{number}", [(n, s) for n, s in statements
                                                                      if n in left_out.why])
        if left_out.privilege == "PROCESS":
            assert {row["USER"] for row in lacking["sessions"]} == {f"without{number}"} and not refused
        else:
            assert refused & REFUSED, (left_out, lacking, refused)
