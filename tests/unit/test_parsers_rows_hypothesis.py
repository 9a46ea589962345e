"""Property tests of the parsers of SQL rows and Debian versions: whatever the server sends (rows of
any shape, values of any type, recorded rows with columns changed or dropped) they return or raise
UnparsableOutput, nothing else, each call fast."""
from __future__ import annotations

import json
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stackaudit.errors import UnparsableOutput
from stackaudit.parsers.dpkg import parse_version
from stackaudit.parsers.mysql import parse_global_variables, parse_replica_status, parse_server_version
from tests.unit.hypothesis_budget import examples

RECORDED = Path(__file__).resolve().parent.parent / "data" / "recorded"
FAST = settings(max_examples=examples(200), deadline=None, suppress_health_check=[HealthCheck.too_slow])
SQL_VALUES = st.one_of(st.none(), st.text(max_size=40), st.integers(), st.floats(allow_nan=True), st.binary(max_size=8),
                       st.booleans())
ROW = st.dictionaries(st.text(max_size=24), SQL_VALUES, max_size=8)
ROWS = st.one_of(st.lists(ROW, max_size=4), st.lists(SQL_VALUES, max_size=3), SQL_VALUES)


def recorded(name: str) -> list[dict]:
    return json.loads((RECORDED / name).read_text())


def mutated_rows(name: str):
    """Recorded rows with some values replaced by any SQL value and some columns dropped."""
    rows = recorded(name)

    @st.composite
    def mutate(draw):
        out = []
        for row in rows:
            row = dict(row)
            for column in draw(st.lists(st.sampled_from(sorted(row)), max_size=4)):
                if draw(st.booleans()):
                    row[column] = draw(SQL_VALUES)
                else:
                    row.pop(column, None)
            out.append(row)
        return out
    return mutate()


def only_designed_errors(call) -> None:
    try:
        call()
    except UnparsableOutput:
        pass


@FAST
@given(st.one_of(ROWS, mutated_rows("mariadb-show-all-slaves-status.json"), mutated_rows("mariadb-show-slave-status.json")),
       st.sampled_from(["SHOW ALL SLAVES STATUS", "SHOW SLAVE STATUS", "SHOW REPLICA STATUS"]))
def test_replica_status_rows_of_any_shape(rows, statement):
    only_designed_errors(lambda: parse_replica_status(rows, statement))


@FAST
@given(st.one_of(ROWS, mutated_rows("mariadb-show-global-variables.json")))
def test_global_variables_rows_of_any_shape(rows):
    only_designed_errors(lambda: parse_global_variables(rows))


@FAST
@given(ROWS)
def test_server_version_rows_of_any_shape(rows):
    only_designed_errors(lambda: parse_server_version(rows))


@FAST
@given(st.one_of(st.text(max_size=60), st.from_regex(r"[0-9]{1,3}:[0-9.+~a-z-]{0,20}", fullmatch=True),
                 st.sampled_from(["1.1.1n-0+deb11u5", "3.0.15-1~deb12u1", "2:1.17-74", "1.0.2u-1~deb9u7"])))
def test_debian_versions_of_any_text(text):
    only_designed_errors(lambda: parse_version(text, "dpkg-query"))
