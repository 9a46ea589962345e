"""Two real MariaDB servers in lab machines, in master-master replication."""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pymysql
import pytest

from lab import files
from lab.certificates import lab_ca, server_certificate
from lab.machine import MachineSpec, machine_dir, start_machine, write_machine_files
from lab.parts.db import (TLS_FILES, DatabaseFacts, admin_connection, database_machine_files, database_ready,
                          database_services, database_views, setup_databases)
from stackaudit.collect.declared.admin_users import INSTALL_ADMIN, ROOT_ADMINS
from stackaudit.collect.transports import mysql
from stackaudit.errors import HostKeyRejected
from stackaudit.parsers.cloudstack_passwords import parse_admin_users, parse_stored_password
from stackaudit.parsers.mysql_accounts import parse_accounts
from stackaudit.rules.admin_password import matches
from stackaudit.rules.db_accounts import native_hash

pytestmark = pytest.mark.lab

BRIDGE = "tdbbr0"
BRIDGE_ADDRESS = "198.18.0.1"
AUDIT_USER, AUDIT_PASSWORD, REPLICATION_PASSWORD = "audit", "audit-secret-1", "repl-secret-1"
VERSIONS = [("4.0.0", "Complete"), ("4.18.0.0", "Complete"), ("4.19.1.0", "Complete")]
READY_TIMEOUT = 30.0


def ip_batch(lines: list[str], force: bool = False) -> None:
    command = ["ip"] + (["-force"] if force else []) + ["-batch", "-"]
    result = subprocess.run(command, input="\n".join(lines) + "\n", text=True, capture_output=True)
    if result.returncode and not force:
        raise RuntimeError(f"ip -batch failed: {result.stderr.strip()}")


def holder_of(address: str) -> str | None:
    out = subprocess.run(["ip", "-o", "-4", "addr", "show"], text=True, capture_output=True,
                         check=True).stdout
    return next((line.split()[1] for line in out.splitlines() if f" {address}/" in line), None)


@pytest.fixture(scope="module")
def bridge(labs):
    labs.release()      # this test makes the lab's bridge itself: no shared lab may hold it
    if os.geteuid() != 0:
        pytest.fail("the database part test needs root (namespaces, overlay mounts)")
    holder = holder_of(BRIDGE_ADDRESS)
    if holder is not None:
        pytest.fail(f"{BRIDGE_ADDRESS} is already on {holder}: a lab is up; "
                    "take it down (make lab-down) first")
    ip_batch([f"link add {BRIDGE} type bridge", f"addr add {BRIDGE_ADDRESS}/15 dev {BRIDGE}",
              f"link set {BRIDGE} up"])
    yield BRIDGE
    ip_batch([f"link del {BRIDGE}"], force=True)


