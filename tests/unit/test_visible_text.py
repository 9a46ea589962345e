"""Nothing raw to a terminal (issue 18, item 5): a name from the cloud holding ANSI escapes, C1 and
other control characters, `<script>` and `&` is shown escaped on the terminal (pytest's failure and
summary lines, StackAudit's tables, the changes), in junit.xml and in the report's HTML."""
from __future__ import annotations

import datetime
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import pytest

from stackaudit.catalog import catalog
from stackaudit.report.auditor import Verdict, description_html, present
from stackaudit.report.changes import build_summary, change_lines
from stackaudit.report.summary import Result, summary_lines
from stackaudit.report.visible import visible
from tests.unit.test_auditor_report import allure_result

pytest_plugins = ("pytester",)

# A tenant's VM name: recolours the terminal, sets its title, clears the screen with the one-byte CSI,
# returns to the start of the line, reverses what follows; and HTML.
HOSTILE = "web\x1b[31mRED\x1b]0;owned\x07 <script>alert(1)</script> & \x9b2J\r\u202eevil\ttab\nline"
SHOWN = "web\\x1b[31mRED\\x1b]0;owned\\x07 <script>alert(1)</script> & \\x9b2J\\x0d\\u202eevil\\x09tab\\x0aline"
SHOWN_LINES = SHOWN.replace("\\x09", "\t").replace("\\x0a", "\n")      # printed as several lines
RAW = ("\x1b", "\x07", "\x9b", "\r", "\u202e")
TARGET = f"router://zone1/{HOSTILE}"


@pytest.mark.parametrize("text, single_line, lines", [
    (HOSTILE, SHOWN, SHOWN_LINES),
    ("\x00\x1f\x7f\x80\x85\x9f", "\\x00\\x1f\\x7f\\x80\\x85\\x9f", "\\x00\\x1f\\x7f\\x80\\x85\\x9f"),
    ("\u200e\u200f\u202a\u202e\u2066\u2069\u061c", "\\u200e\\u200f\\u202a\\u202e\\u2066\\u2069\\u061c",
     "\\u200e\\u200f\\u202a\\u202e\\u2066\\u2069\\u061c"),
    ("Zürich 中 \\x1b a\\b ~ \xa0", "Zürich 中 \\x1b a\\b ~ \xa0", "Zürich 中 \\x1b a\\b ~ \xa0"),
], ids=["tenant-name", "c0-del-c1", "bidirectional", "printable-kept"])
def test_control_characters_are_shown_escaped_and_nothing_else_changes(text, single_line, lines):
    assert visible(text) == single_line
    assert visible(text, multiline=True) == lines


def no_raw_controls(text: str) -> bool:
    return not any(char in text for char in RAW)


def test_the_summary_table_and_the_changes_show_a_hostile_target_escaped():
    results = [Result("SVM-LIBSSL-PATCHED", TARGET, "failed", f"libssl on {HOSTILE}", "critical"),
               Result("SVM-LIBSSL-PATCHED", "router://zone1/r-4-VM", "passed", "", "critical")]
    table = summary_lines(results)
    assert all(no_raw_controls(line) and "\n" not in line for line in table)
    assert table[1].endswith(f"router://zone1/{SHOWN} (failed)")
    summary = build_summary("r2", "s", "f", "lab", None, None, 1, results, None, (), datetime.date(2026, 1, 1),
                            first_use_pins=[{"target": TARGET, "vm_id": "id\x1b[2J", "fingerprint": "SHA256:x"}])
    changes = change_lines(summary)
    assert all(no_raw_controls(line) and "\n" not in line for line in changes)
    assert f"    SVM-LIBSSL-PATCHED  router://zone1/{SHOWN}" in changes
    assert f"    router://zone1/{SHOWN}  CloudStack id id\\x1b[2J  SHA256:x" in changes


def shown_text(fragment: str) -> str:
    """What a browser shows of an HTML fragment; AssertionError if it holds a script element."""
    class Reader(HTMLParser):
        def __init__(self):
            super().__init__()
            self.text = []

        def handle_starttag(self, tag, attrs):
            assert tag != "script", fragment

        def handle_data(self, data):
            self.text.append(data)
    reader = Reader()
    reader.feed(fragment)
    return "".join(reader.text)


