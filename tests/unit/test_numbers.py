"""stackaudit/parsers/numbers.py against the consumers themselves: answers recorded from OpenJDK 17,
iptables-restore 1.8.9, mariadbd 10.11, OCaml 4.13 and dpkg 1.21 (recorders/record-numbers.sh,
recorders/ParseNumbers.java; SOURCES.md), and against independent oracles on drawn numbers."""
from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stackaudit.errors import UnparsableOutput
from stackaudit.parsers.iptables import parse_iptables_save
from stackaudit.parsers.numbers import (INT64, read_api_number, read_c_unsigned, read_decimal, read_java_int,
                                        read_mariadb_unsigned, read_ocaml_int, read_or_none, reads)
from tests.unit.numbers_strategy import (ascii_decimal, c_base0_unsigned, java_parse, mariadb_unsigned,
                                         number_texts)
from tests.unit.hypothesis_budget import examples

RECORDED = Path(__file__).resolve().parent.parent / "data" / "recorded"
INNODB_LOCK_WAIT_TIMEOUT_MAX = 100_000_000     # mariadbd 10.11 clamps the value it read to this


def table(name: str) -> list[list[str]]:
    lines = (RECORDED / name).read_text(encoding="utf-8").splitlines()
    return [line.split("\t") for line in lines]


def case_id(form: str) -> str:
    return form if len(form) <= 24 else f"{form[:8]}...({len(form)} characters)"


def unescaped(form: str) -> str:
    return form.encode().decode("unicode_escape")


def answer(reader, text: str, **rule) -> int | str:
    try:
        return reader(text, "here", **rule)
    except UnparsableOutput:
        return "refused"


JAVA = table("numbers-java-parse-openjdk17.tsv")


@pytest.mark.parametrize("form, integer, long", JAVA, ids=[case_id(row[0]) for row in JAVA])
def test_java_reading_is_openjdk17s(form, integer, long):
    text = unescaped(form)
    assert answer(read_java_int, text) == (int(integer) if integer != "NumberFormatException" else "refused")
    assert answer(read_java_int, text, bits=64) == (int(long) if long != "NumberFormatException" else "refused")


OCAML = table("numbers-ocaml-int-of-string-4.13.tsv")


@pytest.mark.parametrize("form, result", OCAML, ids=[case_id(row[0]) for row in OCAML])
def test_ocaml_reading_is_int_of_string(form, result):
    assert answer(read_ocaml_int, unescaped(form)) == (int(result) if result != "Failure" else "refused")


MARIADB = table("numbers-mariadbd-10.11-options.tsv")


@pytest.mark.parametrize("form, result", MARIADB, ids=[case_id(row[0]) for row in MARIADB])
def test_mariadb_reading_is_mariadbds(form, result):
    read = answer(read_mariadb_unsigned, unescaped(form))
    if result.startswith("innodb-lock-wait-timeout "):
        assert min(read, INNODB_LOCK_WAIT_TIMEOUT_MAX) == int(result.split()[1])
    else:
        assert read == "refused", result


IPTABLES = table("numbers-iptables-restore-1.8.9.tsv")


@pytest.mark.parametrize("line, form, result", IPTABLES, ids=[f"{row[0][:2]}-{case_id(row[1])}" for row in IPTABLES])
def test_ports_and_rule_numbers_read_as_iptables_restore_reads_them(line, form, result):
    """The file the recorder loaded, read by the suite: the same rules, or refused where iptables-restore refused."""
    rule = line.replace(" N", " " + unescaped(form), 1) + " -j ACCEPT"
    try:
        ruleset = parse_iptables_save(f"*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -j DROP\n{rule}\nCOMMIT\n", "rules")
    except UnparsableOutput as error:
        read = str(error)
    else:
        read = "".join(f"-A INPUT {r.text};" for r in ruleset.chain("filter", "INPUT").rules)
    if result.startswith("-A INPUT"):
        assert read == result
    elif "Index of insertion too big" in result:
        assert read.endswith("index of insertion too big")
    elif "Invalid rule number" in result:
        assert read.endswith("is not a rule number")
    elif form[:1].isalpha():
        # a word that is no number is a service name to iptables (`K` is in no /etc/services); the
        # suite keeps the names it cannot resolve, and a port judged on one is "not checked"
        assert read.endswith(f"--dport {form} -j ACCEPT;")
    else:
        assert read.startswith("rules line 4: "), result


