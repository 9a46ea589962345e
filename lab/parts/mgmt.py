"""The lab's management servers (kind mgmt): db.properties, the java process and its user, the firewall."""
from __future__ import annotations

import shlex
from pathlib import Path

from lab import files
from lab.machine import MachineSpec, Service
from lab.parts.common import STANDIN, Keys, backup_files, common_files, firewall_parts
from lab.parts.units import unit_files
from lab.topology import DB_VIP, Node, Topology
from stackaudit.parsers.cloudstack import parse_cloudstack_version
from stackaudit.parsers.iso_tools import VHD_UTIL

CLOUD_UID = 1500
# A process that only holds a listening TCP socket (argv: ADDRESS PORT), as a proxy's upstream or a
# stray server would; it accepts nothing.
LISTENER = ("import socket, sys, time\n"
            "s = socket.socket(socket.AF_INET6 if ':' in sys.argv[1] else socket.AF_INET)\n"
            "s.bind((sys.argv[1], int(sys.argv[2])))\ns.listen()\ntime.sleep(10 ** 8)\n")

TOMCAT_UID = 91     # the tomcat user of EL's tomcat package
TOMCAT_HOME = "/usr/share/tomcat"
CONFIG_DIR = "/etc/cloudstack/management"
WEBAPP_CLASSES = f"{TOMCAT_HOME}/webapps/client/WEB-INF/classes"


def war_files(war: dict, content: dict, modes: dict, links: dict) -> None:
    """A war drop into Tomcat as [BERGSMA-OPS] lays it out: /etc/sysconfig/tomcat's CLASSPATH, the
    MySQL connector, user tomcat with the schema scripts under its home; with `config_link`, the
    configuration inside the webapp and /etc/cloudstack/management a symlink to it."""
    content["/etc/sysconfig/tomcat"] = f'CLASSPATH="{war["classpath"]}"\n'
    content["/usr/share/java/mysql-connector-java.jar"] = "lab stand-in for the MySQL connector jar\n"
    content["/etc/passwd"] = files.passwd_with_user(content["/etc/passwd"], "tomcat", TOMCAT_UID, TOMCAT_HOME)
    if war["tomcat_db"]:
        content[f"{TOMCAT_HOME}/db/create-schema.sql"] = "-- lab stand-in for the schema scripts\n"
    if war["config_link"]:
        for path in [p for p in content if p.startswith(CONFIG_DIR + "/")]:
            moved = WEBAPP_CLASSES + path[len(CONFIG_DIR):]
            content[moved] = content.pop(path)
            if path in modes:
                modes[moved] = modes.pop(path)
        links[CONFIG_DIR] = WEBAPP_CLASSES