def test_the_report_html_shows_a_hostile_name_escaped():
    waiver = {"check": "SVM-LIBSSL-PATCHED", "target": TARGET, "reason": f"tenant {HOSTILE}", "approver": "a",
              "ticket": "T-1", "expires": "2027-01-01", "expired": False}
    page = description_html(catalog()["SVM-LIBSSL-PATCHED"], f"The rule, seen on {HOSTILE}.", "critical", waiver)
    assert no_raw_controls(page) and "<script>" not in page and "&amp;" in page
    text = shown_text(page)
    assert f"Covers:\xa0router://zone1/{SHOWN}" in text and f"Reason:\xa0tenant {SHOWN}" in text
    assert "web\\x1b[31mRED" in text         # the docstring's paragraph too (its whitespace folded)


def test_the_allure_title_and_message_show_a_hostile_name_escaped():
    result = allure_result()
    present(result, catalog()["DB-CNF-PERSISTED"], None, TARGET, "critical",
            Verdict("broken", f"{TARGET}: cannot connect", not_checked="unreachable", trace=f"Traceback {HOSTILE}"))
    assert result.name.endswith(f" · router://zone1/{SHOWN}")
    assert result.statusDetails.message.startswith("not checked (unreachable): DB-CNF-PERSISTED · ")
    assert result.statusDetails.trace.startswith(f"router://zone1/{SHOWN_LINES}: cannot connect\n\nTraceback ")
    finding = next(label.value for label in result.labels if label.name == "finding")
    assert finding == f"not checked (unreachable): router://zone1/{SHOWN_LINES}: cannot connect"
    assert no_raw_controls(finding)
    assert no_raw_controls(result.statusDetails.message + result.statusDetails.trace)
    assert ("target", "db://db2") in [(label.name, label.value) for label in result.labels]


CHECK_FILE = f'''
import pytest

NAME = {HOSTILE!r}


def check(function):
    function.stackaudit_check_id = "DB-BINLOG-ROW"
    return function


@pytest.mark.parametrize("name", [NAME, NAME], ids=["vm", NAME])
@check
def test_named(name):
    print("captured", name)
    assert False, f"VM {{name}} has binlog_format STATEMENT"


@check
def test_turned_off():
    pytest.skip(f"turned off for {{NAME}}")
'''


def test_pytest_s_failure_and_summary_lines_and_junit_xml_show_a_hostile_name_escaped(pytester):
    pytester.makepyfile(test_hostile=CHECK_FILE)
    junit = pytester.path / "junit.xml"
    run = pytester.runpytest_inprocess("-p", "stackaudit.plugin", "-p", "no:cacheprovider", "-rA", f"--junitxml={junit}")
    output = run.stdout.str()
    assert no_raw_controls(output), output
    (failed,) = [line for line in run.outlines if line.startswith("FAILED test_hostile.py::test_named[vm] - ")]
    assert failed.startswith("FAILED test_hostile.py::test_named[vm] - failed: VM web\\x1b[31mRED\\x1b]0;owned"), output
    assert "captured web\\x1b[31mRED" in output       # the captured output section
    (skipped,) = [line for line in run.outlines if line.startswith("SKIPPED [1] test_hostile.py:")]
    assert skipped.endswith(f"turned off for {SHOWN}"), output
    assert any(line.startswith("DB-BINLOG-ROW") for line in run.outlines)     # StackAudit's table
    raw = junit.read_bytes()
    assert b"\x1b" not in raw and b"<script>" not in raw and b"&lt;script&gt;" in raw and b"&amp;" in raw
    for case in ET.parse(junit).getroot().iter("testcase"):
        if case.get("name") == "test_turned_off":
            assert case.find("skipped").get("message") == f"turned off for {SHOWN}"
            continue
        assert case.find("failure").get("message") == f"failed: VM {SHOWN_LINES} has binlog_format STATEMENT"
