"""Parsers of configuration files: Java properties, shell assignments, MariaDB option files, versions.

Recorded on Debian 12 by tests/data/recorded/recorders/record-hosts-and-config.sh:
- agent-properties-stored.properties: written by OpenJDK 17's Properties.store(), as the CloudStack
  agent persists agent.properties; properties-edge.properties: every syntax Properties accepts. Each
  has a *.java-load.json: what Properties.load() read from it (the expected values).
- mysql-cnf-files-*.txt: CNF_FILES_COMMAND's output on this machine's /etc/mysql (MariaDB 10.11),
  on a copy with CloudStack's block in conf.d/cloudstack.cnf, and on a layout of corner cases
  (recorders/mysql-edge); mariadb-print-defaults-*.txt: what MariaDB's own reader,
  `my_print_defaults` with mariadbd's groups, took from the same files (the expected values).
  The "lab" pair is the lab's compliant /etc/mysql (recorders/record-lab-mysql.sh).
- default-libvirtd-*.txt: /etc/default/libvirtd of Debian's libvirt-daemon-system 9.0.0-4+deb12u2,
  and with LIBVIRTD_ARGS="--listen" uncommented as CloudStack's KVM guide asks.

Written by hand, as no such system is reachable here:
- xensource-inventory-sample.txt: XenServer's /etc/xensource-inventory, KEY='value' lines, as xapi's
  inventory module writes it (values invented).
- sysconfig-libvirtd-rhel-sample.txt: RHEL's /etc/sysconfig/libvirtd with LIBVIRTD_ARGS="--listen".
- The RHEL option-file layout below: /etc/my.cnf with `!includedir /etc/my.cnf.d`, as RHEL's
  mariadb-server package ships it.
- /etc/cloudstack-release lines: the systemvm template build writes
  `echo "Cloudstack Release $CLOUDSTACK_RELEASE $(date)"`; the 4.0.0-incubating line is the
  example of CloudStack's admin guide.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from stackaudit.errors import UnparsableOutput
from stackaudit.parsers.cloudstack import (CloudStackVersion, parse_cloudstack_release, parse_cloudstack_version,
                                           schema_matches_code, versions_equal)
from stackaudit.parsers.mycnf import Option, mysqld_options, normalise_option_name, parse_tail_files
from stackaudit.parsers.properties import parse_java_properties, parse_shell_assignments

RECORDED = Path(__file__).resolve().parent.parent / "data" / "recorded"


def recorded(name: str) -> str:
    # newline="": the properties files hold CR and CRLF line ends that the parser must see
    with open(RECORDED / name, newline="", encoding="latin-1" if name.endswith(".properties") else "utf-8") as f:
        return f.read()


def unparsable(call) -> str:
    with pytest.raises(UnparsableOutput) as error:
        call()
    return str(error.value)


# --- Java properties ---------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["agent-properties-stored", "properties-edge"])
def test_properties_read_as_java_reads_them(name):
    expected = json.loads(recorded(f"{name}.java-load.json"))
    assert parse_java_properties(recorded(f"{name}.properties"), name) == expected


def test_agent_properties_written_by_the_agent():
    properties = parse_java_properties(recorded("agent-properties-stored.properties"),
                                       "/etc/cloudstack/agent/agent.properties")
    assert properties["guid"] == "5b1fa3d6-8d7c-3e0e-a1b6-cf07cc2b7e50"
    assert properties["host"] == "10.0.0.1,10.0.0.2"
    assert properties["hypervisor.uri"] == "qemu:///system"      # stored as qemu\:///system
    assert not any(key.startswith("#") for key in properties)


def test_properties_edge_cases():
    properties = parse_java_properties(recorded("properties-edge.properties"), "db.properties")
    assert properties["db.cloud.host"] == "10.0.0.6"                # the last of two
    assert properties["db.cloud.port"] == "3306"
    assert properties["db.cloud.username"] == "cloud   "           # trailing blanks are kept
    assert properties["host"] == "10.0.0.1,10.0.0.2,10.0.0.3"     # continued over three lines
    assert properties["continued.comment"] == "a# this line is text, not a comment"
    assert properties["escapes"] == "tab\there\nnewline\u00e9\U0001F600q"


@pytest.mark.parametrize("text, message", [
    ("a=\\u00zz\n", "agent.properties line 1: malformed \\uXXXX escape '\\\\u00zz'"),
    ("a=1\nb=x\\\n  \\u12", "agent.properties line 2: malformed \\uXXXX escape '\\\\u12'"),
])
def test_a_malformed_unicode_escape_is_unparsable(text, message):
    assert unparsable(lambda: parse_java_properties(text, "agent.properties")) == message


# --- shell assignments -------------------------------------------------------------------------

@pytest.mark.parametrize("name, expected", [
    ("default-libvirtd-debian12.txt", {}),
    ("default-libvirtd-cloudstack.txt", {"LIBVIRTD_ARGS": "--listen"}),
    ("sysconfig-libvirtd-rhel-sample.txt", {"LIBVIRTD_ARGS": "--listen"}),
])
def test_libvirtd_defaults_files(name, expected):
    assert parse_shell_assignments(recorded(name), name) == expected


def test_xensource_inventory():
    inventory = parse_shell_assignments(recorded("xensource-inventory-sample.txt"), "/etc/xensource-inventory")
    assert inventory["INSTALLATION_UUID"] == "0a7a8a6e-5cf3-4c11-9a3e-6b8b5f0e4d21"
    assert inventory["PRODUCT_VERSION"] == "8.2.1"
    assert len(inventory) == 13


@pytest.mark.parametrize("line, key, value", [
    ('libvirtd_opts="-l"', "libvirtd_opts", "-l"),                 # Ubuntu's old /etc/default/libvirt-bin
    ("export LIBVIRTD_ARGS=--listen", "LIBVIRTD_ARGS", "--listen"),
    ('LIBVIRTD_ARGS="--listen"  # for CloudStack', "LIBVIRTD_ARGS", "--listen"),
    ("URL=http://h/x#frag", "URL", "http://h/x#frag"),             # '#' inside a word is no comment
    ("EMPTY=", "EMPTY", ""),
    ("""Q='it'"'"'s'""", "Q", "it's"),
    ('ESC="a \\"b\\""', "ESC", 'a "b"'),
])
def test_shell_assignment_values_are_what_the_shell_sees(line, key, value):
    assert parse_shell_assignments(line + "\n", "f") == {key: value}


@pytest.mark.parametrize("text, message", [
    ("A=1\ngarbage\n", "/etc/default/libvirtd line 2: expected KEY=value, got 'garbage'"),
    ("1A=b\n", "/etc/default/libvirtd line 1: expected KEY=value, got '1A=b'"),
    ("A='open\n", "/etc/default/libvirtd line 1: unbalanced quotes in \"A='open\""),
    ("LIBVIRTD_ARGS=--listen --timeout 120\n", "/etc/default/libvirtd line 1: the value of LIBVIRTD_ARGS is "
                                               "more than one shell word: 'LIBVIRTD_ARGS=--listen --timeout 120'"),
])
def test_lines_that_are_not_assignments_are_unparsable(text, message):
    assert unparsable(lambda: parse_shell_assignments(text, "/etc/default/libvirtd")) == message


# --- MariaDB option files ----------------------------------------------------------------------

def print_defaults(name: str) -> dict[str, str | None]:
    """my_print_defaults' `--name[=value]` lines, the last one of a name winning as in the server."""
    options = {}
    for line in recorded(name).splitlines():
        key, sep, value = line.removeprefix("--").partition("=")
        options[normalise_option_name(key)] = value if sep else None
    return options


