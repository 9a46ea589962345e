"""A lab database server: a real MariaDB inside a lab machine, and master-master replication of two.

Inside the machine /etc/mysql is a Debian layout of the lab's own (the real one is hidden), and
/var/lib/mysql is an empty directory of the machine's own upper layer, so the datadir lives under
the lab's state dir. The server initialises that datadir on first boot, then runs as `mysql` with
no arguments, reading /etc/mysql/my.cnf like a packaged server does.

Setup connects as root over the server's unix socket, reached from the root namespace through
/proc/PID/root (the socket's path in the machine's upper layer does not work: a socket bound on
an overlay is only found through the overlay).
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import pymysql
import pymysql.cursors

from lab.machine import Service, is_listening

SOCKET = "/run/mysqld/mysqld.sock"
REPLICATION_USER = "repl"


@dataclass
class DatabaseFacts:
    name: str
    address: str
    server_id: int
    auto_increment_increment: int = 2
    auto_increment_offset: int = 1
    log_bin: bool = True
    binlog_format: str = "ROW"
    bind_address: str | None = None         # None: no bind-address line, the server listens on all
    cnf_overrides: dict[str, str | None] = field(default_factory=dict)  # None removes; "" is a bare flag
    replicate: bool = True                  # False: replica threads stopped after setup
    version_rows: list[tuple[str, str]] = field(default_factory=list)  # (version, step) in id order
    runtime: dict[str, str] = field(default_factory=dict)   # SET GLOBAL after start: in effect, not in the files


class DatabaseSetupError(Exception):
    pass


# --- files ------------------------------------------------------------------------------------

MARIADB_CNF = """\
# The MariaDB configuration file
#
# The MariaDB/MySQL tools read configuration files in the following order:
# 0. "/etc/mysql/my.cnf" symlinks to this file, reason why all the rest is read.
# 1. "/etc/mysql/mariadb.cnf" (this file) to set global defaults,
# 2. "/etc/mysql/conf.d/*.cnf" to set global options.
# 3. "/etc/mysql/mariadb.conf.d/*.cnf" to set MariaDB-only options.
# 4. "~/.my.cnf" to set user-specific options.
#
# If the same option is defined multiple times, the last one will apply.

#
# This group is read both by the client and the server
# use it for options that affect everything
#
[client-server]
# Port or socket location where to connect
# port = 3306
socket = /run/mysqld/mysqld.sock

# Import all .cnf files from configuration directory
!includedir /etc/mysql/conf.d/
!includedir /etc/mysql/mariadb.conf.d/
"""

CLIENT_CNF = """\
#
# This group is read by the client library
# Use it for options that affect all clients, but not the server
#

[client]

# This group is *never* read by mysql client library, though this
# /etc/mysql/mariadb.cnf.d/client.cnf file is not read by Oracle MySQL
# client anyway.
# If you use the same .cnf file for MySQL and MariaDB,
# use it for MariaDB-only client options
[client-mariadb]
"""

SERVER_CNF = """\
#
# These groups are read by MariaDB server.
# Use it for options that only the server (but not clients) should see

# this is read by the standalone daemon and embedded servers
[server]

# this is only for the mysqld standalone daemon
[mysqld]

#
# * Basic Settings
#

#user                    = mysql
pid-file                = /run/mysqld/mysqld.pid
basedir                 = /usr
#datadir                 = /var/lib/mysql
#tmpdir                  = /tmp
{bind}
#
# * Logging and Replication
#

# Enable this if you want to have error logging into a separate file
log_error = /var/log/mysql/error.log
expire_logs_days        = 10
#max_binlog_size        = 100M

#
# * Character sets
#

# MySQL/MariaDB default is Latin1, but in Debian we rather default to the full
# utf8 4-byte character set. See also client.cnf
character-set-server  = utf8mb4
collation-server      = utf8mb4_general_ci

# this is only for embedded server
[embedded]

# This group is only read by MariaDB servers, not by MySQL.
[mariadb]

