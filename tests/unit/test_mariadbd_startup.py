"""DB-CNF-PERSISTED: option values as mariadbd reads them at start (MariaDB's mysys/my_getopt.c:
setval, getopt_ull, eval_num_suffix, get_bool_argument), on recorded option files
(tests/data/recorded/SOURCES.md):

- mysql-cnf-files-debian12.txt, mysql-cnf-files-cloudstack.txt: Debian 12's /etc/mysql, and with
  CloudStack's block (recorded on this machine);
- outside-my-cnf-bitnami-charts-23415.cnf: a MySQL 8 file with `max_allowed_packet=128M`
  (bitnami/charts issue 23415);
- outside-mysql-unknown-suffix-autoxtrabackup-353.txt: my_getopt's own message for `port=127.0.0.1`.
"""
from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stackaudit.config.policy import policy_from_data
from stackaudit.errors import UnparsableOutput
from stackaudit.parsers.mycnf import getopt_bool, getopt_unsigned, mysqld_options, parse_tail_files, startup_refusals
from stackaudit.rules.database import cnf_findings
from tests.unit.hypothesis_budget import examples

RECORDED = Path(__file__).resolve().parent.parent / "data" / "recorded"
POLICY = policy_from_data({}, "test")
RUNNING = {"innodb_rollback_on_timeout": "ON", "innodb_lock_wait_timeout": "600", "max_connections": "700",
           "log_bin": "ON", "binlog_format": "ROW", "time_zone": "+00:00", "skip_name_resolve": "ON"}
EDITED = "/etc/mysql/conf.d/zz-edited.cnf"


def cloudstack_files(extra: str | None = None) -> dict[str, str]:
    files = parse_tail_files((RECORDED / "mysql-cnf-files-cloudstack.txt").read_text())
    if extra is not None:
        files[EDITED] = f"[mysqld]\n{extra}\n"
    return files


def options_with(extra: str | None = None):
    return mysqld_options(cloudstack_files(extra), "/etc/mysql/my.cnf")


def test_recorded_layouts_start():
    assert startup_refusals(options_with()) == []
    assert startup_refusals(mysqld_options(parse_tail_files((RECORDED / "mysql-cnf-files-debian12.txt").read_text()),
                                           "/etc/mysql/my.cnf")) == []
    bitnami = mysqld_options({"/etc/my.cnf": (RECORDED / "outside-my-cnf-bitnami-charts-23415.cnf").read_text()},
                             "/etc/my.cnf")
    assert startup_refusals(bitnami) == []
    assert getopt_unsigned("max_allowed_packet", bitnami["max_allowed_packet"].value) == 128 << 20


def test_the_servers_own_message_for_a_value_it_cannot_read():
    recorded = (RECORDED / "outside-mysql-unknown-suffix-autoxtrabackup-353.txt").read_text().splitlines()[0]
    with pytest.raises(UnparsableOutput) as error:
        getopt_unsigned("port", "127.0.0.1")
    assert recorded == f"mysql: [ERROR] {error.value}"


@pytest.mark.parametrize("line, message", [
    ("server-id=source-01", "Unknown suffix 's' used for variable 'server_id' (value 'source-01')"),
    ("server-id = 0x10", "Unknown suffix 'x' used for variable 'server_id' (value '0x10')"),
    ("max_connections=1.5K", "Unknown suffix '.' used for variable 'max_connections' (value '1.5K')"),
    ("max_connections=1 000", "Unknown suffix ' ' used for variable 'max_connections' (value '1 000')"),
    ("innodb_lock_wait_timeout=-1", "Incorrect unsigned value: '-1' for innodb_lock_wait_timeout"),
    ("server_id=18446744073709551616", "Integer value out of range for uint64: '18446744073709551616' for server_id"),
    ("server_id=" + "9" * 3000, "Integer value out of range for uint64: '999"),
    ("server-id=١٢", "Unknown suffix '١' used for variable 'server_id' (value '١٢')"),
    ("server-id=²", "Unknown suffix '²' used for variable 'server_id'"),
    ("auto_increment_offset", "option '--auto-increment-offset' requires an argument"),
    ("loose-server-id", "option '--server-id' requires an argument"),
    ('port = "3306 "', "Unknown suffix ' ' used for variable 'port' (value '3306 ')"),
], ids=["name-for-id", "hex", "decimal", "blank-inside", "negative", "past-2-64", "thousands-of-digits",
        "arabic-indic", "superscript", "no-value", "loose-no-value", "quoted-trailing-blank"])
