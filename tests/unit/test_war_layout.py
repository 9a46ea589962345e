"""A war-dropped management server's layout (parsers/war_layout.py) and MS-WAR-LAYOUT's rule
(rules/war_layout.py), on a recorded probe output, tables and drawn probe outputs."""
from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stackaudit.errors import UnparsableOutput
from stackaudit.parsers.properties import parse_environment_file
from stackaudit.parsers.war_layout import WarLayout, parse_war_layout
from stackaudit.rules.war_layout import war_layout_findings
from tests.unit.hypothesis_budget import examples

GOOD_LAYOUT = "config_dir\ndb_properties\nconnector\ntomcat_home\t/usr/share/tomcat\ntomcat_db\n"
GOOD_SYSCONFIG = parse_environment_file(
    'CLASSPATH="/usr/share/java/mysql-connector-java.jar:/etc/cloudstack/management/"\n', "/etc/sysconfig/tomcat")


def test_the_layout_the_source_recommends_passes():
    assert war_layout_findings(GOOD_SYSCONFIG, parse_war_layout(GOOD_LAYOUT)) == []


def test_a_config_directory_linked_into_the_webapp_fails():
    layout = parse_war_layout("config_link\t/usr/share/tomcat/webapps/client/WEB-INF/classes\n" + GOOD_LAYOUT)
    assert layout.config_link == "/usr/share/tomcat/webapps/client/WEB-INF/classes"
    assert war_layout_findings(GOOD_SYSCONFIG, layout) == [
        "/etc/cloudstack/management is a symlink to /usr/share/tomcat/webapps/client/WEB-INF/classes: "
        "a new war drop replaces what it holds"]


@pytest.mark.parametrize("sysconfig, layout, findings", [
    (None, GOOD_LAYOUT, ["no /etc/sysconfig/tomcat"]),
    ({}, GOOD_LAYOUT, ["/etc/sysconfig/tomcat sets no CLASSPATH"]),
    ({"CLASSPATH": "/etc/cloudstack/management:/usr/share/java/mysql-connector-java.jar"}, GOOD_LAYOUT,
     ["Tomcat's CLASSPATH starts with '/etc/cloudstack/management', not /usr/share/java/mysql-connector-java.jar"]),
    ({"CLASSPATH": "/usr/share/java/mysql-connector-java.jar"}, GOOD_LAYOUT,
     ["/etc/cloudstack/management is not on Tomcat's CLASSPATH"]),
    (GOOD_SYSCONFIG, "config_dir\nconnector\ntomcat_home\t/usr/share/tomcat\n",
     ["/etc/cloudstack/management holds no db.properties", "no /usr/share/tomcat/db: the database upgrade scripts are missing"]),
    (GOOD_SYSCONFIG, "config_dir\ndb_properties\ntomcat_home\t\ntomcat_db\n",
     ["/usr/share/java/mysql-connector-java.jar does not exist",
      "no user tomcat: its home, where the database upgrade scripts belong, is unknown"]),
])
def test_findings(sysconfig, layout, findings):
    assert war_layout_findings(sysconfig, parse_war_layout(layout)) == findings


@pytest.mark.parametrize("text, message", [
    ("", "no tomcat_home line"),
    ("config_dir\tyes\ntomcat_home\t/x\n", "war layout line 1: unexpected 'config_dir\\\\tyes'"),
    ("tomcat_home\t/x\nsurprise\n", "war layout line 2: unexpected 'surprise'"),
])
def test_unreadable(text, message):
    with pytest.raises(UnparsableOutput, match=message):
        parse_war_layout(text)


@given(st.lists(st.sampled_from(["config_dir", "db_properties", "connector", "tomcat_db"]), unique=True),
       st.one_of(st.none(), st.from_regex(r"/[a-z/]{1,20}", fullmatch=True)),
       st.one_of(st.none(), st.from_regex(r"/[a-z/]{1,20}", fullmatch=True)))
@settings(max_examples=examples(100), deadline=None)
def test_probe_lines_read_back(flags, link, home):
    lines = [*flags, *([f"config_link\t{link}"] if link else []), f"tomcat_home\t{home or ''}"]
    assert parse_war_layout("\n".join(lines) + "\n") == WarLayout(
        link, "config_dir" in flags, "db_properties" in flags, "connector" in flags, home, "tomcat_db" in flags)


def test_a_recorded_machine_without_tomcat_fails_every_part():
    text = (Path(__file__).resolve().parent.parent / "data" / "recorded" / "war-layout-debian12-no-cloudstack.txt").read_text()
    layout = parse_war_layout(text)
    assert layout == WarLayout(None, False, False, False, None, False)
    assert war_layout_findings(None, layout) == [
        "no /etc/sysconfig/tomcat", "/usr/share/java/mysql-connector-java.jar does not exist",
        "/etc/cloudstack/management is not a directory",
        "no user tomcat: its home, where the database upgrade scripts belong, is unknown"]
