"""Replication status of MariaDB and MySQL 8, recorded by others (tests/data/recorded/SOURCES.md):

- mysql-8.0-show-replica-status-manual.txt: `SHOW REPLICA STATUS\\G` (8.0.22+ names), the MySQL 8.0
  Reference Manual's example in 19.1.7.1 "Checking Replication Status".
- mysql-8.0.21-show-slave-status.txt: `SHOW SLAVE STATUS\\G` of MySQL 8.0.21-0ubuntu0.20.04.2 with two
  channels whose sources are host names that do not resolve (netdata go.d.plugin's test data).
- mariadb-10.5.4-show-all-slaves-status.txt: `SHOW ALL SLAVES STATUS\\G` of MariaDB 10.5.4-log, two
  named connections to one source host (netdata go.d.plugin's test data).
- mariadb-10.5-show-all-slaves-status-named.txt: `show all slaves status\\G` of MariaDB Enterprise
  10.5 replicating through a named connection from a MaxScale binlog router, GTID (faizalrf/documentation).

Each is read by tests/unit/vertical.py into the rows PyMySQL would give, then by the parser and
the rule DB-REPLICATION-HEALTHY.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from stackaudit.errors import UnparsableOutput
from stackaudit.parsers.mysql import ReplicaChannel, parse_replica_status, parse_server_version
from stackaudit.config.policy import policy_from_data
from stackaudit.rules.database import ReplicationMember, replication_findings
from tests.unit.vertical import vertical_rows

RECORDED = Path(__file__).resolve().parent.parent / "data" / "recorded"
MASTER_MASTER = policy_from_data({}, "test")
MASTER_REPLICA = policy_from_data({"database": {"topology": "master-replica"}}, "test")
PAIR_VARIABLES = ({"server_id": "1", "auto_increment_increment": "2", "auto_increment_offset": "1"},
                  {"server_id": "2", "auto_increment_increment": "2", "auto_increment_offset": "2"})


def recorded_rows(name: str) -> list[dict]:
    return vertical_rows((RECORDED / name).read_text())


def unparsable(call) -> str:
    with pytest.raises(UnparsableOutput) as error:
        call()
    return str(error.value)


# --- which statement the server's version calls for --------------------------------------------

@pytest.mark.parametrize("version, comment, mariadb, statement", [
    ("10.11.19-MariaDB-0+deb12u1", "Debian 12", True, "SHOW ALL SLAVES STATUS"),   # this machine's server
    ("10.5.4-MariaDB-log", "", True, "SHOW ALL SLAVES STATUS"),            # recorders' version.txt (netdata)
    ("5.5.64-MariaDB", "MariaDB Server", True, "SHOW SLAVE STATUS"),       # before multi-source (10.0)
    ("8.0.21-0ubuntu0.20.04.2", "(Ubuntu)", False, "SHOW SLAVE STATUS"),   # netdata's MySQL 8.0.21
    ("8.0.22", "MySQL Community Server - GPL", False, "SHOW REPLICA STATUS"),
    ("8.4.3", "MySQL Community Server - GPL", False, "SHOW REPLICA STATUS"),  # SHOW SLAVE removed in 8.4
    ("5.7.44-log", "MySQL Community Server (GPL)", False, "SHOW SLAVE STATUS"),  # kubeblocks#6469
    ("10.6.12", "mariadb.org binary distribution", True, "SHOW ALL SLAVES STATUS"),
])
def test_statement_follows_the_servers_version(version, comment, mariadb, statement):
    server = parse_server_version([{"version": version, "version_comment": comment}])
    assert (server.mariadb, server.replica_status_statement) == (mariadb, statement)


@pytest.mark.parametrize("rows, message", [
    ([], "SELECT @@version: expected one row with a version, got []"),
    ([{"version": None}], "SELECT @@version: expected one row with a version, got [{'version': None}]"),
    ([{"version": "MariaDB"}], "SELECT @@version: 'MariaDB' does not start with a version number"),
])
def test_a_version_that_cannot_be_read_is_unparsable(rows, message):
    assert unparsable(lambda: parse_server_version(rows)) == message


# --- the recorded outputs, as the parser reads them ------------------------------------------

def channel(name, host, port, io, sql, lag, io_error, server_id, gtid, naming) -> ReplicaChannel:
    return ReplicaChannel(name, host, port, io, sql, lag, io_error, "", server_id, gtid, naming)


MYSQL_8021_ERROR = ("error connecting to master '{0}@{1}:3306' - retry-time: 60 retries: 1 message: "
                    "Unknown MySQL server host '{1}' (0)")


@pytest.mark.parametrize("name, statement, channels", [
    ("mysql-8.0-show-replica-status-manual.txt", "SHOW REPLICA STATUS",
     [channel("", "127.0.0.1", 13000, "yes", "yes", 0, "", 1, "Yes", "Replica")]),
    ("mysql-8.0.21-show-slave-status.txt", "SHOW SLAVE STATUS",
     [channel("master1", "Master1", 3306, "connecting", "yes", 0, MYSQL_8021_ERROR.format("repl1", "master1"), 0,
              "Yes", "Slave"),
      channel("master2", "Master2", 3306, "connecting", "yes", 0, MYSQL_8021_ERROR.format("repl2", "master2"), 0,
              "Yes", "Slave")]),
    ("mariadb-10.5.4-show-all-slaves-status.txt", "SHOW ALL SLAVES STATUS",
     [channel("Master1", "master", 3306, "yes", "yes", 0, "", 689, "No", "Slave"),
      channel("Master2", "master", 3306, "yes", "yes", 0, "", 689, "No", "Slave")]),
    ("mariadb-10.5-show-all-slaves-status-named.txt", "SHOW ALL SLAVES STATUS",
     [channel("DR-RemoteMaxScale", "172.168.56.80", 4007, "yes", "yes", None, "", 7000, "Slave_Pos", "Slave")]),
])
def test_recorded_status_as_the_parser_reads_it(name, statement, channels):
    rows = recorded_rows(name)
    assert parse_replica_status(rows, statement) == channels
    # PyMySQL gives the integer columns as int: the same channels
    typed = [{k: int(v) if isinstance(v, str) and v.isdigit() else v for k, v in row.items()} for row in rows]
    assert parse_replica_status(typed, statement) == channels


def test_column_names_are_the_servers_own_in_messages():
    (replica,) = parse_replica_status(recorded_rows("mysql-8.0-show-replica-status-manual.txt"))
    (mariadb,) = parse_replica_status(recorded_rows("mariadb-10.5-show-all-slaves-status-named.txt"))
    assert (replica.io_column, replica.sql_column) == ("Replica_IO_Running", "Replica_SQL_Running")
    assert (mariadb.io_column, mariadb.sql_column) == ("Slave_IO_Running", "Slave_SQL_Running")


def test_thread_states_are_compared_as_the_server_means_them():
    row = recorded_rows("mariadb-10.5.4-show-all-slaves-status.txt")[0]
    assert parse_replica_status([{**row, "Slave_IO_Running": "YES"}])[0].running      # case as some builds print
    assert not parse_replica_status([{**row, "Slave_IO_Running": "Connecting"}])[0].running
    assert not parse_replica_status([{**row, "Slave_SQL_Running": "No"}])[0].running


# --- fragments and truncated pastes ------------------------------------------------------------

def first_lines(name: str, count: int) -> str:
    return "\n".join((RECORDED / name).read_text().splitlines()[:count])


@pytest.mark.parametrize("text, statement, message", [
    # cut before the thread states
    (first_lines("mysql-8.0.21-show-slave-status.txt", 11), "SHOW SLAVE STATUS",
     "SHOW SLAVE STATUS row 1: no Slave_IO_Running column (a truncated or foreign row?)"),
    (first_lines("mysql-8.0-show-replica-status-manual.txt", 12), "SHOW REPLICA STATUS",
     "SHOW REPLICA STATUS row 1: no Replica_IO_Running column (a truncated or foreign row?)"),
    # a paste of the two lines people quote, without the source
    ("Slave_IO_Running: Yes\nSlave_SQL_Running: Yes\n", "SHOW ALL SLAVES STATUS",
     "SHOW ALL SLAVES STATUS row 1: no Master_Host column (a truncated or foreign row?)"),
    ("Replica_IO_Running: Yes\nReplica_SQL_Running: Yes\nSeconds_Behind_Source: 0\n", "SHOW REPLICA STATUS",
     "SHOW REPLICA STATUS row 1: no Source_Host column (a truncated or foreign row?)"),
    # values mangled in a paste
    (first_lines("mariadb-10.5.4-show-all-slaves-status.txt", 200).replace("SQL_Running: Yes", "SQL_Running: Ye"),
     "SHOW ALL SLAVES STATUS",
     "SHOW ALL SLAVES STATUS row 1: Slave_SQL_Running is 'ye'; expected one of connecting, no, preparing, yes"),
    (first_lines("mariadb-10.5-show-all-slaves-status-named.txt", 200).replace("Master: NULL", "Master: NU"),
     "SHOW ALL SLAVES STATUS", "SHOW ALL SLAVES STATUS row 1: Seconds_Behind_Master is 'NU', not a number"),
    # cut after the thread states, before the lag and the errors: never a silent pass
    (first_lines("mariadb-10.5-show-all-slaves-status-named.txt", 36), "SHOW ALL SLAVES STATUS",
     "SHOW ALL SLAVES STATUS row 1: no Seconds_Behind_Master column (a truncated or foreign row?)"),
])
def test_fragments_are_unparsable_with_a_clear_reason(text, statement, message):
    assert unparsable(lambda: parse_replica_status(vertical_rows(text), statement)) == message


def test_rows_that_are_not_rows_are_unparsable():
    assert unparsable(lambda: parse_replica_status({"Master_Host": "x"})) == \
        "SHOW SLAVE STATUS: expected rows, got dict"
    assert unparsable(lambda: parse_replica_status(["Master_Host: x"])) == \
        "SHOW SLAVE STATUS row 1: expected a row of columns, got Master_Host: x"


# --- what DB-REPLICATION-HEALTHY makes of them ------------------------------------------------

def member(name, address, rows=(), aliases=(), variables=None, statement="SHOW SLAVE STATUS"):
    return ReplicationMember(name, address, tuple(aliases), variables or PAIR_VARIABLES[0],
                             tuple(parse_replica_status(list(rows), statement)))


def test_manual_replica_of_a_source_given_by_address_is_healthy_in_master_replica():
    servers = {"db://db1": member("db1", "127.0.0.1"),
               "db://db2": member("db2", "198.51.100.2", recorded_rows("mysql-8.0-show-replica-status-manual.txt"),
                                  variables=PAIR_VARIABLES[1], statement="SHOW REPLICA STATUS")}
    assert replication_findings(servers, MASTER_REPLICA) == []
    assert replication_findings(servers, MASTER_MASTER) == [
        "db://db1 does not replicate from its peer (db://db2): master-master needs both directions"]


def test_mysql_8021_channels_that_cannot_connect_are_named_with_the_servers_error():
    servers = {"db://replica": member("replica", "198.51.100.3", recorded_rows("mysql-8.0.21-show-slave-status.txt"),
                                      variables=PAIR_VARIABLES[1]),
               "db://master1": member("master1", "198.51.100.1"),
               "db://master2": member("master2", "198.51.100.2", variables={"server_id": "3"})}
    findings = replication_findings(servers, MASTER_REPLICA)
    assert findings == [
        "db://replica replicating from db://master1 (connection 'master1'): Slave_IO_Running is Connecting "
        f"({MYSQL_8021_ERROR.format('repl1', 'master1')})",
        "db://replica replicating from db://master2 (connection 'master2'): Slave_IO_Running is Connecting "
        f"({MYSQL_8021_ERROR.format('repl2', 'master2')})"]


def test_a_source_named_by_host_name_is_matched_by_an_inventory_alias():
    rows = recorded_rows("mariadb-10.5.4-show-all-slaves-status.txt")
    back = [{**rows[0], "Connection_name": "", "Master_Host": "198.51.100.2"}]
    servers = {"db://db-a": member("db-a", "198.51.100.1", aliases=["master"]),
               "db://db-b": member("db-b", "198.51.100.2", rows, variables=PAIR_VARIABLES[1],
                                   statement="SHOW ALL SLAVES STATUS")}
    servers["db://db-a"] = member("db-a", "198.51.100.1", back, aliases=["MASTER."], statement="SHOW ALL SLAVES STATUS")
    assert replication_findings(servers, MASTER_MASTER) == []
    # without the alias, "master" is no server of the inventory
    servers["db://db-a"] = member("db-a", "198.51.100.1", back, statement="SHOW ALL SLAVES STATUS")
    assert replication_findings(servers, MASTER_MASTER) == [
        "db://db-b replicating from master (connection 'Master1'): master is not a database server of the "
        "inventory (by name, alias or address)",
        "db://db-b replicating from master (connection 'Master2'): master is not a database server of the "
        "inventory (by name, alias or address)",
        "db://db-b does not replicate from its peer (db://db-a): master-master needs both directions"]


def test_named_connection_from_a_source_outside_the_inventory_is_a_finding_in_master_master():
    rows = recorded_rows("mariadb-10.5-show-all-slaves-status-named.txt")
    servers = {"db://db1": member("db1", "198.51.100.1", rows, statement="SHOW ALL SLAVES STATUS"),
               "db://db2": member("db2", "198.51.100.2", variables=PAIR_VARIABLES[1])}
    assert replication_findings(servers, MASTER_MASTER)[0] == (
        "db://db1 replicating from 172.168.56.80 (connection 'DR-RemoteMaxScale'): 172.168.56.80 is not a database "
        "server of the inventory (by name, alias or address)")
    # the same source by address, with the inventory knowing it: NULL lag with both threads running passes
    servers["db://db2"] = member("db2", "172.168.56.80", [{**rows[0], "Master_Host": "198.51.100.1"}],
                                 variables=PAIR_VARIABLES[1], statement="SHOW ALL SLAVES STATUS")
    assert replication_findings(servers, MASTER_MASTER) == []


@pytest.mark.parametrize("host, address, aliases, matched", [
    ("DB1", "198.51.100.1", (), True), ("db1.", "198.51.100.1", (), True),
    ("db1.example.org", "198.51.100.1", ("db1.example.org",), True), ("db1.example.org", "198.51.100.1", (), False),
    ("2001:db8::0:1", "2001:db8::1", (), True), ("[2001:db8::1]", "2001:db8::1", (), True),
    ("198.51.100.10", "198.51.100.1", (), False),
])
def test_a_source_is_matched_by_name_alias_or_address(host, address, aliases, matched):
    from stackaudit.rules.database import host_matches
    assert host_matches(host, ReplicationMember("db1", address, aliases, {}, ())) is matched
