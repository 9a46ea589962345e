"""Every parser and rule that reads a number, fed the numbers of issue 19 (item 4): Arabic-Indic `١٢`,
superscript `²`, fullwidth `１２` and 5,000 digits, and the spellings each consumer accepts. Each gives
the consumer's answer or UnparsableOutput: never ValueError or TypeError (before this, 21 of these
calls raised ValueError and a few took digits their consumer refuses)."""
from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
from hypothesis import given, settings

from stackaudit.collect.batch import parse_sections
from stackaudit.errors import UnparsableOutput
from stackaudit.parsers.api_rows import parse_api_rows, parse_schema_versions
from stackaudit.parsers.cloudstack import parse_cloudstack_version
from stackaudit.parsers.dpkg import version_at_least
from stackaudit.parsers.files import parse_epoch, parse_stat_lines
from stackaudit.parsers.iptables import parse_iptables_save
from stackaudit.parsers.jdbc import parse_jdbc_url
from stackaudit.parsers.libvirt import parse_libvirtd_conf
from stackaudit.parsers.mycnf import mysqld_options
from stackaudit.parsers.mysql import parse_replica_status, parse_server_version
from stackaudit.parsers.numbers import INT32, INT64, read_mariadb_unsigned
from stackaudit.parsers.procs import PID_MAX, parse_pids, parse_ps, parse_stale_mappings
from stackaudit.parsers.xapi import parse_pool_ha
from stackaudit.rules.database import cnf_findings
from stackaudit.rules.gate import capacity_findings
from stackaudit.rules.netfilter.matches import routing_header_holds
from stackaudit.rules.db_properties import fallback_reasons
from tests.unit.numbers_strategy import (any_number_of_digits, ascii_decimal, c_base0_unsigned, java_parse,
                                         mariadb_unsigned, number_texts)
from tests.unit.hypothesis_budget import examples

RECORDED = Path(__file__).resolve().parent.parent / "data" / "recorded"
REFUSED = "UnparsableOutput"
ROW = {"Master_Host": "db1", "Master_Port": "3306", "Slave_IO_Running": "Yes", "Slave_SQL_Running": "Yes",
       "Seconds_Behind_Master": "0", "Master_Server_Id": "1", "Last_IO_Error": "", "Last_SQL_Error": ""}
POLICY = SimpleNamespace(database=SimpleNamespace(innodb_lock_wait_timeout=50, min_max_connections=50,
                                                  binlog_format="ROW", time_zone="+00:00"))
CNF = {"innodb_rollback_on_timeout": "1", "innodb_lock_wait_timeout": "50", "max_connections": "1000", "log_bin": None,
       "binlog_format": "ROW", "default_time_zone": "'+00:00'", "skip_name_resolve": None}
RUNNING = {"innodb_rollback_on_timeout": "ON", "innodb_lock_wait_timeout": "50", "max_connections": "1000",
           "log_bin": "ON", "binlog_format": "ROW", "time_zone": "+00:00", "skip_name_resolve": "ON"}
PROPERTIES = {"db.cloud.host": "db1", "db.cloud.driver": "jdbc:mysql", "db.usage.host": "db1", "db.usage.port": "3306",
              "db.usage.driver": "jdbc:mysql", "db.cloud.timeBetweenEvictionRunsMillis": "40000",
              "db.cloud.minEvictableIdleTimeMillis": "240000",
              **{f"db.{schema}.{key}": "250" for schema in ("cloud", "usage") for key in ("maxActive", "maxIdle", "maxWait")}}


def rules(line: str) -> str:
    return f"*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -j DROP\n-A INPUT -j DROP\n{line}\nCOMMIT\n"


def accepted_port(n: str) -> int:
    rule = parse_iptables_save(rules(f"-A INPUT -p tcp --dport {n} -j ACCEPT")).chain("filter", "INPUT").rules[2]
    return rule.match("--dport").values[0]


def inserted_at(n: str) -> int:
    chain = parse_iptables_save(rules(f"-I INPUT {n} -p tcp --dport 22 -j ACCEPT")).chain("filter", "INPUT")
    targets = [r.target for r in chain.rules]
    return targets.index("ACCEPT") + 1 if "ACCEPT" in targets else "skipped"


def cnf(option: str, value: str) -> list[str]:
    options = {k: SimpleNamespace(value=v, path="/etc/mysql/my.cnf", loose=False) for k, v in {**CNF, option: value}.items()}
    return cnf_findings(options, RUNNING, POLICY)


