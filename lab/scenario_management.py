"""The scenario format's management servers, over the compliant defaults: each key says how a server
deviates, and the comment beside it which check it breaks (lab/parts/mgmt.py lays them out)."""
from __future__ import annotations

from lab.scenario_common import BACKUP_AGE, CLOCK, FILES, FIREWALL, KEY_OVERRIDES
from stackaudit.config.schema import REQUIRED, Bool, Enum, ListOf, MapOf, Optional, Record, Str, f

PROGRAM_MODE = Enum("0755", "0711", "0750", "0644", "dir")

MANAGEMENT_SERVER = Record({
    "name": f(Str(), REQUIRED),
    "version": f(Optional(Str())),
    "state": f(Enum("Up", "Down", "PreparingForMaintenance", "Maintenance"), "Up"),
    "process_user": f(Str(), "cloud"),
    "java_args": f(ListOf(Str()), list),      # more JVM arguments before the main class (e.g. -D...Password=)
    # MS-JVM-HEAP: the heap options in JAVA_OPTS (the packaged file's is -Xmx2G); whether the service
    # leaves its PID where the stand-in systemctl finds its MainPID (false: MainPID=0, not running)
    "heap_args": f(ListOf(Str()), lambda: ["-Xmx4096m"]),
    "main_pid_recorded": f(Bool(), True),
    # MS-HTTP-LOCAL-ONLY: keys set in the packaged server.properties (null: no file; by default Jetty
    # on loopback's 8081, behind the reverse proxy the API simulator plays on the address's 8080),
    # and the "ADDRESS PORT" sockets stand-in listeners hold in the server's namespace
    "server_properties": f(Optional(MapOf(Str())), lambda: {"bind.interface": "127.0.0.1", "http.port": "8081"}),
    "listening": f(ListOf(Str()), list),
    # MS-WAR-LAYOUT: deployed as a war in Tomcat (written to the inventory), with Tomcat's CLASSPATH,
    # /etc/cloudstack/management as a symlink into the webapp or not, and ~tomcat/db present or not
    # (war by default, so that the compliant lab has an MS-WAR-LAYOUT result on every server)
    "deployment": f(Enum("package", "war"), "war"),
    "war": f(Record({"classpath": f(Str(), "/usr/share/java/mysql-connector-java.jar:/etc/cloudstack/management/"),
                     "config_link": f(Bool(), False), "tomcat_db": f(Bool(), True)}), dict),
    # MS-LOG4J-SYSLOG: log4j-cloud.xml; dialect null: the one the server's version reads (log4j2
    # from 4.20); the packaged SYSLOG appender by default; `text` replaces the whole file
    "log4j": f(Record({"dialect": f(Optional(Enum("log4j1", "log4j2"))), "host": f(Str(), "localhost"),
                       "facility": f(Str(), "LOCAL6"), "level": f(Str(), "WARN"),
                       "root_syslog": f(Bool(), True), "text": f(Optional(Str()))}), dict),
    "db_properties": f(KEY_OVERRIDES, dict),
    # `key=value` lines an operator appended to db.properties by hand, written as given (a trailing
    # blank kept); Properties keeps the last of a key given twice
    "db_properties_appended": f(MapOf(Str()), dict),
    "firewall": f(FIREWALL, dict),
    "files": f(FILES, dict),
    "backup_age_hours": BACKUP_AGE,
    "clock": f(CLOCK, dict),
    # MS-SELINUX-MODE: the line a stand-in /usr/bin/getenforce prints (null: none installed); the
    # persisted mode is /etc/selinux/config, given under `files`
    "getenforce": f(Optional(Str())),
    # MS-MKISOFS: the octal modes of stand-in /usr/bin/genisoimage and /usr/bin/mkisofs (null: absent;
    # "dir": a directory in its place)
    "genisoimage": f(Optional(PROGRAM_MODE), "0755"),
    "mkisofs": f(Optional(PROGRAM_MODE)),
    # MS-VHDUTIL: the mode of a stand-in vhd-util in CloudStack's XenServer scripts directory (the
    # install guide's 0755), as for the ISO programs
    "vhd_util": f(Optional(PROGRAM_MODE), "0755"),
    # MS-BUILD-IDENTICAL: the cloudstack-management package's version (null: the server's `version`;
    # "": not installed) and files of /usr/share/cloudstack-management/lib, name -> content, over the
    # build lab/parts/mgmt.py writes for that version (null removes one)
    "package_version": f(Optional(Str())),
    "lib_files": f(MapOf(Optional(Str())), dict),
    # MS-CONFIG-ACTIVE: files of /etc/cloudstack/management modified after the server started (the lab
    # dates them ten minutes after it writes them: the server starts within seconds of that)
    "modified_after_start": f(ListOf(Str()), list),
})
