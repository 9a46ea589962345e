"""Matching is linear in a line's length whatever the line holds: masking (lines are capped before
any shape is matched, stackaudit/config/secret_shapes.py) and the parsers' patterns.
benchmarks/masking.py prints the figures: each 4x longer line costs about 4x (16x was the quadratic
forms' step)."""
from __future__ import annotations

import time

import pytest

from stackaudit.config.secret_shapes import MASK, MAX_LINE, cap_lines, mask_shapes
from stackaudit.errors import UnparsableOutput
from stackaudit.parsers.jdbc import PAIR, parse_jdbc_url
from stackaudit.parsers.localnames import IP_ADDR_LINE, parse_ip_addresses
from tests.unit.hostile_lines import HOSTILE, hostile_line


def cpu_seconds(line: str) -> float:
    started = time.process_time()
    mask_shapes(line)
    return time.process_time() - started


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_a_hostile_line_masks_in_linear_time(name):
    """The 40 KB line took 24 to 67 s before (0.96 s at 8 KB, 16x more at each doubling of doublings);
    about 0.02 s now, and a 1 MB line is cut at MAX_LINE first. The bounds are 50x what it takes here,
    so that a loaded machine cannot fail them, and a quadratic form cannot pass them."""
    assert cpu_seconds(hostile_line(name, 40_000)) < 1.0
    assert cpu_seconds(hostile_line(name, 1 << 20)) < 2.0


def test_a_line_over_the_cap_is_cut_with_a_note_and_only_once():
    line = "x" * (MAX_LINE + 10)
    capped = cap_lines(f"first\n{line}\nlast")
    first, cut, last = capped.split("\n")
    assert (first, last) == ("first", "last") and len(cut) <= MAX_LINE
    assert cut.endswith(f" [line cut at {MAX_LINE:,} characters before masking: {MAX_LINE + 10:,} in all; "
                        "the rest not shown]")
    assert cap_lines(capped) == capped
    assert cap_lines("short\n" * 10) == "short\n" * 10


def test_a_secret_in_a_line_over_the_cap_is_masked_and_what_follows_the_cut_is_not_shown():
    text = "password=S3cret-value " + "y" * MAX_LINE + " token=T0ken-after-the-cut"
    masked = mask_shapes(text)
    assert "S3cret-value" not in masked and "T0ken-after-the-cut" not in masked and MASK in masked
    assert mask_shapes(masked) == masked


@pytest.mark.parametrize("parse, text", [
    # a key of 8,000 blanks: the lazy (key) = (value) pattern took 267 s; db.properties' URL is the target's text
    (parse_jdbc_url, "jdbc:mysql://address=(" + " " * 8000 + "x)/cloud"),
    (parse_jdbc_url, "jdbc:mysql://address=(host=a" + " " * 8000 + "b)/cloud"),
    # an interface name of @s: the lazy name before (?:@\S+)? rescanned the word at each @ (0.6 s at 8,000)
    (parse_ip_addresses, "1: a" + "@" * 40_000 + " inet 198.18.0.10/24"),
], ids=["jdbc-blanks", "jdbc-equals", "ip-addr-ats"])
def test_the_parsers_patterns_are_linear_on_hostile_lines(parse, text):
    started = time.process_time()
    try:
        parse(text)
    except UnparsableOutput:
        pass
    assert time.process_time() - started < 1.0


def test_the_linear_parser_patterns_read_what_they_read_before():
    assert PAIR.findall("( host = a b )(port=3306)(=)") == [("host", "a b"), ("port", "3306"), ("", "")]
    assert IP_ADDR_LINE.fullmatch("3: veth1@if2    inet6 fd00::1/64 scope link").group("interface", "address") == \
        ("veth1", "fd00::1")