class Lab:
    """Machines started by one test, torn down by the pids it started."""

    def __init__(self, state_dir: Path):
        self.state_dir = state_dir
        self.started: list[subprocess.Popen] = []
        self.links: list[tuple[str, str]] = []   # (netns, veth)
        self.host_key = state_dir / "host_key"
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(self.host_key)],
                       check=True, stdin=subprocess.DEVNULL)
        self.keys = state_dir / "keys"
        self.keys.mkdir()
        self.ca = lab_ca(self.keys)

    def tls(self, facts: DatabaseFacts) -> tuple[str, str, str]:
        """(CA, certificate, key) of the server at facts.address, as the lab makes them (lab/credentials.py)."""
        cert, key = server_certificate(self.keys, f"db-{facts.name}-tls", [facts.address], self.ca)
        return self.ca[0].read_text(), cert.read_text(), key.read_text()

    def audit(self, facts: DatabaseFacts) -> pymysql.connections.Connection:
        """The auditor's view: TCP from the root namespace, as the read-only user, over TLS verified
        against the lab CA and the server's address."""
        return pymysql.connect(host=facts.address, user=AUDIT_USER, password=AUDIT_PASSWORD, connect_timeout=5,
                               ssl_ca=str(self.ca[0]), ssl_verify_identity=True)

    def start(self, facts: DatabaseFacts, index: int) -> subprocess.Popen:
        netns, veth = f"tdb-{facts.name}", f"tdbv{index}"
        if Path(f"/run/netns/{netns}").exists():
            pytest.fail(f"netns {netns} is left from an earlier run: ip netns del {netns}")
        self.links.append((netns, veth))
        ip_batch([f"netns add {netns}", f"link add {veth} type veth peer name eth0 netns {netns}",
                  f"link set {veth} master {BRIDGE} up"])
        db_files, opaque = database_machine_files(facts, self.tls(facts))
        spec = MachineSpec(
            name=facts.name, kind="db", netns=netns, ssh_address=facts.address, views=database_views(),
            files={**db_files, "/etc/ssh/sshd_config": files.sshd_config(facts.address, 22),
                   "/etc/ssh/ssh_host_ed25519_key": self.host_key.read_text(),
                   "/root/.ssh/authorized_keys": self.host_key.with_suffix(".pub").read_text()},
            modes={"/etc/ssh/ssh_host_ed25519_key": 0o600, "/root/.ssh/authorized_keys": 0o600,
                   TLS_FILES["ssl-key"]: 0o600},
            opaque_dirs=opaque, services=database_services(facts),
            network_setup=[f"addr add {facts.address}/15 dev eth0", "link set eth0 up"])
        write_machine_files(self.state_dir, spec)
        proc = start_machine(self.state_dir, spec)
        self.started.append(proc)
        return proc

    def teardown(self) -> None:
        for proc in self.started:
            # The machine's PID 1 is unshare's child; when it dies its whole PID namespace goes.
            for pid in [*children(proc.pid), proc.pid]:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            proc.wait(timeout=10)
        # A veth goes with its netns only when the kernel gets round to it: delete it now.
        ip_batch([line for ns, veth in self.links for line in (f"link del {veth}", f"netns del {ns}")],
                 force=True)
        for datadir in (self.state_dir / "machines").glob("*/upper/var/lib/mysql"):
            shutil.rmtree(datadir, ignore_errors=True)   # ~120 MB each; the error logs stay


def children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def machine_pid(proc: subprocess.Popen, name: str) -> int:
    deadline = time.monotonic() + 5
    while not children(proc.pid):
        if proc.poll() is not None or time.monotonic() > deadline:
            pytest.fail(f"{name}: machine did not start (unshare exit {proc.poll()})")
        time.sleep(0.02)
    return children(proc.pid)[0]


def bring_up(lab: Lab, pair: list[DatabaseFacts]) -> list[int]:
    t0 = time.monotonic()
    procs = [lab.start(facts, i) for i, facts in enumerate(pair)]
    pids = [machine_pid(p, f.name) for p, f in zip(procs, pair)]
    pending = dict(zip((f.name for f in pair), pids))
    while pending:
        for name, pid in list(pending.items()):
            if database_ready(pid):
                print(f"{name}: ready {time.monotonic() - t0:.2f}s after start_machine")
                del pending[name]
        if time.monotonic() - t0 > READY_TIMEOUT:
            # Debian's 50-server.cnf leaves log_error unset: the server logs to stderr, the console.
            logs = {n: machine_dir(lab.state_dir, n) / "console.log" for n in pending}
            tails = {n: p.read_text(errors="replace")[-400:] if p.exists() else "no console.log"
                     for n, p in logs.items()}
            pytest.fail(f"not ready after {READY_TIMEOUT}s: {tails}")
        time.sleep(0.1)
    t1 = time.monotonic()
    setup_databases(pair, AUDIT_USER, AUDIT_PASSWORD, REPLICATION_PASSWORD, pids)
    print(f"setup_databases: {time.monotonic() - t1:.2f}s")
    return pids


@pytest.fixture
def lab(bridge, tmp_path):
    lab = Lab(tmp_path)
    try:
        yield lab
    finally:
        lab.teardown()


def pair_facts(**db1) -> list[DatabaseFacts]:
    return [DatabaseFacts("db1", "198.18.200.1", 1, auto_increment_offset=1, version_rows=VERSIONS, **db1),
            DatabaseFacts("db2", "198.18.200.2", 2, auto_increment_offset=2, version_rows=VERSIONS)]