@pytest.mark.parametrize("layout", ["debian12", "cloudstack", "edge", "lab"])
def test_options_are_those_mariadb_reads(layout):
    files = parse_tail_files(recorded(f"mysql-cnf-files-{layout}.txt"))
    options = mysqld_options(files, "/etc/mysql/my.cnf", server_version="10.11")
    assert {name: option.value for name, option in options.items()} == \
        print_defaults(f"mariadb-print-defaults-{layout}.txt")


def test_tail_output_gives_each_file_its_exact_text():
    files = parse_tail_files(recorded("mysql-cnf-files-debian12.txt"))
    assert sorted(files) == [
        "/etc/mysql/conf.d/mysql.cnf", "/etc/mysql/conf.d/mysqldump.cnf", "/etc/mysql/debian-start",
        "/etc/mysql/debian.cnf", "/etc/mysql/mariadb.cnf", "/etc/mysql/mariadb.conf.d/50-client.cnf",
        "/etc/mysql/mariadb.conf.d/50-mysql-clients.cnf", "/etc/mysql/mariadb.conf.d/50-mysqld_safe.cnf",
        "/etc/mysql/mariadb.conf.d/50-server.cnf", "/etc/mysql/mariadb.conf.d/60-galera.cnf",
        "/etc/mysql/my.cnf", "/etc/mysql/my.cnf.fallback"]
    assert files["/etc/mysql/conf.d/mysql.cnf"] == "[mysql]\n"
    assert files["/etc/mysql/my.cnf"] == files["/etc/mysql/mariadb.cnf"]    # the symlink, followed
    edge = parse_tail_files(recorded("mysql-cnf-files-edge.txt"))
    assert edge["/etc/mysql/conf.d/no-final-newline.cnf"] == "[mysqld]\nlog-bin=mysql-bin"