# (name, call, consumer): the consumer's reading, for the drawn numbers below
CALLS = {
    "iptables --dport": (accepted_port, lambda n: c_base0_unsigned(n, 0, 65535)),
    "iptables -I": (inserted_at, lambda n: c_base0_unsigned(n, 1, 3)),
    "date +%s": (lambda n: parse_epoch(n + "\n"), lambda n: ascii_decimal(n, *INT64, signs="-")),
    "stat": (lambda n: parse_stat_lines(f"{n} 10 /etc/x\n")[0].mtime, lambda n: ascii_decimal(n, *INT64, signs="-")),
    "ps": (lambda n: parse_ps(f"{'root':<32} {n} /usr/sbin/libvirtd\n")[0].pid, lambda n: ascii_decimal(n, 1, PID_MAX)),
    "pgrep": (lambda n: parse_pids(n + "\n").pop(), lambda n: ascii_decimal(n, 1, PID_MAX)),
    "stale libraries": (lambda n: parse_stale_mappings(f"{n}\tsshd\t/usr/lib/libssl.so.3\n")[0].pid,
                        lambda n: ascii_decimal(n, 1, PID_MAX)),
    "libvirtd.conf": (lambda n: parse_libvirtd_conf(f"max_clients = {n}\n")["max_clients"],
                      lambda n: ascii_decimal(n.strip(" \t"), *INT64, signs="+-")),
    "cloudstack version": (lambda n: parse_cloudstack_version(f"4.{n}.0")[1], lambda n: ascii_decimal(n, 0, INT32[1])),
    "batch exit code": (lambda n: parse_sections(f"@begin a\n|\n@end a {n}\n".encode(), b"@begin a\n|\n@end a\n",
                                                 ["a"])["a"].exit_code,
                        lambda n: ascii_decimal(n, 0, 999) if len(n) <= 3 else None),
    "replica port": (lambda n: parse_replica_status([{**ROW, "Master_Port": n}])[0].source_port,
                     lambda n: ascii_decimal(n.strip(), 0, 2 ** 64 - 1) if n.strip() else None),
    "schema version id": (lambda n: parse_schema_versions([{"id": n, "version": "4.19.0.0", "step": "Complete"}])[0].id,
                          lambda n: ascii_decimal(n, 0, 2 ** 64 - 1)),
    "JDBC port": (lambda n: 0 if parse_jdbc_url(f"jdbc:mysql://db1:{n}/cloud").hosts == ("db1",) else 1,
                  lambda n: 0 if 0 < (java_parse(n.strip("".join(map(chr, range(33)))), 32) or 0) < 65536 else None),
    "db.cloud.port": (lambda n: len(fallback_reasons({**PROPERTIES, "db.cloud.port": n})),
                      lambda n: 0 if java_parse(n, 32) is not None else 1),
    "max_connections in my.cnf": (lambda n: min(len(cnf("max_connections", n)), 1),
                                  lambda n: 0 if (mariadb_unsigned(n.strip().strip("'\"")) or 0) >= 50
                                  and n.strip().strip("'\"") else 1),
}


@pytest.mark.parametrize("name", sorted(CALLS))
@settings(max_examples=examples(150), deadline=None)
@given(number=number_texts(blanks=False))
def test_drawn_numbers_give_the_consumers_answer_or_unparsable_output(name, number):
    call, consumer = CALLS[name]
    try:
        got = call(number)
    except UnparsableOutput as error:
        got = REFUSED
        assert str(error)
    expected = consumer(number)
    if name == "iptables --dport" and len(number) >= 1024:
        expected = None                            # iptables-restore: "Parameter too long!"
    if name == "iptables -I" and expected is None and c_base0_unsigned(number, 1, 2 ** 31 - 1) is not None:
        expected = None                            # a rule number past the end: "Index of insertion too big"
    if name == "iptables -I" and number.startswith(("-", "!")):
        # iptables takes a rule number only from a word that starts with neither: `-4` is the option
        # "IPv4 only" (accepted, the rule inserted at 1), `-6` makes iptables-restore skip the line, and
        # any other such word is an option
        assert got == {"-4": 1, "-6": "skipped"}.get(number, REFUSED), number[:60]
        return
    if name == "iptables --dport" and expected is not None:
        expected = str(expected)
    assert got == (REFUSED if expected is None else expected), number[:60]


@settings(max_examples=examples(150), deadline=None)
@given(number=number_texts())
def test_drawn_numbers_in_xapi_mysql_and_debian_versions_never_raise_anything_else(number):
    for call in (lambda: parse_pool_ha({"ha_enabled": True, "ha_configuration": {"timeout": number}}),
                 lambda: parse_server_version([{"version": f"10.{number}.5-MariaDB", "version_comment": ""}]),
                 lambda: version_at_least(f"1.{number}", "1.0"),
                 lambda: cnf("innodb_lock_wait_timeout", number)):
        try:
            call()
        except UnparsableOutput as error:
            assert str(error)


