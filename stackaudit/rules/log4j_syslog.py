"""MS-LOG4J-SYSLOG: log4j-cloud.xml is written in the dialect the running release reads (log4j 1
before 4.20, log4j2 from 4.20: [CS-DOCS-LOG4J]), and, where the policy names a
syslog host, its SYSLOG appender sends there with the policy's facility and level, from the root logger."""
from __future__ import annotations

from stackaudit.errors import NotCheckable, UnparsableOutput
from stackaudit.parsers.cloudstack import parse_cloudstack_version
from stackaudit.parsers.log4j import LOG_LEVELS, SYSLOG_APPENDER, Log4jConfig

LOG4J_FILE = "/etc/cloudstack/management/log4j-cloud.xml"
LOG4J2_FROM = "4.20"
DIALECT_NAMES = {"log4j1": "log4j 1", "log4j2": "log4j2"}
# What each SyslogAppender does without a Facility: log4j 1 SyslogAppender's LOG_USER, log4j2's LOCAL0
DEFAULT_FACILITY = {"log4j1": "USER", "log4j2": "LOCAL0"}


def expected_dialect(version: str | None) -> str:
    if not version:
        raise NotCheckable("the management server's release is unknown (listManagementServers gives no version)")
    try:
        release = parse_cloudstack_version(version)
    except (UnparsableOutput, ValueError):
        raise NotCheckable(f"the management server's release {version!r} is not a CloudStack version") from None
    return "log4j2" if release >= parse_cloudstack_version(LOG4J2_FROM) else "log4j1"


def level_rank(level: str, where: str) -> int:
    if level.upper() not in LOG_LEVELS:
        raise UnparsableOutput(f"{LOG4J_FILE}: {where} level {level[:40]!r} is not a log4j level")
    return LOG_LEVELS.index(level.upper())


def syslog_findings(config: Log4jConfig, policy) -> list[str]:
    syslog = config.syslog
    if syslog is None:
        return [f"no {SYSLOG_APPENDER} appender: nothing is sent to {policy.syslog_host}"]
    findings = []
    host = syslog.host if syslog.host is not None or config.dialect == "log4j1" else "localhost"
    if host is None:
        findings.append(f"{SYSLOG_APPENDER} has no SyslogHost: it sends nowhere")
    elif host.lower() != policy.syslog_host.lower():
        findings.append(f"{SYSLOG_APPENDER} sends to {host}, not to {policy.syslog_host}")
    facility = (syslog.facility or DEFAULT_FACILITY[config.dialect]).upper()
    if facility != policy.syslog_facility:
        findings.append(f"{SYSLOG_APPENDER} uses facility {facility}, not {policy.syslog_facility}")
    if syslog.threshold is not None and level_rank(syslog.threshold, "SYSLOG threshold") > level_rank(
            policy.syslog_level, "policy"):
        findings.append(f"{SYSLOG_APPENDER} drops events below {syslog.threshold.upper()}; "
                        f"the policy wants {policy.syslog_level} and above")
    if SYSLOG_APPENDER not in config.root_refs:
        findings.append(f"the root logger does not reference {SYSLOG_APPENDER}")
    return findings


def log4j_findings(config: Log4jConfig | None, version: str | None, policy) -> list[str]:
    """`policy` is the policy's ms section (syslog_host, syslog_facility, syslog_level)."""
    expected = expected_dialect(version)
    if config is None:
        return [f"no {LOG4J_FILE}: the server has no logging configuration of its own"]
    if config.dialect != expected:
        return [f"{LOG4J_FILE} is a {DIALECT_NAMES[config.dialect]} configuration, but CloudStack {version} "
                f"reads {DIALECT_NAMES[expected]} (log4j2 from {LOG4J2_FROM}): its logging stops"]
    return syslog_findings(config, policy) if policy.syslog_host else []