def mgmt_spec(topo: Topology, node: Node, keys: Keys, base_etc: Path = Path("/etc")) -> MachineSpec:
    facts = node.facts
    content, modes = common_files(node, keys)
    fw_files, links, v4, v6 = firewall_parts(node, rhel=False)
    # A pair is reached through its VIP ([CSC-WIKI]); one server (none in the lab) by its address.
    db_host = DB_VIP if len(topo.databases) == 2 else topo.databases[0].address if topo.databases else "localhost"
    # db.properties as cloudstack-setup-databases fills the packaged file of a 4.19 install
    # (lab/files.py DB_PROPERTIES_IN): jasypt ENC(...) values with encryption type file; db.cloud.uri
    # and db.usage.uri stay empty (unset). The ciphertexts are the lab's own, not from any install.
    db = {"cluster.node.IP": node.address,
          "db.cloud.username": "cloud", "db.cloud.password": "ENC(5z2R3y1Lb8kq0m9VtQeW4w==)",
          "db.cloud.host": db_host, "db.cloud.driver": "jdbc:mysql", "db.cloud.port": "3306",
          "db.cloud.encryption.type": "file", "db.cloud.encrypt.secret": "ENC(Qm9oHq7d0V3uZs1kXa2PbA==)",
          "db.usage.username": "cloud", "db.usage.password": "ENC(5z2R3y1Lb8kq0m9VtQeW4w==)",
          "db.usage.host": db_host, "db.usage.driver": "jdbc:mysql", "db.usage.port": "3306",
          "region.id": "1", **facts["db_properties"]}
    java = ["/usr/bin/java", "-Djava.security.properties=/etc/cloudstack/management/java.security.ciphers",
            *facts["heap_args"], "-cp", "/usr/share/cloudstack-management/lib/*:/etc/cloudstack/management",
            *facts["java_args"], "org.apache.cloudstack.ServerDaemon"]
    user = facts["process_user"]
    log4j = facts["log4j"]
    dialect = log4j["dialect"] or ("log4j2" if parse_cloudstack_version(topo.version(facts["version"]))
                                   >= parse_cloudstack_version("4.20") else "log4j1")
    units, unit_modes = unit_files("cloudstack-management", {"init": "systemd", "units": {}})
    # the packaged unit's PIDFile= (/var/run is /run); the stand-in systemctl reads MainPID from it
    pid_file = "/run/cloudstack-management.pid" if facts["main_pid_recorded"] else None
    content.update({
        "/etc/os-release": files.os_release_debian("12"),
        "/etc/passwd": files.passwd_with_user((base_etc / "passwd").read_text(), user, CLOUD_UID,
                                              "/var/lib/cloudstack/management"),
        "/etc/group": files.group_with_group((base_etc / "group").read_text(), user, CLOUD_UID),
        "/etc/cloudstack/management/db.properties": files.db_properties(db) + "".join(
            f"\n{key}={value}" for key, value in facts["db_properties_appended"].items()),
        "/etc/hosts": files.debian_etc_hosts(node.name, node.address),
        "/usr/bin/java": STANDIN,
        "/etc/cloudstack/management/log4j-cloud.xml": log4j["text"] if log4j["text"] is not None else files.log4j_cloud_xml(
            dialect, log4j["host"], log4j["facility"], log4j["level"], log4j["root_syslog"]),
        **({} if facts["server_properties"] is None else {
            "/etc/cloudstack/management/server.properties": files.server_properties(facts["server_properties"])}),
        **units, **fw_files, **facts["files"]})
    modes.update({**unit_modes, "/usr/bin/java": 0o755, "/etc/cloudstack/management/db.properties": 0o640})
    if facts["deployment"] == "war":
        war_files(facts["war"], content, modes, links)
    if facts["getenforce"] is not None:
        # a stand-in for libselinux's getenforce, which prints one word and exits 0
        content["/usr/bin/getenforce"] = f"#!/bin/sh\nprintf '%s\\n' {shlex.quote(facts['getenforce'])}\n"
        modes["/usr/bin/getenforce"] = 0o755
    for key, path in (("genisoimage", "/usr/bin/genisoimage"), ("mkisofs", "/usr/bin/mkisofs"),
                      ("vhd_util", VHD_UTIL)):
        if facts[key] == "dir":
            content[f"{path}/README"] = "a directory where a program belongs\n"
        elif facts[key] is not None:
            content[path] = STANDIN
            modes[path] = int(facts[key], 8)
    backups, mtimes = backup_files(("etc-cloudstack", "var-lib-cloudstack"), ".tar.gz", facts["backup_age_hours"])
    content.update(backups)
    return MachineSpec(
        name=node.name, kind=node.kind, netns=node.netns, ssh_address=node.address, address6=node.address6,
        views=("/etc", "/root", "/run", "/usr/bin", "/usr/share", "/var/backups"), files=content, modes=modes, symlinks=links,
        mtimes=mtimes,
        services=[Service("cloudstack-management", java, user=user, pid_file=pid_file),
                  *(Service(f"listener-{n}", ["python3", "-c", LISTENER, *socket.split()])
                    for n, socket in enumerate(facts["listening"]))], iptables_v4=v4, iptables_v6=v6,
        network_setup=[f"addr add {node.address}/15 dev eth0",
                       f"addr add {node.address6}/64 dev eth0 nodad", "link set eth0 up"])