def test_cloudstack_block_with_the_file_each_setting_comes_from():
    options = mysqld_options(parse_tail_files(recorded("mysql-cnf-files-cloudstack.txt")), "/etc/mysql/my.cnf")
    block = "/etc/mysql/conf.d/cloudstack.cnf"
    assert {name: options[name] for name in ("innodb_rollback_on_timeout", "innodb_lock_wait_timeout",
                                             "max_connections", "log_bin", "binlog_format",
                                             "default_time_zone", "skip_name_resolve")} == {
        "innodb_rollback_on_timeout": Option("1", block), "innodb_lock_wait_timeout": Option("600", block),
        "max_connections": Option("350", block), "log_bin": Option("mysql-bin", block),
        "binlog_format": Option("ROW", block), "default_time_zone": Option("+00:00", block),
        "skip_name_resolve": Option(None, block)}
    assert options["bind_address"] == Option("127.0.0.1", "/etc/mysql/mariadb.conf.d/50-server.cnf")
    assert options["socket"] == Option("/run/mysqld/mysqld.sock", "/etc/mysql/my.cnf")   # [client-server]


def test_corner_cases_of_the_option_file_reader():
    options = mysqld_options(parse_tail_files(recorded("mysql-cnf-files-edge.txt")), "/etc/mysql/my.cnf")
    assert options["max_connections"] == Option("350", "/etc/mysql/conf.d/z-last.cnf")   # includedir in name order
    assert options["port"].value == "3306"             # not [ mysqld ], [client], *.txt or *.cnf.bak
    assert options["innodb_buffer_pool_size"].value == "2G"                               # loose- dropped
    assert options["log_error"].value == "/var/log/mysql/error # not a comment.log"
    assert options["ft_stopword_file"].value == 'C:\\stop"words\\d.txt'
    assert options["binlog_format"] == Option("MIXED", "/etc/mysql/conf.d/a-first.cnf")
    assert options["innodb_lock_wait_timeout"] == Option("600", "/etc/mysql/extra.cnf")   # !include


RHEL_TAIL = """==> /etc/my.cnf <==
#
# This group is read both by the client and the server
# use it for options that affect everything
#
[client-server]

#
# include all files from the config directory
#
!includedir /etc/my.cnf.d


==> /etc/my.cnf.d/cloudstack.cnf <==
[mysqld]
max_connections=350
binlog-format = 'ROW'

==> /etc/my.cnf.d/mariadb-server.cnf <==
[server]

[mysqld]
datadir=/var/lib/mysql
socket=/var/lib/mysql/mysql.sock
max_connections=151

[mysqld-8.0]
skip-name-resolve

[mariadb-10.5]
"""


def test_rhel_layout_with_a_version_group():
    files = parse_tail_files(RHEL_TAIL)
    options = mysqld_options(files, "/etc/my.cnf")
    assert options["max_connections"] == Option("151", "/etc/my.cnf.d/mariadb-server.cnf")  # read after cloudstack.cnf
    assert options["binlog_format"] == Option("ROW", "/etc/my.cnf.d/cloudstack.cnf")
    assert options["skip_name_resolve"].value is None          # any version group counts ...
    assert "skip_name_resolve" not in mysqld_options(files, "/etc/my.cnf", server_version="10.5")  # ... unless told