def test_a_value_mariadbd_refuses_means_it_would_not_start(line, message):
    findings = cnf_findings(options_with(line), RUNNING, POLICY)
    refusal = [f for f in findings if f.startswith("mariadbd would not start: ")]
    assert len(refusal) == 1 and message in refusal[0] and EDITED in refusal[0], findings


@pytest.mark.parametrize("line, option, value", [
    ("max_connections=1K", "max_connections", 1024),
    ("max_connections = 1kB", "max_connections", 1024),          # only the first character is the suffix
    ("server-id = +0010", "server_id", 10),
    ("server_id=", "server_id", 0),                               # strtoull of "": 0, no suffix
    ("server-id='7'", "server_id", 7),
    ("loose-server-id=source-01", None, None),                    # loose: skipped with a warning
    ("max-connections=2M", "max_connections", 2 << 20),           # adjusted to the maximum, with a warning
])
def test_odd_values_mariadbd_reads_start(line, option, value):
    options = options_with(line)
    assert startup_refusals(options) == []
    if option:
        assert getopt_unsigned(option, options[option].value) == value


def test_cloudstacks_numbers_are_read_with_their_suffix():
    findings = cnf_findings(options_with("max_connections=1K"), RUNNING, POLICY)
    assert findings == []
    findings = cnf_findings(options_with("innodb_lock_wait_timeout=600x"), RUNNING, POLICY)
    assert "innodb_lock_wait_timeout = 600x in /etc/mysql/conf.d/zz-edited.cnf; the rule wants 600" in findings


@pytest.mark.parametrize("line, holds", [
    ("skip-name-resolve", True), ("skip-name-resolve = ON", True), ("skip_name_resolve=TRUE", True),
    ("skip-name-resolve=1", True), ("skip-name-resolve = yes", False), ("skip-name-resolve=OFF", False),
    ("innodb_rollback_on_timeout", True), ("innodb-rollback-on-timeout=on", True),
    ("innodb_rollback_on_timeout = yes", False), ("innodb_rollback_on_timeout=2", False),
])
def test_booleans_as_get_bool_argument_reads_them(line, holds):
    """`yes` is no boolean to mariadbd: "wasn't recognized. Set to OFF." (a warning: it starts)."""
    findings = cnf_findings(options_with(line), RUNNING, POLICY)
    assert (findings == []) is holds, findings
    assert not any(f.startswith("mariadbd would not start") for f in findings)


@settings(max_examples=examples(400), deadline=None)
@given(st.text(max_size=40))
def test_getopt_unsigned_raises_only_the_servers_refusal(text):
    try:
        assert 0 <= getopt_unsigned("server_id", text) < 2 ** 64
    except UnparsableOutput as err:
        assert "server" in str(err)


@settings(max_examples=examples(400), deadline=None)
@given(st.integers(0, 2 ** 40), st.sampled_from(["", "k", "K", "m", "M", "g", "G", "t", "p", "e"]),
       st.sampled_from(["", "b", "B", "iB", "x"]))
def test_getopt_unsigned_reads_digits_and_one_suffix(number, suffix, rest):
    shift = {"": 0, "k": 10, "m": 20, "g": 30, "t": 40, "p": 50, "e": 60}[suffix.lower()]
    text = f"{number}{suffix}{rest if suffix else ''}"
    assert getopt_unsigned("max_connections", text) == (number << shift) % 2 ** 64


def test_getopt_bool_words():
    assert [getopt_bool(w) for w in (None, "On", "TRUE", "1", "off", "False", "0", "yes", "", "2")] == \
        [True, True, True, True, False, False, False, None, None, None]
