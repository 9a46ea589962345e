"""Rows of MariaDB/MySQL status statements, as PyMySQL's DictCursor returns them.

Replication status is asked for in the server's own words, chosen from its version
(`SELECT @@version, @@version_comment`):

- MariaDB 10.0+: `SHOW ALL SLAVES STATUS`, one row per named connection (multi-source), with
  `Connection_name`, `Using_Gtid` and `Gtid_IO_Pos` (MariaDB KB "SHOW REPLICA STATUS",
  https://mariadb.com/kb/en/show-replica-status/).
- MySQL 8.0.22+: `SHOW REPLICA STATUS`, whose columns say Replica/Source where older ones said
  Slave/Master (`Replica_IO_Running`, `Source_Host`, `Seconds_Behind_Source`, ...); before 8.0.22
  `SHOW SLAVE STATUS` (MySQL 8.0 Reference Manual 15.7.7.35, "SHOW REPLICA STATUS Statement",
  https://dev.mysql.com/doc/refman/8.0/en/show-replica-status.html). One row per channel.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from stackaudit.errors import UnparsableOutput
from stackaudit.parsers.numbers import is_ascii_number, read_decimal

MYSQL_REPLICA_STATEMENT_SINCE = (8, 0, 22)
MARIADB_MULTI_SOURCE_SINCE = (10, 0)
# Slave_IO_Running / Replica_IO_Running: Yes (connected), Connecting (running, not connected),
# No (stopped); MariaDB 10.6+ also shows Preparing while the IO thread starts. SQL: Yes or No.
THREAD_STATES = {"yes", "no", "connecting", "preparing"}
VERSION_NUMBERS = re.compile(r"([0-9]+)\.([0-9]+)(?:\.([0-9]+))?")


def result_rows(rows, statement: str) -> list:
    """A statement's result as the collector stores it: a list of rows (anything else is not one)."""
    if not isinstance(rows, list):
        raise UnparsableOutput(f"{statement}: expected a list of rows, got {str(rows)[:80]}")
    return rows


def parse_global_variables(rows: list[dict]) -> dict[str, str]:
    """`SHOW GLOBAL VARIABLES ...`: [{"Variable_name": "log_bin", "Value": "ON"}, ...] -> {name: value}."""
    variables = {}
    for row in result_rows(rows, "SHOW GLOBAL VARIABLES"):
        try:
            variables[str(row["Variable_name"]).lower()] = "" if row["Value"] is None else str(row["Value"])
        except (KeyError, TypeError):
            raise UnparsableOutput(f"SHOW GLOBAL VARIABLES: unexpected row {str(row)[:80]}") from None
    return variables


@dataclass(frozen=True)
class ServerVersion:
    text: str                     # @@version: "10.11.19-MariaDB-0+deb12u1", "8.0.21-0ubuntu0.20.04.2"
    comment: str                  # @@version_comment: "Debian 12", "MySQL Community Server - GPL"
    mariadb: bool
    numbers: tuple[int, int, int]

    @property
    def replica_status_statement(self) -> str:
        if self.mariadb:
            return "SHOW ALL SLAVES STATUS" if self.numbers[:2] >= MARIADB_MULTI_SOURCE_SINCE else "SHOW SLAVE STATUS"
        return "SHOW REPLICA STATUS" if self.numbers >= MYSQL_REPLICA_STATEMENT_SINCE else "SHOW SLAVE STATUS"


def parse_server_version(rows: list[dict]) -> ServerVersion:
    """`SELECT @@version AS version, @@version_comment AS version_comment`: one row.

        {"version": "10.11.19-MariaDB-0+deb12u1", "version_comment": "Debian 12"}

    MariaDB says "MariaDB" in its version string (MySQL never does); some builds say it only in
    the comment ("mariadb.org binary distribution"), so both are read.
    """
    rows = result_rows(rows, "SELECT @@version")
    if len(rows) != 1 or not isinstance(rows[0], dict) or not isinstance(rows[0].get("version"), str):
        raise UnparsableOutput(f"SELECT @@version: expected one row with a version, got {str(rows)[:80]}")
    text = rows[0]["version"]
    comment = rows[0].get("version_comment")
    comment = comment if isinstance(comment, str) else ""
    match = VERSION_NUMBERS.match(text)
    if match is None:
        raise UnparsableOutput(f"SELECT @@version: {text[:80]!r} does not start with a version number")
    numbers = tuple(read_decimal(part or "0", "SELECT @@version", what="a version number") for part in match.groups())
    return ServerVersion(text, comment, "mariadb" in f"{text} {comment}".lower(), numbers)


@dataclass(frozen=True)
class ReplicaChannel:
    """One replication connection (MariaDB) or channel (MySQL) of a replica, in either naming."""
    connection_name: str          # "" for the default connection/channel
    source_host: str              # Master_Host / Source_Host: a name or an address, as configured
    source_port: int | None
    io_running: str               # "yes", "no", "connecting", "preparing" (lower case)
    sql_running: str              # "yes", "no"
    seconds_behind: int | None    # None when the server says NULL (a thread stopped or not connected)
    last_io_error: str
    last_sql_error: str
    source_server_id: int | None
    using_gtid: str               # MariaDB: No, Slave_Pos, Current_Pos; MySQL: Auto_Position 0/1 -> No/Yes
    naming: str                   # "Slave" or "Replica": the server's own column names, for messages

    @property
    def io_column(self) -> str:
        return f"{self.naming}_IO_Running"

    @property
    def sql_column(self) -> str:
        return f"{self.naming}_SQL_Running"

    @property
    def running(self) -> bool:
        return self.io_running == "yes" and self.sql_running == "yes"