def test_include_cycles_are_refused_naming_the_files():
    # The server would read the files again and again to depth 10; a cycle is a clear error here.
    files = {"/etc/my.cnf": "[mysqld]\nport=3306\n!include /etc/my.cnf\n"}
    assert unparsable(lambda: mysqld_options(files, "/etc/my.cnf")) == \
        "/etc/my.cnf line 3: !include cycle: /etc/my.cnf -> /etc/my.cnf"
    files = {"/etc/my.cnf": "[mysqld]\n!includedir /etc/my.cnf.d\n",
             "/etc/my.cnf.d/a.cnf": "[mysqld]\n!include /etc/my.cnf\n"}
    assert unparsable(lambda: mysqld_options(files, "/etc/my.cnf")) == \
        "/etc/my.cnf.d/a.cnf line 2: !include cycle: /etc/my.cnf -> /etc/my.cnf.d/a.cnf -> /etc/my.cnf"


def test_includes_that_fan_out_are_bounded():
    # Ten levels of files that each include the next level twice: 2**10 reads, no cycle.
    files = {f"/etc/l{i}.cnf": f"[mysqld]\nport={i}\n!include /etc/l{i + 1}.cnf\n!include /etc/l{i + 1}.cnf\n"
             for i in range(10)}
    assert unparsable(lambda: mysqld_options(files, "/etc/l0.cnf")) == \
        "option files: more than 500 files read through !include"


@pytest.mark.parametrize("line, name, value", [
    ("skip-log-bin", "log_bin", "0"), ("disable_log_bin", "log_bin", "0"),
    ("skip-name-resolve", "skip_name_resolve", None), ("enable-skip-name-resolve", "skip_name_resolve", "1"),
    ("loose-skip-innodb-rollback-on-timeout", "innodb_rollback_on_timeout", "0"),
    ("skip_slave_start", "skip_slave_start", None), ("maximum-max_connections=900", "maximum_max_connections", "900"),
])
def test_boolean_prefixes_as_the_server_takes_them(line, name, value):
    options = mysqld_options({"/etc/my.cnf": f"[mysqld]\n{line}\n"}, "/etc/my.cnf")
    assert options == {name: Option(value, "/etc/my.cnf", loose=line.startswith("loose-"))}


def test_skip_with_a_value_is_refused_as_the_server_refuses_it():
    assert unparsable(lambda: mysqld_options({"/etc/my.cnf": "[mysqld]\nskip-log-bin=1\n"}, "/etc/my.cnf")) == \
        "/etc/my.cnf line 2: skip-log-bin takes no value (the server refuses '=1')"


@pytest.mark.parametrize("files, message", [
    ({}, "option files: /etc/mysql/my.cnf is not among the collected files"),
    ({"/etc/mysql/my.cnf": "# no group yet\nport=3306\n"},
     "/etc/mysql/my.cnf line 2: option 'port=3306' before any [group]"),
    ({"/etc/mysql/my.cnf": "[mysqld\nport=3306\n"},
     "/etc/mysql/my.cnf line 1: expected ']' after the group name, got '[mysqld'"),
    ({"/etc/mysql/my.cnf": "[mysqld]\n!include /etc/mysql/x.cnf\n", "/etc/mysql/x.cnf": "port=1\n"},
     "/etc/mysql/x.cnf line 1: option 'port=1' before any [group]"),
    ({"/etc/mysql/my.cnf": "[mysqld]\n!includedir   \n"}, "/etc/mysql/my.cnf line 2: '!includedir' without a path"),
])
def test_option_files_the_server_refuses_are_unparsable(files, message):
    assert unparsable(lambda: mysqld_options(files, "/etc/mysql/my.cnf")) == message


def test_tail_output_must_start_with_a_header():
    assert parse_tail_files("") == {}
    assert unparsable(lambda: parse_tail_files("[mysqld]\n==> /etc/my.cnf <==\n")) == \
        "tail -v line 1: expected '==> PATH <==', got '[mysqld]'"


