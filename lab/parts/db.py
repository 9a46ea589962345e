"""A lab database server: a real MariaDB inside a lab machine, and master-master replication of two.

Inside the machine /etc/mysql is Debian 12's own (verbatim copies in mariadb_debian12/) with
CloudStack's block in conf.d/cloudstack.cnf (the machine's real /etc/mysql is hidden), and
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

import pymysql.cursors    # binds pymysql too

from lab import files
from lab.machine import MachineSpec, Service, is_listening
from lab.parts.common import Keys, backup_files, common_files
from lab.parts.units import STANDIN_VIEWS, unit_files
from lab.parts.db_accounts import SCENARIO_KEYS, prepare_accounts
from lab.parts.db_vip import vip_setup
from lab.parts.db_hosts import host_rows, prepare_hosts
from lab.topology import Node, Topology

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
    connection_name: str = ""               # MariaDB multi-source: CHANGE MASTER 'name' TO ...
    source_host: str | None = None          # how CHANGE MASTER names the peer; None: its address
    io_thread: bool = True                  # False: the IO thread stopped after replication ran
    host_names: dict[str, str] = field(default_factory=dict)  # /etc/hosts: name -> address
    accounts: dict = field(default_factory=dict)   # lab/parts/db_accounts.py: more accounts, the audit user's reach
    hosts: list[dict] = field(default_factory=list)   # lab/parts/db_hosts.py: cloud.host and its details


class DatabaseSetupError(Exception):
    pass


# --- files ------------------------------------------------------------------------------------

# /etc/mysql as Debian 12 ships it: verbatim copies of the conffiles of mariadb-server, mariadb-client
# and mariadb-common 1:10.11.19-0+deb12u1 and mysql-common 5.8+1.1.0 (Debian, "mariadb" source
# package, bookworm, 2025, https://packages.debian.org/bookworm/mariadb-server), taken from an
# installed system (`dpkg -S` names the package of each). /etc/mysql/my.cnf is the alternatives
# symlink to mariadb.cnf; debian.cnf and debian-start hold no server option and are left out.
DEBIAN_FILES = Path(__file__).resolve().parent / "mariadb_debian12"
DEBIAN_CNF_FILES = ("mariadb.cnf", "conf.d/mysql.cnf", "conf.d/mysqldump.cnf", "mariadb.conf.d/50-client.cnf",
                    "mariadb.conf.d/50-mysql-clients.cnf", "mariadb.conf.d/50-mysqld_safe.cnf",
                    "mariadb.conf.d/50-server.cnf", "mariadb.conf.d/60-galera.cnf")
DEBIAN_BIND_LINE = "bind-address            = 127.0.0.1\n"
# Debian's commented TLS lines in 50-server.cnf, and where the lab's server keeps its certificate: not
# under /etc/mysql, whose every file the suite reads as option files (CNF_FILES_COMMAND).
DEBIAN_TLS_LINES = ("#ssl-ca = /etc/mysql/cacert.pem\n#ssl-cert = /etc/mysql/server-cert.pem\n"
                    "#ssl-key = /etc/mysql/server-key.pem\n")
TLS_DIR = "/etc/ssl/mariadb"
TLS_FILES = {"ssl-ca": f"{TLS_DIR}/ca.pem", "ssl-cert": f"{TLS_DIR}/server-cert.pem",
             "ssl-key": f"{TLS_DIR}/server-key.pem"}


def debian_file(name: str) -> str:
    return (DEBIAN_FILES / name).read_text()


def cloudstack_block(facts: DatabaseFacts) -> list[tuple[str, str]]:
    """(option, value) lines of /etc/mysql/conf.d/cloudstack.cnf; "" is a bare flag.

    CloudStack Installation Guide, "Install the Database on a Separate Node" (Apache CloudStack,
    cloudstack-documentation, source/installguide/management-server/_database.rst, 2025,
    https://docs.cloudstack.apache.org/en/latest/installguide/management-server/index.html):
    max_connections is 350 per management server (the lab has two), bind-address=0.0.0.0, and
    "On Ubuntu, you can also create /etc/mysql/conf.d/cloudstack.cnf". Then the replication
    settings of a master-master pair ([CSC-WIKI]: "master-master replication between two MariaDB
    instances"): a server_id each, and auto_increment_increment/offset so that the two never hand
    out the same id (MariaDB KB, "Replication and Binary Log System Variables", auto_increment_increment,
    https://mariadb.com/kb/en/replication-and-binary-log-system-variables/). Last, the policy's own
    lines ([BERGSMA-OPS], [SHAPEBLUE-HOWTO]): UTC and no name resolution.
    """
    lines = [("innodb_rollback_on_timeout", "1"),
             ("innodb_lock_wait_timeout", "600"),
             ("max_connections", "700")]
    if facts.log_bin:
        lines.append(("log_bin", "mysql-bin"))
    lines += [("binlog_format", facts.binlog_format),
              ("bind-address", "0.0.0.0"),
              ("server_id", str(facts.server_id)),
              ("auto_increment_increment", str(facts.auto_increment_increment)),
              ("auto_increment_offset", str(facts.auto_increment_offset)),
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
    body = [option if value == "" else f"{option}={value}" for option, value in cloudstack_block(facts)]
    return "[mysqld]\n" + "\n".join(body) + "\n"


def server_cnf(bind_address: str | None, tls: bool = False) -> str:
    """Debian's 50-server.cnf; its `bind-address = 127.0.0.1` commented out, as the CSC wiki does
    ("comment out (or remove) the following line in /etc/mysql/mariadb.conf.d/50-server.cnf"):
    it is read after conf.d/ and would win over cloudstack.cnf's 0.0.0.0. A site that kept it (or
    set another address) has `bind_address`. With `tls`, Debian's commented ssl-ca, ssl-cert and
    ssl-key lines are written out, naming the lab's files (MariaDB Knowledge Base, "Securing
    Connections for Client and Server", https://mariadb.com/kb/en/securing-connections-for-client-and-server/)."""
    text = debian_file("mariadb.conf.d/50-server.cnf")
    for line in (DEBIAN_BIND_LINE, DEBIAN_TLS_LINES):
        if line not in text:
            raise DatabaseSetupError(f"{DEBIAN_FILES}/mariadb.conf.d/50-server.cnf has no {line.strip()!r}")
    replacement = "#" + DEBIAN_BIND_LINE if bind_address is None else \
        DEBIAN_BIND_LINE.replace("127.0.0.1", bind_address)
    text = text.replace(DEBIAN_BIND_LINE, replacement)
    if tls:
        text = text.replace(DEBIAN_TLS_LINES, "".join(f"{option} = {path}\n" for option, path in TLS_FILES.items()))
    return text


def etc_hosts(names: dict[str, str]) -> str:
    """/etc/hosts as Debian's installer writes it, plus the site's names of its database servers."""
    lines = ["127.0.0.1\tlocalhost", "::1\t\tlocalhost ip6-localhost ip6-loopback",
             "ff02::1\t\tip6-allnodes", "ff02::2\t\tip6-allrouters"]
    return "\n".join(lines + [f"{address}\t{name}" for name, address in names.items()]) + "\n"


def database_machine_files(facts: DatabaseFacts, tls: tuple[str, str, str] | None = None
                           ) -> tuple[dict[str, str | None], tuple[str, ...]]:
    """(files, opaque dirs) for the machine's views: Debian's /etc/mysql with CloudStack's block,
    /etc/hosts, and an empty datadir; with `tls` (CA, certificate, key: PEM), the server's TLS files."""
    files: dict[str, str | None] = {f"/etc/mysql/{name}": debian_file(name) for name in DEBIAN_CNF_FILES}
    if tls is not None:
        files.update(zip(TLS_FILES.values(), tls))
    files.update({
        # Debian's my.cnf is an alternatives symlink to mariadb.cnf; a copy reads the same.
        "/etc/mysql/my.cnf": debian_file("mariadb.cnf"),
        "/etc/mysql/mariadb.conf.d/50-server.cnf": server_cnf(facts.bind_address, tls is not None),
        "/etc/mysql/conf.d/cloudstack.cnf": cloudstack_cnf(facts),
        "/etc/hosts": etc_hosts(facts.host_names),
    })
    return files, ("/etc/mysql", "/var/lib/mysql")


def database_views() -> tuple[str, ...]:
    # /var/lib, not /var/lib/mysql: overlayfs ignores an opaque mark on a layer's root directory,
    # so the real datadir is hidden only as an opaque subdirectory of a wider view.
    return ("/etc", "/root", "/run", "/var/lib", "/var/log")


# The key is root's 0600 as written; the server reads it as `mysql`.
START_SERVER = f"""\
set -e
install -d -o mysql -g mysql -m 0755 /run/mysqld
install -d -o mysql -g adm -m 2750 /var/log/mysql
[ ! -f {TLS_FILES["ssl-key"]} ] || chown mysql:mysql {TLS_FILES["ssl-key"]}
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
        cur.execute("STOP ALL SLAVES")
        cur.execute("SHOW ALL SLAVES STATUS")
        for (name, *_) in cur.fetchall():
            cur.execute("RESET SLAVE %s ALL", (name,))
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
        # REQUIRE SSL: the auditor's channel is TLS or nothing (replication between the servers is the
        # cloud's own business and stays as it was).
        cur.execute("CREATE OR REPLACE USER %s@'%%' IDENTIFIED BY %s REQUIRE SSL", (audit_user, audit_password))
        cur.execute("GRANT SELECT ON `cloud`.* TO %s@'%%'", (audit_user,))
        cur.execute("GRANT SELECT ON `cloud_usage`.* TO %s@'%%'", (audit_user,))
        # 10.11: SHOW SLAVE STATUS needs SLAVE MONITOR; REPLICATION CLIENT (BINLOG MONITOR) covers
        # SHOW MASTER/BINARY LOGS status. Neither can write.
        cur.execute("GRANT REPLICATION CLIENT, SLAVE MONITOR ON *.* TO %s@'%%'", (audit_user,))
        prepare_hosts(cur, facts.hosts)
        prepare_accounts(cur, facts.accounts, audit_user)


def _scalar(conn, query: str):
    with conn.cursor() as cur:
        cur.execute(query)
        return cur.fetchone()[0]


def slave_status(conn, connection_name: str = "") -> dict | None:
    with conn.cursor(pymysql.cursors.DictCursor) as cur:
        cur.execute("SHOW SLAVE %s STATUS", (connection_name,))
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
            peer = pair[1 - i]
            with conn.cursor() as cur:
                cur.execute("SET GLOBAL gtid_slave_pos = %s", (positions[1 - i],))
                # The connection name is a string literal in MariaDB's grammar ('' is the default one).
                cur.execute("CHANGE MASTER %s TO MASTER_HOST=%s, MASTER_PORT=3306, MASTER_USER=%s, "
                            "MASTER_PASSWORD=%s, MASTER_CONNECT_RETRY=1, MASTER_USE_GTID=slave_pos",
                            (facts.connection_name, facts.source_host or peer.address, REPLICATION_USER,
                             replication_password))
                # A replica that should not run is configured but left stopped, as after STOP SLAVE:
                # its master may be unreachable on purpose (bind-address 127.0.0.1, no log_bin).
                if facts.replicate:
                    cur.execute("START SLAVE %s", (facts.connection_name,))
        running = [(pair[i], pair[1 - i], conns[i]) for i in range(2) if pair[i].replicate]
        _wait_replicating(running, timeout)
        for facts, _, conn in running:
            if not facts.io_thread:
                with conn.cursor() as cur:
                    cur.execute("STOP SLAVE %s IO_THREAD", (facts.connection_name,))
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
        status = {facts.name: slave_status(conn, facts.connection_name) or {} for facts, _, conn in waiting}
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


# The lab's database machines (kind db): scenario facts -> the server above, plus sshd like every machine.
def database_facts(topo: Topology, node: Node) -> DatabaseFacts:
    f = node.facts
    position = topo.databases.index(node) + 1
    rows = f["version_rows"]
    if rows is None:
        rows = [{"version": "4.0.0", "step": "Complete"}, {"version": topo.scenario["cloudstack_version"],
                                                            "step": "Complete"}]
    return DatabaseFacts(
        name=node.name, address=node.address, server_id=f["server_id"] or position,
        auto_increment_increment=f["auto_increment_increment"],
        auto_increment_offset=f["auto_increment_offset"] or position, log_bin=f["log_bin"],
        binlog_format=f["binlog_format"], bind_address=f["bind_address"], cnf_overrides=f["cnf"],
        replicate=f["replicate"], version_rows=[(r["version"], r["step"]) for r in rows], runtime=f["runtime"],
        connection_name=f["connection_name"], source_host=f["source_host"], io_thread=f["io_thread"],
        accounts={key: f[key] for key in SCENARIO_KEYS},
        hosts=host_rows(topo),
        host_names={**{name: db.address for db in topo.databases
                       for name in (db.name, *db.facts["aliases"], *db.facts["unlisted_names"])},
                    **f["other_hosts"]})


def db_spec(topo: Topology, node: Node, keys: Keys) -> MachineSpec:
    facts = database_facts(topo, node)
    content, modes = common_files(node, keys)
    db_files, opaque = database_machine_files(facts, keys.db_tls.get(node.name))
    modes = {**modes, TLS_FILES["ssl-key"]: 0o600}
    backups, mtimes = backup_files(("cloud", "cloud_usage"), ".sql.gz", node.facts["backup_age_hours"])
    units, unit_modes = unit_files(("mariadb", "keepalived"), node.facts)
    content.update({"/etc/os-release": files.os_release_debian("12"), **db_files, **backups, **units})
    modes.update(unit_modes)
    return MachineSpec(
        name=node.name, kind=node.kind, netns=node.netns, ssh_address=node.address, address6=node.address6,
        views=(*database_views(), *STANDIN_VIEWS, "/var/backups"), files=content, modes=modes, opaque_dirs=opaque,
        mtimes=mtimes, services=database_services(facts),
        network_setup=[f"addr add {node.address}/15 dev eth0", f"addr add {node.address6}/64 dev eth0 nodad",
                       *vip_setup(topo, node), "link set eth0 up"])


def setup_lab_databases(topo: Topology, machine_pids: dict[str, int], secrets, timeout: float = 60.0) -> None:
    """Waits for both servers to accept connections, then sets up schema, users and replication."""
    pids = [machine_pids[n.name] for n in topo.databases]
    deadline = time.monotonic() + timeout
    while not all(database_ready(pid) for pid in pids):
        if time.monotonic() > deadline:
            waiting = [n.name for n, pid in zip(topo.databases, pids) if not database_ready(pid)]
            raise DatabaseStartError(f"database servers not accepting connections after {timeout:.0f}s: "
                                     f"{', '.join(waiting)} (see machines/NAME/console.log)")
        time.sleep(0.1)
    setup_databases([database_facts(topo, n) for n in topo.databases], secrets.db_audit_user,
                    secrets.db_audit_password, secrets.db_replication_password, pids)
    for node, pid in zip(topo.databases, pids):
        if node.facts["cnf_after_start"]:
            files.write_after_start(pid, EDITED_CNF, "[mysqld]\n" + "".join(
                f"{key}\n" if value == "" else f"{key} = {value}\n" for key, value in node.facts["cnf_after_start"].items()))


EDITED_CNF = "/etc/mysql/conf.d/zz-edited.cnf"


class DatabaseStartError(Exception):
    pass
