"""collect_database asks the server's version first, then replication status in that server's words."""
from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from stackaudit.collect import collectors
from stackaudit.config.policy import policy_from_data
from stackaudit.errors import CollectionFailed, error_record
from stackaudit.targets import Target


class FakeServer:
    """Answers the suite's queries as a server of `version` would; records what was asked."""

    def __init__(self, version: str | None, comment: str = ""):
        self.version, self.comment, self.asked = version, comment, []

    def query(self, conn, label, sql):
        self.asked.append(sql)
        if sql.startswith("SELECT @@version"):
            if self.version is None:
                return error_record(CollectionFailed(f"MariaDB {label}: {sql} failed: denied"))
            return {"rows": [{"version": self.version, "version_comment": self.comment}]}
        return {"rows": []}


def collect_part(monkeypatch, server: FakeServer, ca_file: Path | None = Path("ca.pem"), secure: bool = True) -> dict:
    """The SQL part of db1's facts, its server `server`; the connection made with `ca_file`."""
    made = []
    monkeypatch.setattr(collectors.mysql, "connect",
                        lambda *a: made.append(a) or SimpleNamespace(close=lambda: None, _secure=secure))
    monkeypatch.setattr(collectors.mysql, "query_or_error", server.query)
    inventory = SimpleNamespace(databases=SimpleNamespace(user="audit", password=SimpleNamespace(read=lambda: "x"),
                                                          ca_file=ca_file, insecure=ca_file is None),
                                ssh=SimpleNamespace(connect_timeout=5))
    collector = collectors.Collector(inventory, policy=policy_from_data({}, "defaults"), snapshot=None)
    part = collector.collect_database(Target("db", "db1", None, "198.51.100.1"))
    assert made == [("198.51.100.1", 3306, "audit", "x", 5, ca_file)]
    return part


@pytest.fixture
def collect(monkeypatch):
    return lambda server: collect_part(monkeypatch, server)["queries"]


GLOBAL_PRIV = "SELECT User, Host, Priv FROM mysql.global_priv"
MARIADB_USER = "SELECT User, Host, plugin, authentication_string, Password, is_role FROM mysql.user"
MYSQL_USER = "SELECT User, Host, plugin, authentication_string, account_locked FROM mysql.user"


@pytest.mark.parametrize("version, comment, statement, accounts", [
    ("10.11.19-MariaDB-0+deb12u1", "Debian 12", "SHOW ALL SLAVES STATUS", GLOBAL_PRIV),
    ("10.3.39-MariaDB-0+deb10u1", "Debian 10", "SHOW ALL SLAVES STATUS", MARIADB_USER),
    ("8.0.21-0ubuntu0.20.04.2", "(Ubuntu)", "SHOW SLAVE STATUS", MYSQL_USER),
    ("8.0.22", "MySQL Community Server - GPL", "SHOW REPLICA STATUS", MYSQL_USER),
])
def test_the_version_is_read_first_and_chooses_the_statements(collect, version, comment, statement, accounts):
    server = FakeServer(version, comment)
    queries = collect(server)
    assert server.asked[0].startswith("SELECT @@version")
    assert [q for q in server.asked if "SLAVE" in q or "REPLICA" in q] == [statement]
    assert queries["replicas"] == {"rows": [], "used": statement, "read_at": queries["replicas"]["read_at"]}
    assert queries["accounts"]["used"] == accounts and accounts in server.asked


def test_without_a_version_replication_status_is_not_read_and_says_why(collect):
    server = FakeServer(None)
    queries = collect(server)
    assert not any("STATUS" in q for q in server.asked)
    assert queries["replicas"]["error"]["type"] == "CollectionFailed"
    assert queries["replicas"]["error"]["message"].startswith(
        "db://db1: replication status not read: the server's version is unknown (MariaDB db://db1: SELECT @@version")


def test_over_verified_tls_the_facts_say_nothing_of_the_channel(monkeypatch):
    assert "tls" not in collect_part(monkeypatch, FakeServer("10.11.19-MariaDB"))


@pytest.mark.parametrize("secure, how", [(True, ""), (False, "; nor encrypted: the server offered no TLS")])
def test_with_insecure_the_facts_say_tls_was_not_verified(monkeypatch, secure, how):
    part = collect_part(monkeypatch, FakeServer("10.11.19-MariaDB"), ca_file=None, secure=secure)
    assert part["tls"] == ("TLS not verified: these facts came from MariaDB/MySQL over a connection whose "
                           "certificate was not checked (databases.insecure: true in the inventory); whoever "
                           f"answered there could have written them{how}")