# (Slave naming, Replica naming) of the columns a channel is read from.
COLUMNS = {
    "source_host": ("Master_Host", "Source_Host"),
    "source_port": ("Master_Port", "Source_Port"),
    "io_running": ("Slave_IO_Running", "Replica_IO_Running"),
    "sql_running": ("Slave_SQL_Running", "Replica_SQL_Running"),
    "seconds_behind": ("Seconds_Behind_Master", "Seconds_Behind_Source"),
    "source_server_id": ("Master_Server_Id", "Source_Server_Id"),
}
# Every server since MySQL 5.5 / MariaDB 5.5 has all of them: a row without one is cut short.
REQUIRED = ("source_host", "source_port", "io_running", "sql_running", "seconds_behind", "source_server_id")
REQUIRED_ERRORS = ("Last_IO_Error", "Last_SQL_Error")


def parse_replica_status(rows: list[dict], statement: str = "SHOW SLAVE STATUS") -> list[ReplicaChannel]:
    """Rows of `SHOW ALL SLAVES STATUS`, `SHOW SLAVE STATUS` or `SHOW REPLICA STATUS`.

        Connection_name: DR-RemoteMaxScale          (MariaDB; MySQL says Channel_Name)
            Master_Host: 172.168.56.80               (MySQL 8.0.22+: Source_Host)
       Slave_IO_Running: Yes                         (Replica_IO_Running)
      Slave_SQL_Running: Yes
  Seconds_Behind_Master: NULL                        (Seconds_Behind_Source)
             Using_Gtid: Slave_Pos

    Column names are matched without regard to case (MySQL 5.7 says Channel_Name, some builds
    Channel_name). A row without a host or thread state, or a value the server never gives, is
    UnparsableOutput.
    """
    if not isinstance(rows, list):
        raise UnparsableOutput(f"{statement}: expected rows, got {type(rows).__name__}")
    return [parse_replica_row(row, statement, number) for number, row in enumerate(rows, 1)]


def parse_replica_row(row: dict, statement: str, number: int) -> ReplicaChannel:
    where = f"{statement} row {number}"
    if not isinstance(row, dict):
        raise UnparsableOutput(f"{where}: expected a row of columns, got {str(row)[:80]}")
    columns = {str(name).lower(): value for name, value in row.items()}
    naming = "Replica" if {"replica_io_running", "source_host"} & set(columns) else "Slave"
    index = 1 if naming == "Replica" else 0

    def column(field: str):
        return columns.get(COLUMNS[field][index].lower())

    for name in [COLUMNS[field][index] for field in REQUIRED] + list(REQUIRED_ERRORS):
        if name.lower() not in columns:
            raise UnparsableOutput(f"{where}: no {name} column (a truncated or foreign row?)")
    for field in ("source_host", "io_running", "sql_running"):
        if not isinstance(column(field), str):
            raise UnparsableOutput(f"{where}: {COLUMNS[field][index]} is {column(field)!r}, not text")
    io_running, sql_running = column("io_running").strip().lower(), column("sql_running").strip().lower()
    for field, state in (("io_running", io_running), ("sql_running", sql_running)):
        if state not in THREAD_STATES:
            raise UnparsableOutput(f"{where}: {COLUMNS[field][index]} is {state[:40]!r}; "
                                   f"expected one of {', '.join(sorted(THREAD_STATES))}")
    name = columns.get("connection_name", columns.get("channel_name"))
    return ReplicaChannel(
        connection_name=text_value(name), source_host=column("source_host").strip(),
        source_port=number_value(column("source_port"), where, COLUMNS["source_port"][index]),
        io_running=io_running, sql_running=sql_running,
        seconds_behind=number_value(column("seconds_behind"), where, COLUMNS["seconds_behind"][index]),
        last_io_error=text_value(columns.get("last_io_error")),
        last_sql_error=text_value(columns.get("last_sql_error")),
        source_server_id=number_value(column("source_server_id"), where, COLUMNS["source_server_id"][index]),
        using_gtid=gtid_mode(columns), naming=naming)


def text_value(value) -> str:
    return "" if value is None else str(value).strip()


def number_value(value, where: str, column: str) -> int | None:
    """An unsigned integer column; None for SQL NULL (or a column this server does not have)."""
    if value is None or value == "" or (isinstance(value, str) and value.strip().upper() == "NULL"):
        return None
    if isinstance(value, bool):
        raise UnparsableOutput(f"{where}: {column} is {value!r}, not a number")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and is_ascii_number(value.strip()):
        return read_decimal(value.strip(), f"{where}: {column}")
    raise UnparsableOutput(f"{where}: {column} is {str(value)[:40]!r}, not a number")


def gtid_mode(columns: dict) -> str:
    """MariaDB's Using_Gtid as it says it; MySQL's Auto_Position 1/0 as Yes/No."""
    if columns.get("using_gtid") is not None:
        return text_value(columns["using_gtid"])
    position = columns.get("auto_position")
    return "" if position is None else ("Yes" if str(position).strip() == "1" else "No")