# --- CloudStack versions -----------------------------------------------------------------------

@pytest.mark.parametrize("text, version", [
    ("Cloudstack Release 4.19.0 Wed Oct 11 10:00:00 UTC 2023\n", "4.19.0"),
    ("Cloudstack Release 4.0.0-incubating Mon Oct 9 15:10:04 PST 2012\n", "4.0.0-incubating"),
    ("Cloudstack Release 4.18.1.0-SNAPSHOT Tue Sep  5 08:12:44 UTC 2023\n", "4.18.1.0-SNAPSHOT"),
    # trimRouterVersion reads the third word whatever the first two say
    ("CloudStack Release 4.19.0 Wed Oct 11 10:00:00 UTC 2023\n", "4.19.0"),
])
def test_cloudstack_release_of_a_system_vm(text, version):
    assert parse_cloudstack_release(text) == version


@pytest.mark.parametrize("text", [
    "",
    "Cloudstack Release  4.19.0 Wed\n",                            # the third word is empty
    "Cloudstack Release v4.19 Wed\n",
    "Cloudstack Release 4.11 Thu Feb  8 12:00:00 UTC 2018",       # two parts: CloudStack reads 0
    "Cloudstack Release 4.19.0-brand2 Wed\n",                     # a brand is letters only
    "Cloudstack Release \u0664.19.0 Wed\n",                       # Java's \\d is ASCII
])
def test_a_release_cloudstack_reads_as_0_is_unparsable(text):
    assert unparsable(lambda: parse_cloudstack_release(text)) == (
        "/etc/cloudstack-release: no version where CloudStack reads it (third word, "
        "major.minor.patch[.security][-brand][-SNAPSHOT]) in " + repr(text.strip("\n")[:80]) +
        "; CloudStack's trimRouterVersion reads it as 0")


@pytest.mark.parametrize("text, parts", [
    ("4.19.1.0", (4, 19, 1, 0)), ("4.19.1", (4, 19, 1, 0)), ("4.19", (4, 19, 0, 0)),
    ("4.18.0.0-SNAPSHOT", (4, 18, 0, 0)), ("4.0.0-incubating", (4, 0, 0, 0)), (" 4.9.3.1\n", (4, 9, 3, 1)),
])
def test_cloudstack_versions_have_four_parts(text, parts):
    assert parse_cloudstack_version(text) == parts


@pytest.mark.parametrize("text", ["4", "4.19.x", "", "4.19.1.0.1", "v4.19", "-SNAPSHOT"])
def test_what_is_not_a_cloudstack_version_is_unparsable(text):
    assert unparsable(lambda: parse_cloudstack_version(text)) == \
        f"CloudStack version {text.strip()!r}: expected major.minor[.patch[.security]][-suffix]"


@pytest.mark.parametrize("db, code, matches", [
    ("4.19.1", "4.19.1.0", True),
    ("4.19.1.0", "4.19.1.1", False),
    ("4.19.1.0", "4.19.1.0-SNAPSHOT", True),
    ("4.19.0.0", "4.19.1.0", False),
    ("4.5.2.0", "4.5.2.1", True),        # before 4.8.2 the security release was not compared
    ("4.8.1.0", "4.8.1.1", True),
    ("4.8.2.0", "4.8.2.1", False),
    ("4.5.1", "4.5.2", False),
])
def test_schema_matches_code_as_cloudstack_checks_at_start_up(db, code, matches):
    assert schema_matches_code(db, code) is matches


@pytest.mark.parametrize("a, b, equal", [
    ("4.19.1", "4.19.1.0", True), ("4.19.1.0-SNAPSHOT", "4.19.1.0", True), ("4.19", "4.19.0.0", True),
    ("4.19.1.1", "4.19.1.0", False),
])
def test_versions_equal_on_four_parts(a, b, equal):
    assert versions_equal(a, b) is equal


def test_cloudstack_version_value():
    version = CloudStackVersion.parse("4.19.1")
    assert version == CloudStackVersion(4, 19, 1, 0)
    assert str(version) == "4.19.1.0"
    assert CloudStackVersion.parse("4.9.3.1") < version < CloudStackVersion.parse("4.19.1.1-SNAPSHOT")
