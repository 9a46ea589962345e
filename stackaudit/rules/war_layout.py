"""MS-WAR-LAYOUT: a management server deployed as a war in Tomcat keeps its
configuration outside the webapp ([BERGSMA-OPS]): Tomcat's CLASSPATH starts with the MySQL
connector, /etc/cloudstack/management is a real directory on it holding db.properties, and the
database upgrade scripts lie under Tomcat's home."""
from __future__ import annotations

from stackaudit.parsers.war_layout import WarLayout

SYSCONFIG = "/etc/sysconfig/tomcat"
CONNECTOR = "/usr/share/java/mysql-connector-java.jar"
CONFIG_DIR = "/etc/cloudstack/management"


def classpath_entries(sysconfig: dict[str, str] | None) -> list[str] | None:
    if sysconfig is None or "CLASSPATH" not in sysconfig:
        return None
    return [entry.rstrip("/") for entry in sysconfig["CLASSPATH"].split(":")]


def war_layout_findings(sysconfig: dict[str, str] | None, layout: WarLayout) -> list[str]:
    findings = []
    entries = classpath_entries(sysconfig)
    if entries is None:
        findings.append(f"{SYSCONFIG} sets no CLASSPATH" if sysconfig is not None else f"no {SYSCONFIG}")
    elif entries[0] != CONNECTOR:
        findings.append(f"Tomcat's CLASSPATH starts with {entries[0]!r}, not {CONNECTOR}")
    if not layout.connector:
        findings.append(f"{CONNECTOR} does not exist")
    if layout.config_link is not None:
        findings.append(f"{CONFIG_DIR} is a symlink to {layout.config_link}: a new war drop replaces what it holds")
    if not layout.config_dir:
        findings.append(f"{CONFIG_DIR} is not a directory")
    elif not layout.db_properties:
        findings.append(f"{CONFIG_DIR} holds no db.properties")
    if entries is not None and CONFIG_DIR not in entries:
        findings.append(f"{CONFIG_DIR} is not on Tomcat's CLASSPATH")
    if layout.tomcat_home is None:
        findings.append("no user tomcat: its home, where the database upgrade scripts belong, is unknown")
    elif not layout.tomcat_db:
        findings.append(f"no {layout.tomcat_home.rstrip('/')}/db: the database upgrade scripts are missing")
    return findings