# This group is only read by MariaDB-10.11 servers.
[mariadb-10.11]
"""


def cloudstack_block(facts: DatabaseFacts) -> list[tuple[str, str]]:
    """(option, value) lines of the CloudStack block, as the install guide spells them; "" is a flag."""
    lines = [("server-id", str(facts.server_id)),
             ("auto_increment_increment", str(facts.auto_increment_increment)),
             ("auto_increment_offset", str(facts.auto_increment_offset)),
             ("innodb_rollback_on_timeout", "1"),
             ("innodb_lock_wait_timeout", "600"),
             ("max_connections", "350")]
    if facts.log_bin:
        lines.append(("log-bin", "mysql-bin"))
    lines += [("binlog-format", f"'{facts.binlog_format}'"),
              ("default-time-zone", "'+00:00'"),
              ("skip-name-resolve", "")]
    for option, value in facts.cnf_overrides.items():
        same = [i for i, (o, _) in enumerate(lines) if _option_key(o) == _option_key(option)]
        if value is None:
            lines = [line for i, line in enumerate(lines) if i not in same]
        elif same:
            lines[same[0]] = (lines[same[0]][0], value)
        else:
            lines.append((option, value))
    return lines


def _option_key(option: str) -> str:
    return option.strip().replace("-", "_").lower()


def cloudstack_cnf(facts: DatabaseFacts) -> str:
    body = []
    for option, value in cloudstack_block(facts):
        spaced = option.startswith("binlog-format")  # the docs' own spelling: binlog-format = 'ROW'
        body.append(option if value == "" else f"{option} = {value}" if spaced else f"{option}={value}")
    return "[mysqld]\n" + "\n".join(body) + "\n"


def database_machine_files(facts: DatabaseFacts) -> tuple[dict[str, str | None], tuple[str, ...]]:
    """(files, opaque dirs) for the machine's views: the lab's /etc/mysql and an empty datadir."""
    bind = (f"\n# Instead of skip-networking the default is now to listen only on\n"
            f"# localhost which is more compatible and is not less secure.\n"
            f"bind-address            = {facts.bind_address}\n") if facts.bind_address else ""
    files: dict[str, str | None] = {
        # Debian's my.cnf is an alternatives symlink to mariadb.cnf; a copy reads the same.
        "/etc/mysql/my.cnf": MARIADB_CNF,
        "/etc/mysql/mariadb.cnf": MARIADB_CNF,
        "/etc/mysql/conf.d/mysql.cnf": "[mysql]\n",
        "/etc/mysql/conf.d/mysqldump.cnf": "[mysqldump]\nquick\nquote-names\nmax_allowed_packet\t= 16M\n",
        "/etc/mysql/conf.d/cloudstack.cnf": cloudstack_cnf(facts),
        "/etc/mysql/mariadb.conf.d/50-client.cnf": CLIENT_CNF,
        "/etc/mysql/mariadb.conf.d/50-server.cnf": SERVER_CNF.format(bind=bind),
    }
    return files, ("/etc/mysql", "/var/lib/mysql")


def database_views() -> tuple[str, ...]:
    # /var/lib, not /var/lib/mysql: overlayfs ignores an opaque mark on a layer's root directory,
    # so the real datadir is hidden only as an opaque subdirectory of a wider view.
    return ("/etc", "/root", "/run", "/var/lib", "/var/log")


START_SERVER = """\
set -e
install -d -o mysql -g mysql -m 0755 /run/mysqld
install -d -o mysql -g adm -m 2750 /var/log/mysql
if [ ! -d /var/lib/mysql/mysql ]; then
  mariadb-install-db --user=mysql --datadir=/var/lib/mysql --skip-test-db >>/var/log/mysql/install.log 2>&1
