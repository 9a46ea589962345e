"""A war-dropped management server's layout, as WAR_LAYOUT_COMMAND (collect/declared/files.py) prints it: one line per fact
found, tab-separated where it carries a value.

    config_link\t/usr/share/tomcat/webapps/client/WEB-INF/classes
    config_dir
    db_properties
    connector
    tomcat_home\t/usr/share/tomcat
    tomcat_db

`config_dir` and `db_properties` follow a symlink (test -d, test -f); `config_link` says the path is
one. `tomcat_home` is empty when getent knows no user tomcat.
"""
from __future__ import annotations

from dataclasses import dataclass

from stackaudit.errors import UnparsableOutput

FLAGS = ("config_dir", "db_properties", "connector", "tomcat_db")
VALUES = ("config_link", "tomcat_home")


@dataclass(frozen=True)
class WarLayout:
    config_link: str | None     # where /etc/cloudstack/management points when it is a symlink
    config_dir: bool            # it is (or leads to) a directory
    db_properties: bool         # it holds db.properties
    connector: bool             # /usr/share/java/mysql-connector-java.jar exists
    tomcat_home: str | None     # user tomcat's home directory; None: no such user
    tomcat_db: bool             # <tomcat home>/db is a directory


def parse_war_layout(text: str) -> WarLayout:
    flags, values = set(), {}
    for number, line in enumerate(text.splitlines(), 1):
        name, _, value = line.partition("\t")
        if name in FLAGS and not value:
            flags.add(name)
        elif name in VALUES and name not in values:
            values[name] = value or None
        else:
            raise UnparsableOutput(f"war layout line {number}: unexpected {line[:60]!r}")
    if "tomcat_home" not in values:
        raise UnparsableOutput("war layout: no tomcat_home line (the probe did not finish)")
    return WarLayout(values.get("config_link"), "config_dir" in flags, "db_properties" in flags,
                     "connector" in flags, values["tomcat_home"], "tomcat_db" in flags)