@pytest.mark.parametrize("text, expected", [
    ("\u0661\u0662", "refused"), ("\u00b2", "refused"), ("\uff11\uff12", "refused"), ("1" * 5000, "refused"),
    ("0" * 5000 + "12", 12), ("12", 12), ("-12", "refused"), ("+12", "refused"), (" 12", "refused"), ("1_2", "refused"),
])
def test_ascii_decimal_reading(text, expected):
    assert answer(read_decimal, text) == expected


def test_ascii_decimal_signs_and_bounds():
    assert read_decimal("-12", "here", low=INT64[0], signs="-") == -12
    assert answer(read_decimal, "+12", signs="-") == "refused"
    assert answer(read_decimal, str(2 ** 63), low=INT64[0], high=INT64[1], signs="-") == "refused"
    assert read_decimal(str(-2 ** 63), "here", low=INT64[0], high=INT64[1], signs="-") == -2 ** 63


def test_a_refusal_is_one_line_naming_the_place_and_the_size():
    with pytest.raises(UnparsableOutput) as error:
        read_decimal("7" * 5000, "date +%s", what="a time")
    assert str(error.value) == f"date +%s: {'7' * 40!r} (5,000 characters) is not a time"


def test_reads_and_read_or_none():
    assert reads(read_c_unsigned, "0x16", high=65535) and not reads(read_c_unsigned, "09")
    assert read_or_none(read_java_int, "\u0663") == 3 and read_or_none(read_java_int, None) is None


# --- drawn numbers against the oracles of tests/unit/numbers_strategy.py ----------------------------

DRAWN = settings(max_examples=examples(300), deadline=None)


@DRAWN
@given(number_texts(), st.sampled_from(["", "-", "+-"]))
def test_decimal_reading_is_the_c_locales(text, signs):
    expected = ascii_decimal(text, INT64[0], INT64[1], signs)
    assert answer(read_decimal, text, low=INT64[0], high=INT64[1], signs=signs) == (
        "refused" if expected is None else expected)


@DRAWN
@given(number_texts(), st.sampled_from([1, 65535, 2 ** 31 - 1]))
def test_c_base0_reading_is_strtoumaxs(text, high):
    expected = c_base0_unsigned(text, 0, high)
    assert answer(read_c_unsigned, text, high=high) == ("refused" if expected is None else expected)


@DRAWN
@given(number_texts(), st.sampled_from([32, 64]))
def test_java_reading_is_parse_ints(text, bits):
    expected = java_parse(text, bits)
    assert answer(read_java_int, text, bits=bits) == ("refused" if expected is None else expected)


@DRAWN
@given(number_texts())
def test_mariadb_reading_is_my_getopts(text):
    expected = mariadb_unsigned(text)
    assert answer(read_mariadb_unsigned, text) == ("refused" if expected is None else expected)


@DRAWN
@given(number_texts())
def test_ocaml_reading_gives_a_value_or_refuses(text):
    """No oracle but the recorded table: a value within OCaml's 63-bit int, or a refusal."""
    result = answer(read_ocaml_int, text)
    assert result == "refused" or -2 ** 62 <= result < 2 ** 62


@pytest.mark.parametrize("value, expected", [
    ("12000.0", 12000.0), ("1.2E7", 1.2e7), (3, 3.0), (2.5, 2.5), ("+2", 2.0), (".5", 0.5), ("5.", 5.0),
    ("NaN", "refused"), ("nan", "refused"), ("inf", "refused"), ("Infinity", "refused"), (float("-inf"), "refused"),
    ("1_0", "refused"), (" 2", "refused"), ("\u0661\u0662", "refused"), (True, "refused"), (None, "refused"),
    ("1" * 5000, "refused"), ("1e999", "refused"),
])
def test_api_numbers(value, expected):
    assert answer(read_api_number, value) == expected