def query(conn, sql: str) -> list[tuple]:
    with conn.cursor() as cur:
        cur.execute(sql)
        return list(cur.fetchall())


def variables(conn) -> dict[str, str]:
    return dict(query(conn, "SHOW GLOBAL VARIABLES"))


def slave(conn) -> dict:
    with conn.cursor(pymysql.cursors.DictCursor) as cur:
        cur.execute("SHOW SLAVE STATUS")
        return cur.fetchone()


def wait_for_row(conn, sql: str, timeout: float = 10.0) -> list[tuple]:
    deadline = time.monotonic() + timeout
    while True:
        rows = query(conn, sql)
        if rows or time.monotonic() > deadline:
            return rows
        time.sleep(0.1)


def test_master_master_pair_replicates_both_ways_with_cloudstack_settings(lab):
    pair = pair_facts()
    pids = bring_up(lab, pair)

    for facts in pair:
        with lab.audit(facts) as conn:
            v = variables(conn)
            assert (v["binlog_format"], v["log_bin"], v["innodb_lock_wait_timeout"], v["max_connections"],
                    v["innodb_rollback_on_timeout"], v["skip_name_resolve"], v["time_zone"]) == \
                   ("ROW", "ON", "600", "700", "ON", "ON", "+00:00")
            assert (v["server_id"], v["auto_increment_increment"], v["auto_increment_offset"]) == \
                   (str(facts.server_id), "2", str(facts.auto_increment_offset))
            assert v["bind_address"] == "0.0.0.0"   # CloudStack's guide; Debian's 127.0.0.1 commented out
            rows = query(conn, "SELECT version, step FROM cloud.version ORDER BY id")
            assert rows == [tuple(r) for r in VERSIONS]
            status = slave(conn)
            assert (status["Slave_IO_Running"], status["Slave_SQL_Running"]) == ("Yes", "Yes")
            assert status["Master_Host"] == next(p.address for p in pair if p is not facts)
            with pytest.raises(pymysql.err.OperationalError) as denied:
                query(conn, "INSERT INTO cloud.version (version, updated, step) VALUES ('9.9', NOW(), 'x')")
            assert denied.value.args[0] == 1142   # INSERT command denied

    assert_the_audit_user_is_tls_only(lab, pair[0])

    db1, db2 = (admin_connection(pid) for pid in pids)
    with db1, db2:
        query(db1, "CREATE DATABASE scratch")
        query(db1, "CREATE TABLE scratch.t (id int AUTO_INCREMENT PRIMARY KEY, origin char(8)) ENGINE=InnoDB")
        query(db1, "INSERT INTO scratch.t (origin) VALUES ('db1')")
        assert wait_for_row(db2, "SELECT id FROM scratch.t WHERE origin = 'db1'") == [(1,)]
        query(db2, "INSERT INTO scratch.t (origin) VALUES ('db2')")
        assert wait_for_row(db1, "SELECT id FROM scratch.t WHERE origin = 'db2'") == [(2,)]

    # The data lives in the machines' upper layers; the real server files are untouched.
    state = lab.state_dir / "machines"
    assert (state / "db1/upper/var/lib/mysql/mysql-bin.000001").exists()
    assert "binlog_format=ROW" in (state / "db1/overlay/etc/mysql/conf.d/cloudstack.cnf").read_text()
    assert "\n#bind-address            = 127.0.0.1\n" in \
        (state / "db1/overlay/etc/mysql/mariadb.conf.d/50-server.cnf").read_text()
    assert not Path("/etc/mysql/conf.d/cloudstack.cnf").exists()
    assert not Path("/var/lib/mysql/mysql-bin.000001").exists()


