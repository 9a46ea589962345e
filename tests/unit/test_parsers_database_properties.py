"""Property tests of the database parsers: on random text and on mutations of the recorded inputs
they return or raise UnparsableOutput, nothing else, and fast (bounded !include, no quadratic work).

Recorded inputs: the replication status outputs of tests/unit/test_parsers_mysql.py and the option
file trees of tests/unit/test_parsers_config.py (tests/data/recorded/).
"""
from __future__ import annotations

import time
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from stackaudit.errors import UnparsableOutput
from stackaudit.parsers.mycnf import mysqld_options, parse_tail_files
from stackaudit.parsers.mysql import parse_replica_status, parse_server_version
from tests.unit.hypothesis_budget import examples
from tests.unit.vertical import vertical_rows

RECORDED = Path(__file__).resolve().parent.parent / "data" / "recorded"
STATUS_FILES = ("mysql-8.0-show-replica-status-manual.txt", "mysql-8.0.21-show-slave-status.txt",
                "mariadb-10.5.4-show-all-slaves-status.txt", "mariadb-10.5-show-all-slaves-status-named.txt")
CNF_FILES = ("mysql-cnf-files-debian12.txt", "mysql-cnf-files-cloudstack.txt", "mysql-cnf-files-edge.txt")
RECORDED_STATUS = [(RECORDED / name).read_text() for name in STATUS_FILES]
RECORDED_CNF = [(RECORDED / name).read_text() for name in CNF_FILES]
# Lines the option-file reader treats specially, to splice into the recorded trees.
CNF_LINES = ["!include /etc/mysql/my.cnf", "!includedir /etc/mysql/conf.d/", "!includedir /etc/mysql/",
             "!include /etc/mysql/mariadb.cnf", "[mysqld]", "[mariadb-10.11]", "[client-server]", "[galera]",
             "skip-log-bin", "skip-log-bin=1", "enable-x", "loose-", "= 1", "'", '"', "#", "\\", "[", "!include",
             "==> /etc/mysql/conf.d/x.cnf <==", "==> /etc/mysql/my.cnf <=="]
INCLUDE_LINES = (["[mysqld]", "port=1", "!includedir /etc/mysql/d", "!includedir /etc/mysql/"]
                 + [f"!include /etc/mysql/{n}.cnf" for n in "abcde"])
STATUS_LINES = ["*************************** 1. row ***************************", "Slave_IO_Running: Connecting",
                "Replica_IO_Running: YES", "Seconds_Behind_Master: NULL", "Seconds_Behind_Source: -1",
                "Master_Port: 99999999999999999999", "Master_Host:", "Connection_name: x", "NULL", ""]


def mutated(texts: list[str], lines: list[str]):
    """A recorded text with lines dropped, cut, doubled or replaced by ones the parser knows."""
    @st.composite
    def build(draw):
        text_lines = draw(st.sampled_from(texts)).splitlines()
        for _ in range(draw(st.integers(0, 6))):
            if not text_lines:
                break
            i = draw(st.integers(0, len(text_lines) - 1))
            action = draw(st.sampled_from(["drop", "cut", "double", "replace", "insert"]))
            if action == "drop":
                del text_lines[i]
            elif action == "cut":
                text_lines[i] = text_lines[i][:draw(st.integers(0, len(text_lines[i])))]
            elif action == "double":
                text_lines.insert(i, text_lines[i])
            elif action == "replace":
                text_lines[i] = draw(st.sampled_from(lines))
            else:
                text_lines.insert(i, draw(st.one_of(st.sampled_from(lines), st.text(max_size=40))))
        cut = draw(st.integers(0, len(text_lines)))
        return "\n".join(text_lines[:cut] if draw(st.booleans()) else text_lines)
    return build()


def only_unparsable(call) -> None:
    start = time.monotonic()
    try:
        call()
    except UnparsableOutput:
        pass
    assert time.monotonic() - start < 2.0


@settings(max_examples=examples(200), deadline=None)
@given(st.one_of(mutated(RECORDED_STATUS, STATUS_LINES), st.text(max_size=400)))
def test_replica_status_raises_only_unparsable(text):
    only_unparsable(lambda: parse_replica_status(vertical_rows(text), "SHOW ALL SLAVES STATUS"))


@settings(max_examples=examples(200), deadline=None)
@given(st.lists(st.dictionaries(st.sampled_from(["Master_Host", "Source_Host", "Slave_IO_Running",
                                                 "Replica_IO_Running", "Slave_SQL_Running", "Master_Port",
                                                 "Seconds_Behind_Master", "Master_Server_Id", "Last_IO_Error",
                                                 "Last_SQL_Error", "Using_Gtid", "Connection_name"]),
                                st.one_of(st.none(), st.text(max_size=12), st.integers(), st.booleans(),
                                          st.floats(), st.binary(max_size=4)), max_size=12), max_size=3))
def test_replica_rows_of_any_types_raise_only_unparsable(rows):
    only_unparsable(lambda: parse_replica_status(rows))


@settings(max_examples=examples(200), deadline=None)
@given(st.lists(st.dictionaries(st.sampled_from(["version", "version_comment", "x"]),
                                st.one_of(st.none(), st.text(max_size=30), st.integers()), max_size=3), max_size=2))
def test_server_version_raises_only_unparsable(rows):
    only_unparsable(lambda: parse_server_version(rows).replica_status_statement)


@settings(max_examples=examples(200), deadline=None)
@given(st.one_of(mutated(RECORDED_CNF, CNF_LINES), st.text(max_size=400)))
def test_option_files_raise_only_unparsable(text):
    def read():
        files = parse_tail_files(text)
        for root in ("/etc/mysql/my.cnf", *sorted(files)[:2]):
            try:
                mysqld_options(files, root, server_version="10.11")
            except UnparsableOutput:
                pass
    only_unparsable(read)


@settings(max_examples=examples(100), deadline=None)
@given(st.dictionaries(st.sampled_from([f"/etc/mysql/{n}.cnf" for n in "abcde"] + ["/etc/mysql/d/x.cnf"]),
                       st.lists(st.sampled_from(INCLUDE_LINES), max_size=8).map("\n".join), min_size=1))
def test_includes_between_any_files_end(files):
    only_unparsable(lambda: mysqld_options(files, sorted(files)[0]))