ARABIC, SUPERSCRIPT, FULLWIDTH, HUGE = "\u0661\u0662", "\u00b2", "\uff11\uff12", "1" * 5000


def outcome(call, number):
    try:
        return call(number)
    except UnparsableOutput:
        return REFUSED


@pytest.mark.parametrize("name, expected", [
    # iptables-restore refuses all four (numbers-iptables-restore-1.8.9.tsv)
    ("iptables --dport", (REFUSED,) * 4), ("iptables -I", (REFUSED,) * 4),
    ("date +%s", (REFUSED,) * 4), ("stat", (REFUSED,) * 4), ("ps", (REFUSED,) * 4), ("pgrep", (REFUSED,) * 4),
    ("stale libraries", (REFUSED,) * 4), ("libvirtd.conf", (REFUSED,) * 4), ("cloudstack version", (REFUSED,) * 4),
    ("batch exit code", (REFUSED,) * 4), ("replica port", (REFUSED,) * 4), ("schema version id", (REFUSED,) * 4),
    # Connector/J's Integer.parseInt reads ١٢ and １２ (numbers-java-parse-openjdk17.tsv)
    ("JDBC port", (0, REFUSED, 0, REFUSED)),
    # CloudStack's Integer.parseInt of db.cloud.port: a reason to fall back only for ² and 5,000 digits
    ("db.cloud.port", (0, 1, 0, 1)),
    # mariadbd refuses all four and does not start: a finding (numbers-mariadbd-10.11-options.tsv)
    ("max_connections in my.cnf", (1, 1, 1, 1)),
])
def test_the_four_numbers_of_the_issue(name, expected):
    call = CALLS[name][0]
    assert tuple(outcome(call, n) for n in (ARABIC, SUPERSCRIPT, FULLWIDTH, HUGE)) == expected


READERS = {
    "--dport": accepted_port, "-I": inserted_at,
    "XAPI HA timeout": lambda n: parse_pool_ha({"ha_enabled": True, "ha_configuration": {"timeout": n}}).timeout,
    "libvirtd.conf": CALLS["libvirtd.conf"][0], "CloudStack version": CALLS["cloudstack version"][0],
    "@@version": lambda n: parse_server_version([{"version": f"{n}.11.5-MariaDB"}]).numbers,
    "max_connections findings": lambda n: len(cnf("max_connections", n)),
    "innodb_lock_wait_timeout findings": lambda n: len(cnf("innodb_lock_wait_timeout", n)),
    "1.N >= 1.1": lambda n: version_at_least(f"1.{n}", "1.1"),
    "N:1.0 >= 1.0": lambda n: version_at_least(f"{n}:1.0", "1.0"),
    "JDBC hosts": lambda n: parse_jdbc_url(f"jdbc:mysql://db1:{n}/cloud").hosts,
}


@pytest.mark.parametrize("reader, number, expected", [
    ("--dport", "0x16", "22"), ("--dport", "026", "22"), ("--dport", "+22", "22"),
    ("--dport", "0" * 1000 + "22", "18"), ("--dport", "09", REFUSED), ("--dport", "0" * 1022 + "22", REFUSED),
    ("-I", "0x1", 1), ("-I", "+2", 2), ("-I", "03", 3), ("-I", "0", REFUSED), ("-I", "4", REFUSED),
    ("XAPI HA timeout", "0xB4", 180), ("XAPI HA timeout", "1_80", 180), ("XAPI HA timeout", " 180", REFUSED),
    ("XAPI HA timeout", ARABIC, REFUSED),
    ("libvirtd.conf", "+5000", 5000), ("libvirtd.conf", "0" * 5000 + "7", 7), ("libvirtd.conf", str(2 ** 63), REFUSED),
    ("CloudStack version", "2147483648", REFUSED), ("@@version", HUGE, REFUSED), ("@@version", ARABIC, REFUSED),
    ("max_connections findings", "1K", 0), ("max_connections findings", "+50", 0),
    ("max_connections findings", "-50", 2), ("innodb_lock_wait_timeout findings", "050", 0),     # -50: mariadbd would not start, and the option is not >= 50
    ("innodb_lock_wait_timeout findings", "50 ", 1),     # "50 " quoted in the file: mariadbd would not start
    ("1.N >= 1.1", "0" * 5000 + "2", True), ("N:1.0 >= 1.0", ARABIC, REFUSED),
    ("JDBC hosts", " 3306 ", ("db1",)), ("JDBC hosts", "\u0663\u0663\u0660\u0666", ("db1",)),
    ("JDBC hosts", "\U0001d7d1", REFUSED),
], ids=lambda value: value if isinstance(value, str) and len(value) < 30 else None)
def test_unusual_spellings_each_consumer_reads(reader, number, expected):
    assert outcome(READERS[reader], number) == expected