def assert_the_audit_user_is_tls_only(lab: Lab, facts: DatabaseFacts) -> None:
    """Over TLS (the server's certificate verified by the lab CA and its address) the audit user logs in,
    as StackAudit's transport does; without TLS, or trusting another CA, it does not."""
    with lab.audit(facts) as conn:
        (cipher,) = [value for name, value in query(conn, "SHOW SESSION STATUS LIKE 'Ssl_cipher'")]
        assert cipher
    conn = mysql.connect(facts.address, 3306, AUDIT_USER, AUDIT_PASSWORD, 5, lab.ca[0])
    try:
        assert conn._secure and query(conn, "SELECT CURRENT_USER()") == [{"CURRENT_USER()": f"{AUDIT_USER}@%"}]
    finally:
        conn.close()
    with pytest.raises(pymysql.err.OperationalError) as refused:
        pymysql.connect(host=facts.address, user=AUDIT_USER, password=AUDIT_PASSWORD, connect_timeout=5,
                        ssl_disabled=True)
    assert refused.value.args[0] == 1045     # REQUIRE SSL: access denied without it
    (lab.state_dir / "other-ca").mkdir()
    other_ca, _ = lab_ca(lab.state_dir / "other-ca")
    with pytest.raises(HostKeyRejected, match=f"MariaDB {facts.address}:3306: TLS certificate not trusted: "):
        mysql.connect(facts.address, 3306, AUDIT_USER, AUDIT_PASSWORD, 5, other_ca)


def test_statement_format_and_stopped_replica_show_at_run_time(lab):
    pair = pair_facts(binlog_format="STATEMENT", bind_address="127.0.0.1")
    pair[1].replicate = False
    pids = bring_up(lab, pair)

    with admin_connection(pids[0]) as db1:
        v = variables(db1)
        assert (v["binlog_format"], v["bind_address"]) == ("STATEMENT", "127.0.0.1")
        status = slave(db1)
        assert (status["Slave_IO_Running"], status["Slave_SQL_Running"]) == ("Yes", "Yes")
        # Why CloudStack needs ROW: at its READ COMMITTED, InnoDB refuses statement-based logging.
        query(db1, "CREATE TABLE cloud.probe (id int PRIMARY KEY) ENGINE=InnoDB")
        query(db1, "SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED")
        with pytest.raises(pymysql.err.MySQLError) as refused:
            query(db1, "INSERT INTO cloud.probe VALUES (1)")
        assert "BINLOG_FORMAT = STATEMENT" in str(refused.value)
    with pytest.raises(pymysql.err.OperationalError):
        lab.audit(pair[0])   # db1 listens on 127.0.0.1 only: the bridge cannot reach it
    with lab.audit(pair[1]) as db2:
        assert variables(db2)["binlog_format"] == "ROW"
        status = slave(db2)
        assert (status["Slave_IO_Running"], status["Slave_SQL_Running"]) == ("No", "No")
        assert status["Master_Host"] == pair[0].address


def test_named_connection_to_a_peer_given_by_host_name(lab):
    names = {"db1": "198.18.200.1", "db2.lab.example": "198.18.200.2"}
    pair = pair_facts(connection_name="peer", source_host="db2.lab.example", host_names=names)
    pair[1].host_names = names
    pair[1].connection_name, pair[1].io_thread = "back", False
    pids = bring_up(lab, pair)

    with lab.audit(pair[0]) as db1, lab.audit(pair[1]) as db2:
        with db1.cursor(pymysql.cursors.DictCursor) as cur:
            cur.execute("SHOW ALL SLAVES STATUS")
            (status,) = cur.fetchall()
        assert (status["Connection_name"], status["Master_Host"], status["Slave_IO_Running"],
                status["Slave_SQL_Running"], status["Using_Gtid"]) == ("peer", "db2.lab.example", "Yes", "Yes",
                                                                       "Slave_Pos")
        with db2.cursor(pymysql.cursors.DictCursor) as cur:
            cur.execute("SHOW ALL SLAVES STATUS")
            (status,) = cur.fetchall()
        assert (status["Connection_name"], status["Slave_IO_Running"], status["Slave_SQL_Running"]) == \
            ("back", "No", "Yes")
    assert len(pids) == 2


