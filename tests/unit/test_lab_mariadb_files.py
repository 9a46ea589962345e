"""The lab's /etc/mysql is Debian's, plus CloudStack's block, read as the server reads it.

lab/parts/mariadb_debian12/ holds verbatim copies of Debian 12's conffiles; the recorded original
of the same tree (tests/data/recorded/mysql-cnf-files-debian12.txt, CNF_FILES_COMMAND on a Debian 12
machine) proves it. The block is CloudStack's install guide (cloudstack-docs-database-separate-node.rst).
"""
from __future__ import annotations

from pathlib import Path

from lab.parts.db import DEBIAN_CNF_FILES, DEBIAN_FILES, DatabaseFacts, database_machine_files
from stackaudit.parsers.mycnf import Option, mysqld_options, parse_tail_files

RECORDED = Path(__file__).resolve().parent.parent / "data" / "recorded"
CLOUDSTACK_CNF = "/etc/mysql/conf.d/cloudstack.cnf"


def lab_options(**facts) -> dict[str, Option]:
    files, _ = database_machine_files(DatabaseFacts("db1", "198.18.0.100", 1, **facts))
    return mysqld_options({path: text for path, text in files.items() if path.startswith("/etc/mysql/")},
                          "/etc/mysql/my.cnf", server_version="10.11")


def test_the_labs_debian_files_are_debians_verbatim():
    recorded = parse_tail_files((RECORDED / "mysql-cnf-files-debian12.txt").read_text())
    for name in DEBIAN_CNF_FILES:
        assert (DEBIAN_FILES / name).read_text() == recorded[f"/etc/mysql/{name}"], name
    assert recorded["/etc/mysql/my.cnf"] == recorded["/etc/mysql/mariadb.cnf"]


def test_cloudstack_block_starts_with_the_install_guides_lines():
    guide = (RECORDED / "cloudstack-docs-database-separate-node.rst").read_text().splitlines()
    block = [line.strip() for line in guide[guide.index("   .. parsed-literal::") + 1:] if line.strip()]
    files, _ = database_machine_files(DatabaseFacts("db1", "198.18.0.100", 1))
    assert files[CLOUDSTACK_CNF].splitlines()[:len(block) + 1] == ["[mysqld]", *block]


def test_compliant_lab_listens_beyond_loopback_because_debians_bind_line_is_commented_out():
    options = lab_options()
    assert options["bind_address"] == Option("0.0.0.0", CLOUDSTACK_CNF)
    assert {name: options[name].value for name in ("server_id", "auto_increment_increment", "auto_increment_offset",
                                                   "log_bin", "binlog_format", "max_connections")} == \
        {"server_id": "1", "auto_increment_increment": "2", "auto_increment_offset": "1", "log_bin": "mysql-bin",
         "binlog_format": "ROW", "max_connections": "700"}
    assert options["character_set_server"] == Option("utf8mb4", "/etc/mysql/mariadb.conf.d/50-server.cnf")


def test_debians_bind_line_kept_wins_over_cloudstack_cnf():
    # mariadb.cnf reads conf.d/ before mariadb.conf.d/: 50-server.cnf's line is read last.
    assert lab_options(bind_address="127.0.0.1")["bind_address"] == \
        Option("127.0.0.1", "/etc/mysql/mariadb.conf.d/50-server.cnf")


def test_etc_hosts_names_the_database_servers():
    names = {"db1": "198.18.0.100", "db2.lab.example": "198.18.0.101"}
    files, _ = database_machine_files(DatabaseFacts("db1", "198.18.0.100", 1, host_names=names))
    assert files["/etc/hosts"].splitlines()[-2:] == ["198.18.0.100\tdb1", "198.18.0.101\tdb2.lab.example"]