DPKG = [line.split("\t") for line in (RECORDED / "numbers-dpkg-compare-versions.tsv").read_text().splitlines()]


@pytest.mark.parametrize("version, floor, answer", DPKG, ids=[f"{v[:12]}-{len(v)}" for v, _, _ in DPKG])
def test_debian_versions_compare_as_dpkg_compares_them(version, floor, answer):
    assert version_at_least(version, floor) == (answer == "ge")


def test_a_published_tuned_my_cnf_reads_as_mariadbd_reads_it():
    """Sizes with K and M suffixes (outside-my.cnf-tuned-rafaelszp-2020.txt), each read as mariadbd
    10.11 read it, except where the server adjusts what it read."""
    text = (RECORDED / "outside-my.cnf-tuned-rafaelszp-2020.txt").read_text()
    options = mysqld_options({"/etc/mysql/my.cnf": text}, "/etc/mysql/my.cnf")
    shown = dict(line.split(" ", 1) for line in
                 (RECORDED / "outside-my.cnf-tuned-rafaelszp-2020.mariadbd-10.11.txt").read_text().splitlines())
    adjusted = {"open_files_limit",            # capped at what the process may open (20000 here)
                "query_alloc_block_size"}      # rounded down to a multiple of 1024
    compared = 0
    for name, value in shown.items():
        option = options.get(name.replace("-", "_"))
        if option is None or name.replace("-", "_") in adjusted:
            continue
        with any_number_of_digits():
            assert read_mariadb_unsigned(option.value, name) == int(value), name
        compared += 1
    assert compared == 22
    assert {"join-buffer-size", "sort-buffer-size", "thread-stack"} <= set(shown) - {
        n.replace("_", "-") for n in options}, "the settings under [myisamchk] are not mariadbd's"



def capacity_of(cpu_used) -> list[str] | str:
    rows = parse_api_rows("listHosts", [
        {"name": "hv1", "state": "Up", "resourcestate": "Enabled", "cpuwithoverprovisioning": "10000.0",
         "cpuallocatedvalue": cpu_used, "memorywithoverprovisioning": "1000", "memoryallocatedbytes": 10},
        {"name": "hv2", "state": "Up", "resourcestate": "Enabled", "cpuwithoverprovisioning": "1000.0",
         "cpuallocatedvalue": 0, "memorywithoverprovisioning": "1000", "memoryallocatedbytes": 10}])
    return outcome(lambda _: capacity_findings(rows), None)


@pytest.mark.parametrize("cpu_used, expected", [
    pytest.param("NaN", REFUSED, id="NaN"), pytest.param(float("nan"), REFUSED, id="JSON NaN"),
    pytest.param("Infinity", REFUSED, id="Infinity"), pytest.param("1_000", REFUSED, id="underscore"),
    pytest.param("\u0669\u0660\u0660\u0660", REFUSED, id="arabic-indic"), pytest.param(True, REFUSED, id="bool"),
    pytest.param("1" * 5000, REFUSED, id="5000 digits"),
    pytest.param("9000", 1, id="text"), pytest.param("9.0E3", 1, id="Double.toString"), pytest.param(9000, 1, id="JSON"),
])
def test_api_capacities_that_are_no_number_are_not_judged(cpu_used, expected):
    """float() takes "NaN": a NaN allocation made the gate's comparison false, and the gate passed."""
    result = capacity_of(cpu_used)
    assert result == REFUSED if expected == REFUSED else len(result) == expected


@pytest.mark.parametrize("option, value, expected", [
    ("--rt-type", "0", True), ("--rt-type", "0x0", True), ("--rt-type", "00", True), ("--rt-type", "2", False),
    ("--rt-type", SUPERSCRIPT, REFUSED), ("--rt-type", ARABIC, REFUSED), ("--rt-type", HUGE, REFUSED),
    ("--rt-segsleft", "0:5", True), ("--rt-segsleft", "0x0", True), ("--rt-segsleft", "\u0660", REFUSED),
])
def test_ip6tables_routing_header_numbers(option, value, expected):
    """-m rt's values as libip6t_rt reads them (xtables_strtoul, base 0); ip6tables refuses the rest."""
    assert outcome(lambda v: routing_header_holds(option, v, SimpleNamespace(routing_header=0)), value) == expected