def test_scenario_accounts_and_the_audit_users_reach_on_the_real_server(lab):
    """DB-NO-KNOWN-PASSWORD's lab support: the accounts a scenario adds exist as given, the real
    server's PASSWORD() is the suite's native_hash, and only the audit user without the grant is
    refused mysql.global_priv (error 1142)."""
    accounts = [{"user": "cloud2", "host": "%", "password": "password", "via": None, "locked": False},
                {"user": "old", "host": "%", "password": "Cl0ud5tack", "via": None, "locked": True},
                {"user": "", "host": "localhost", "password": None, "via": None, "locked": False}]
    pair = pair_facts(accounts={"accounts": accounts})
    pair[1].accounts = {"audit_reads_accounts": False}
    pids = bring_up(lab, pair)

    with admin_connection(pids[0]) as root:
        assert query(root, "SELECT PASSWORD('password')") == [(native_hash("password"),)]
    with lab.audit(pair[0]) as db1:
        rows = parse_accounts([dict(zip(("User", "Host", "Priv"), r)) for r in
                               query(db1, "SELECT User, Host, Priv FROM mysql.global_priv")], "mysql.global_priv")
    found = {a.name: a for a in rows}
    assert found["'cloud2'@'%'"].logins[0].secret == native_hash("password") and found["'old'@'%'"].locked
    assert found["''@'localhost'"].logins[0].secret == ""
    with lab.audit(pair[1]) as db2, pytest.raises(pymysql.err.OperationalError) as refused:
        query(db2, "SELECT User, Host, Priv FROM mysql.global_priv")
    assert refused.value.args[0] == 1142


def test_scenario_admin_user_and_the_audit_users_reach_on_the_real_server(lab):
    """MS-ADMIN-DEFAULT-PASSWORD's lab support: cloud.user holds the system user and the admin the
    scenario gives (verbatim, or by default a PBKDF2 value of a random string, which no default
    matches), read by the suite's own statement; the wider statement (admin.check_all_root_admins)
    reads every user of a type-1 account that is not removed; only the audit user without the grant
    is refused cloud.user (error 1142) while it still reads the other tables of `cloud`."""
    stored = "5f4dcc3b5aa765d61d8327deb882cf99"
    more = [{"name": "ops", "password": stored, "root_admin": True, "removed": False},
            {"name": "alice", "password": stored, "root_admin": False, "removed": False},
            {"name": "gone", "password": stored, "root_admin": True, "removed": True}]
    pair = pair_facts(accounts={"admin_password": stored, "admin_state": "disabled", "cloud_users": more})
    pair[1].accounts = {"audit_reads_users": False}
    pids = bring_up(lab, pair)

    with lab.audit(pair[0]) as db1, db1.cursor(pymysql.cursors.DictCursor) as cur:
        cur.execute(INSTALL_ADMIN)
        (admin,) = parse_admin_users(cur.fetchall())
        cur.execute(ROOT_ADMINS)
        assert [(u.id, u.username, u.password.encoder) for u in parse_admin_users(cur.fetchall())] == [
            (1, "system", "unknown"), (2, "admin", "MD5"), (3, "ops", "MD5")]
        assert query(db1, "SELECT id, username FROM cloud.user ORDER BY id") == [
            (1, "system"), (2, "admin"), (3, "ops"), (4, "alice"), (5, "gone")]
    assert (admin.id, admin.username, admin.state, admin.source, admin.password.encoder, admin.password.text) == \
        (2, "admin", "disabled", "UNKNOWN", "MD5", stored)
    with admin_connection(pids[1]) as root:
        (default,) = query(root, "SELECT password FROM cloud.user WHERE id = 2")
    generated = parse_stored_password(default[0])
    assert (generated.encoder, generated.rounds, len(generated.salt)) == ("PBKDF2", 100000, 64)
    assert not any(matches(generated, p) for p in ("password", "admin"))
    with lab.audit(pair[1]) as db2:
        assert query(db2, "SELECT COUNT(*) FROM cloud.version")[0][0] >= 1
        with pytest.raises(pymysql.err.OperationalError) as refused:
            query(db2, INSTALL_ADMIN)
    assert refused.value.args[0] == 1142