fi
exec setpriv --reuid=mysql --regid=mysql --init-groups /usr/sbin/mariadbd
"""


def database_services(facts: DatabaseFacts) -> list[Service]:
    # The shell execs into a bare /usr/sbin/mariadbd as `mysql`, the command line systemd would show.
    return [Service("mariadb", ["/bin/sh", "-c", START_SERVER])]


def admin_socket(machine_pid: int) -> str:
    return f"/proc/{machine_pid}/root{SOCKET}"


def database_ready(machine_pid: int) -> bool:
    return is_listening(machine_pid, 3306) and Path(admin_socket(machine_pid)).exists()


# --- setup ------------------------------------------------------------------------------------

VERSION_TABLE = """\
CREATE TABLE IF NOT EXISTS `cloud`.`version` (
  `id` bigint unsigned NOT NULL UNIQUE AUTO_INCREMENT COMMENT 'id',
  `version` char(40) NOT NULL UNIQUE COMMENT 'version',
  `updated` datetime NOT NULL COMMENT 'Date this version table was updated',
  `step` char(32) NOT NULL COMMENT 'Step in the upgrade to this version',
  PRIMARY KEY (`id`),
  INDEX `i_version__version`(`version`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8"""


def admin_connection(machine_pid: int, database: str | None = None) -> pymysql.connections.Connection:
    """root over the unix socket (Debian's root@localhost authenticates by the peer's uid)."""
    return pymysql.connect(unix_socket=admin_socket(machine_pid), user="root", database=database,
                           autocommit=True, connect_timeout=5)


def _prepare_server(conn, facts: DatabaseFacts, audit_user: str, audit_password: str,
                    replication_password: str) -> None:
    """Schema and users on one server, kept out of its binlog: both servers get the same, and
    nothing of it is replayed on the peer (a replayed CREATE USER stops the peer's SQL thread)."""
    with conn.cursor() as cur:
        cur.execute("SET SESSION sql_log_bin = 0")
        cur.execute("STOP SLAVE")
        cur.execute("RESET SLAVE ALL")
        cur.execute("CREATE DATABASE IF NOT EXISTS `cloud`")
        cur.execute("CREATE DATABASE IF NOT EXISTS `cloud_usage`")
        cur.execute(VERSION_TABLE)
        cur.execute("DELETE FROM `cloud`.`version`")
        # Explicit ids: each server's auto_increment offset would otherwise number them differently.
        for row_id, (version, step) in enumerate(facts.version_rows, start=1):
            cur.execute("INSERT INTO `cloud`.`version` (`id`, `version`, `updated`, `step`) "
                        "VALUES (%s, %s, UTC_TIMESTAMP(), %s)", (row_id, version, step))
        cur.execute("CREATE OR REPLACE USER %s@'%%' IDENTIFIED BY %s",
                    (REPLICATION_USER, replication_password))
        cur.execute("GRANT REPLICATION SLAVE ON *.* TO %s@'%%'", (REPLICATION_USER,))
        cur.execute("CREATE OR REPLACE USER %s@'%%' IDENTIFIED BY %s", (audit_user, audit_password))
        cur.execute("GRANT SELECT ON `cloud`.* TO %s@'%%'", (audit_user,))
        cur.execute("GRANT SELECT ON `cloud_usage`.* TO %s@'%%'", (audit_user,))
        # 10.11: SHOW SLAVE STATUS needs SLAVE MONITOR; REPLICATION CLIENT (BINLOG MONITOR) covers
        # SHOW MASTER/BINARY LOGS status. Neither can write.
        cur.execute("GRANT REPLICATION CLIENT, SLAVE MONITOR ON *.* TO %s@'%%'", (audit_user,))


def _scalar(conn, query: str):
    with conn.cursor() as cur:
        cur.execute(query)
        return cur.fetchone()[0]


def slave_status(conn) -> dict | None:
    with conn.cursor(pymysql.cursors.DictCursor) as cur:
        cur.execute("SHOW SLAVE STATUS")
        return cur.fetchone()


def setup_databases(pair: list[DatabaseFacts], audit_user: str, audit_password: str,
                    replication_password: str, machine_pids: list[int], timeout: float = 30.0) -> None:
    """Schema, users and master-master replication on two running servers (machine_pids[i] is a
    process in pair[i]'s machine); waits until replication runs where it should."""
    if len(pair) != 2 or len(machine_pids) != 2:
        raise ValueError("setup_databases needs exactly two servers and their two machine pids")
    for facts, peer in ((pair[0], pair[1]), (pair[1], pair[0])):
        if facts.replicate and not peer.log_bin:
            raise DatabaseSetupError(
                f"{facts.name}: replicate is set but its master {peer.name} has log_bin off")
    conns = [admin_connection(pid) for pid in machine_pids]
    try:
        for facts, conn in zip(pair, conns):
            _prepare_server(conn, facts, audit_user, audit_password, replication_password)
            _set_runtime(conn, facts.runtime)
        # Each replica starts at its master's current binlog position: nothing before it is replayed.
        positions = [_scalar(conn, "SELECT @@GLOBAL.gtid_binlog_pos") for conn in conns]
        for i, (facts, conn) in enumerate(zip(pair, conns)):
            with conn.cursor() as cur:
                cur.execute("SET GLOBAL gtid_slave_pos = %s", (positions[1 - i],))
                cur.execute("CHANGE MASTER TO MASTER_HOST=%s, MASTER_PORT=3306, MASTER_USER=%s, "
                            "MASTER_PASSWORD=%s, MASTER_CONNECT_RETRY=1, MASTER_USE_GTID=slave_pos",
                            (pair[1 - i].address, REPLICATION_USER, replication_password))
                # A replica that should not run is configured but left stopped, as after STOP SLAVE:
                # its master may be unreachable on purpose (bind-address 127.0.0.1, no log_bin).
                if facts.replicate:
                    cur.execute("START SLAVE")
        _wait_replicating([(pair[i], pair[1 - i], conns[i]) for i in range(2) if pair[i].replicate], timeout)
    finally:
        for conn in conns:
            conn.close()


def _set_runtime(conn, variables: dict[str, str]) -> None:
    with conn.cursor() as cur:
        for name, value in variables.items():
            if not name.replace("_", "").isalnum():
                raise DatabaseSetupError(f"runtime variable {name!r} is not a variable name")
            cur.execute(f"SET GLOBAL {name} = %s", (int(value) if value.isdigit() else value,))


def _wait_replicating(replicas: list[tuple[DatabaseFacts, DatabaseFacts, object]], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    waiting = list(replicas)
    while waiting:
        status = {facts.name: slave_status(conn) or {} for facts, _, conn in waiting}
        waiting = [r for r in waiting if not (status[r[0].name].get("Slave_IO_Running") == "Yes"
                                              and status[r[0].name].get("Slave_SQL_Running") == "Yes")]
        if not waiting:
            return
        if time.monotonic() > deadline:
            facts, peer, _ = waiting[0]
            s = status[facts.name]
            error = s.get("Last_IO_Error") or s.get("Last_SQL_Error") or "no error reported"
            raise DatabaseSetupError(
                f"{facts.name}: replication from {peer.name} ({peer.address}) not running "
                f"after {timeout:.0f}s (IO {s.get('Slave_IO_Running')}, "
                f"SQL {s.get('Slave_SQL_Running')}): {error}")
        time.sleep(0.2)
