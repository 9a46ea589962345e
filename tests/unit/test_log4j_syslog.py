"""log4j-cloud.xml (parsers/log4j.py) and MS-LOG4J-SYSLOG's rule (rules/log4j_syslog.py), on the
recorded packaged and forked files (tests/data/recorded/SOURCES.md), tables and drawn files."""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lab.files import log4j_cloud_xml
from stackaudit.config.policy import policy_from_data
from stackaudit.errors import NotCheckable, UnparsableOutput
from stackaudit.parsers.log4j import LOG_LEVELS, SYSLOG_FACILITIES, Log4jConfig, SyslogAppender, parse_log4j_config
from stackaudit.rules.log4j_syslog import log4j_findings
from tests.unit.hypothesis_budget import examples

RECORDED = Path(__file__).resolve().parent.parent / "data" / "recorded"
FILE = "/etc/cloudstack/management/log4j-cloud.xml"
PACKAGED_420 = parse_log4j_config((RECORDED / "log4j-cloud-xml-in-cloudstack-4.20.xml").read_text())
LOG4J1 = parse_log4j_config((RECORDED / "log4j-cloud-xml-in-globocom-log4j1.xml").read_text())
NO_HOST = policy_from_data({}, "defaults").ms
CENTRAL = policy_from_data({"ms": {"syslog_host": "198.18.0.250"}}, "p.yml").ms


def test_the_recorded_files_read_as_their_dialects():
    assert PACKAGED_420 == Log4jConfig("log4j2", SyslogAppender("localhost", "LOCAL6", "WARN"), ("SYSLOG", "CONSOLE", "FILE"))
    assert LOG4J1 == Log4jConfig("log4j1", SyslogAppender("localhost", "LOCAL6", "WARN"),
                                 ("SYSLOG", "CONSOLE", "FILE", "graylog"))


def test_each_dialect_passes_on_its_release_and_fails_on_the_other():
    assert log4j_findings(PACKAGED_420, "4.20.1.0", NO_HOST) == []
    assert log4j_findings(LOG4J1, "4.19.1.0", NO_HOST) == []
    assert log4j_findings(LOG4J1, "4.20.0.0", NO_HOST) == [
        f"{FILE} is a log4j 1 configuration, but CloudStack 4.20.0.0 reads log4j2 (log4j2 from 4.20): its logging stops"]
    assert log4j_findings(PACKAGED_420, "4.19.1.0", NO_HOST) == [
        f"{FILE} is a log4j2 configuration, but CloudStack 4.19.1.0 reads log4j 1 (log4j2 from 4.20): its logging stops"]


def test_the_packaged_appender_fails_a_central_syslog_policy():
    assert log4j_findings(PACKAGED_420, "4.20.1.0", CENTRAL) == [
        "SYSLOG sends to localhost, not to 198.18.0.250", "SYSLOG uses facility LOCAL6, not LOCAL0",
        "SYSLOG drops events below WARN; the policy wants DEBUG and above"]


@pytest.mark.parametrize("syslog, refs, findings", [
    (SyslogAppender("198.18.0.250", "local0", "trace"), ("SYSLOG",), []),
    (SyslogAppender("198.18.0.250", "LOCAL0", None), ("SYSLOG",), []),           # no filter: every event
    (SyslogAppender("198.18.0.250", "LOCAL0", "DEBUG"), ("FILE",), ["the root logger does not reference SYSLOG"]),
    (None, ("SYSLOG",), ["no SYSLOG appender: nothing is sent to 198.18.0.250"]),
])
def test_log4j2_appender(syslog, refs, findings):
    assert log4j_findings(Log4jConfig("log4j2", syslog, refs), "4.20.1.0", CENTRAL) == findings


def test_defaults_of_each_dialect():
    # log4j2's Syslog defaults to localhost and LOCAL0; log4j 1's sends nowhere without SyslogHost, as USER
    assert log4j_findings(Log4jConfig("log4j2", SyslogAppender(None, None, "DEBUG"), ("SYSLOG",)), "4.20.1.0",
                          CENTRAL) == ["SYSLOG sends to localhost, not to 198.18.0.250"]
    assert log4j_findings(Log4jConfig("log4j1", SyslogAppender(None, None, "DEBUG"), ("SYSLOG",)), "4.19.1.0",
                          CENTRAL) == ["SYSLOG has no SyslogHost: it sends nowhere", "SYSLOG uses facility USER, not LOCAL0"]


def test_not_checkable_without_a_release_or_with_an_unknown_level():
    with pytest.raises(NotCheckable, match="release is unknown"):
        log4j_findings(PACKAGED_420, None, NO_HOST)
    with pytest.raises(NotCheckable, match="'four' is not a CloudStack version"):
        log4j_findings(PACKAGED_420, "four", NO_HOST)
    with pytest.raises(UnparsableOutput, match="SYSLOG threshold level 'LOUD' is not a log4j level"):
        log4j_findings(replace(PACKAGED_420, syslog=SyslogAppender("198.18.0.250", "LOCAL0", "LOUD")), "4.20.1.0",
                       CENTRAL)


def test_no_file_fails():
    assert log4j_findings(None, "4.19.1.0", NO_HOST) == [f"no {FILE}: the server has no logging configuration of its own"]


@pytest.mark.parametrize("text, message", [
    ("<log4j:configuration xmlns:log4j=\"http://jakarta.apache.org/log4j/\">\n<appender", "not well-formed XML"),
    ("<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY a \"aaaa\">]><Configuration/>", "declares XML entities"),
    ("<configuration scan=\"true\"><jmxConfigurator/></configuration>", None),   # logback: read as log4j2 names
    ("<log4j:configuration xmlns:log4j=\"urn:other\"/>", "neither log4j 1's"),
    ("<log4j:configuration xmlns:log4j=\"http://jakarta.apache.org/log4j/\"><appender name=\"SYSLOG\" "
     "class=\"org.apache.log4j.ConsoleAppender\"/></log4j:configuration>", "appender SYSLOG is 'org.apache.log4j.ConsoleAppender'"),
])
def test_files_that_cannot_be_read(text, message):
    if message is None:
        assert parse_log4j_config(text) == Log4jConfig("log4j2", None, ())
        return
    with pytest.raises(UnparsableOutput, match=message):
        parse_log4j_config(text)


@given(st.sampled_from(["log4j1", "log4j2"]), st.from_regex(r"[a-z0-9.-]{1,20}", fullmatch=True),
       st.sampled_from(SYSLOG_FACILITIES), st.sampled_from(LOG_LEVELS), st.booleans())
@settings(max_examples=examples(100), deadline=None)
def test_files_the_lab_writes_read_back(dialect, host, facility, level, root_syslog):
    config = parse_log4j_config(log4j_cloud_xml(dialect, host, facility, level, root_syslog))
    assert config.dialect == dialect and config.syslog == SyslogAppender(host, facility, level)
    assert ("SYSLOG" in config.root_refs) is root_syslog


@given(st.text(alphabet=st.sampled_from(list("<>/=\"' !-?[]&;:abcxyzConfigurationlog4j")), max_size=80))
@settings(max_examples=examples(200), deadline=None)
def test_any_text_is_read_or_refused_in_one_line(text):
    try:
        parse_log4j_config(text)
    except UnparsableOutput as err:
        assert "\n" not in str(err)
