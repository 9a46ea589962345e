"""The management server's logging configuration, /etc/cloudstack/management/log4j-cloud.xml: which
dialect it is written in, its SYSLOG appender and whether the root logger uses it.

CloudStack before 4.20 packages a log4j 1 file (apache/cloudstack client/conf/log4j-cloud.xml.in):

    <log4j:configuration xmlns:log4j="http://jakarta.apache.org/log4j/" debug="true">
       <appender name="SYSLOG" class="org.apache.log4j.net.SyslogAppender">
          <param name="Threshold" value="WARN"/>
          <param name="SyslogHost" value="localhost"/>
          <param name="Facility" value="LOCAL6"/>
       ...
       <root><level value="INFO"/><appender-ref ref="SYSLOG"/> ...

From 4.20 the same file is log4j2 (@0973f7b):

    <Configuration monitorInterval="60">
       <Appenders>
          <Syslog name="SYSLOG" host="localhost" facility="LOCAL6">
             <ThresholdFilter level="WARN" onMatch="ACCEPT" onMismatch="DENY"/>
       ...
       <Loggers> ... <Root level="INFO"><AppenderRef ref="SYSLOG"/> ...

log4j2 finds plugins (elements) and their attributes by name in any case; log4j 1's DOMConfigurator
matches element names exactly and `param` names through bean setters (SyslogHost -> setSyslogHost).
A file with entity declarations is refused (not expanded).
"""
from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass

from stackaudit.config.kinds import LOG_LEVELS, SYSLOG_FACILITIES
from stackaudit.errors import UnparsableOutput

LOG4J1_NAMESPACE = "http://jakarta.apache.org/log4j/"
LOG4J1_SYSLOG_CLASS = "org.apache.log4j.net.SyslogAppender"
SYSLOG_APPENDER = "SYSLOG"
__all__ = ["LOG_LEVELS", "SYSLOG_FACILITIES", "Log4jConfig", "SyslogAppender", "parse_log4j_config"]


@dataclass(frozen=True)
class SyslogAppender:
    host: str | None         # None: not set (log4j 1 sends nowhere; log4j2 defaults to localhost)
    facility: str | None     # as written; None: the appender's default
    threshold: str | None    # the level below which it drops events; None: no threshold (every event)


@dataclass(frozen=True)
class Log4jConfig:
    dialect: str                       # "log4j1" or "log4j2"
    syslog: SyslogAppender | None      # the appender named SYSLOG, None when there is none
    root_refs: tuple[str, ...]         # the appenders the root logger references


def local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def children(element, name: str, *, any_case: bool) -> list:
    want = name.lower() if any_case else name
    return [c for c in element if (local(c.tag).lower() if any_case else local(c.tag)) == want]


def attribute(element, name: str) -> str | None:
    """An attribute by name in any case (log4j2)."""
    return next((v for k, v in element.attrib.items() if k.lower() == name.lower()), None)


def parse_log4j1(root) -> Log4jConfig:
    syslog = None
    for appender in children(root, "appender", any_case=False):
        if appender.get("name") == SYSLOG_APPENDER:
            if appender.get("class") != LOG4J1_SYSLOG_CLASS:
                raise UnparsableOutput(f"log4j-cloud.xml: appender SYSLOG is {appender.get('class')!r}, "
                                       f"not {LOG4J1_SYSLOG_CLASS}")
            params = {(p.get("name") or "").lower(): p.get("value") for p in children(appender, "param", any_case=False)}
            syslog = SyslogAppender(params.get("sysloghost"), params.get("facility"), params.get("threshold"))
    refs = tuple(ref.get("ref") or "" for r in children(root, "root", any_case=False)
                 for ref in children(r, "appender-ref", any_case=False))
    return Log4jConfig("log4j1", syslog, refs)


def parse_log4j2(root) -> Log4jConfig:
    syslog = None
    for appenders in children(root, "Appenders", any_case=True):
        for appender in children(appenders, "Syslog", any_case=True):
            if attribute(appender, "name") == SYSLOG_APPENDER:
                filters = children(appender, "ThresholdFilter", any_case=True)
                syslog = SyslogAppender(attribute(appender, "host"), attribute(appender, "facility"),
                                        attribute(filters[0], "level") if filters else None)
    refs = tuple(attribute(ref, "ref") or "" for loggers in children(root, "Loggers", any_case=True)
                 for r in children(loggers, "Root", any_case=True)
                 for ref in children(r, "AppenderRef", any_case=True))
    return Log4jConfig("log4j2", syslog, refs)


def parse_log4j_config(text: str) -> Log4jConfig:
    """log4j-cloud.xml: its dialect by the root element (`log4j:configuration` in log4j 1's
    namespace, or `Configuration`), its SYSLOG appender, and the root logger's appender references."""
    if "<!ENTITY" in text:
        raise UnparsableOutput("log4j-cloud.xml: declares XML entities; not read")
    try:
        root = ET.fromstring(text)
    except ET.ParseError as err:
        raise UnparsableOutput(f"log4j-cloud.xml: not well-formed XML ({err})") from None
    if root.tag == f"{{{LOG4J1_NAMESPACE}}}configuration":
        return parse_log4j1(root)
    if root.tag.lower() == "configuration":
        return parse_log4j2(root)
    raise UnparsableOutput(f"log4j-cloud.xml: root element {root.tag[:60]!r} is neither log4j 1's "
                           "log4j:configuration nor log4j2's Configuration")
