"""KVM-AGENT-MGMT-HOSTS and MS-DB-HOST-NOT-LOCAL on values recorded by others, and their parsers.

Recorded (tests/data/recorded/SOURCES.md says where each comes from):
- agent-properties-issue5240.properties: a whole agent.properties (apache/cloudstack issue 5240);
- agent-properties-pr10524-{before,after}.txt: `grep host` of an agent.properties before and after
  the `host` setting grew a second server (apache/cloudstack pull request 10524);
- agent-host-issue3895.txt: a cloud's `host` setting and algorithm (apache/cloudstack issue 3895);
- agent-properties-issue10616.txt: a fragment without host= (apache/cloudstack issue 10616);
- db-properties-issue10780.properties, db-properties-issue6813.properties: db.properties pasted in
  apache/cloudstack issues (fragments); db-properties-in-cloudstack.properties: the packaged file;
- jdbc-urls-published.txt: JDBC URLs from Connector/J's guide and pages quoting it;
- ip-addr-debian12.txt, etc-hosts-sandbox.txt, hostname-sandbox.txt: recorded on this Debian 12 box.
"""
from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stackaudit.errors import NotCheckable, UnparsableOutput
from stackaudit.parsers.agent import AgentHosts, parse_agent_hosts
from stackaudit.parsers.jdbc import parse_jdbc_url
from stackaudit.parsers.localnames import OwnNames, parse_etc_hosts, parse_hostname, parse_ip_addresses
from stackaudit.parsers.properties import parse_java_properties, parse_java_properties_file
from stackaudit.config.redact import MASK, redact, redact_text
from stackaudit.rules.db_properties import db_host_findings, java_address, java_number, local_meaning
from stackaudit.parsers.api_rows import ConfigurationRow, parse_configurations
from stackaudit.rules.kvm_agent import compare_management_hosts
from tests.unit.hypothesis_budget import examples

RECORDED = Path(__file__).resolve().parent.parent / "data" / "recorded"


def recorded(name: str) -> str:
    return (RECORDED / name).read_text()


def properties(name: str) -> dict[str, str]:
    return parse_java_properties(recorded(name), name)


def settings_rows(host: str | None, algorithm: str | None = "static") -> list[ConfigurationRow]:
    rows = [] if host is None else [{"name": "host", "value": host}]
    return parse_configurations(
        rows + ([] if algorithm is None else [{"name": "indirect.agent.lb.algorithm", "value": algorithm}]))


# --- the agent's host= ---------------------------------------------------------------------------

@pytest.mark.parametrize("value, expected", [
    ("185.185.58.54@static", AgentHosts(("185.185.58.54",), "static")),
    ("10.0.35.136,10.0.35.137@static", AgentHosts(("10.0.35.136", "10.0.35.137"), "static")),
    ("10.2.2.144,10.2.2.118", AgentHosts(("10.2.2.144", "10.2.2.118"), None)),
    ("localhost", AgentHosts(("localhost",), None)),
    (None, AgentHosts(("localhost",), None, defaulted=True)),
    ("  ", AgentHosts(("localhost",), None, defaulted=True)),
    # Java's String.split: trailing empties dropped, inner and leading kept, no trimming
    ("a,b,@static", AgentHosts(("a", "b"), "static")),
    ("a,,b", AgentHosts(("a", "", "b"), None)),
    ("a, b @static ", AgentHosts(("a", " b "), "static ")),
    ("a@b@c", AgentHosts(("a",), "b")),
    ("a@", AgentHosts(("a",), None)),
    ("@static", AgentHosts(("",), "static")),
])
def test_host_values_split_as_the_agent_splits_them(value, expected):
    assert parse_agent_hosts(value) == expected


@pytest.mark.parametrize("value", ["@", "@@", "@static@"])
def test_values_the_agent_refuses_are_unparsable(value):
    with pytest.raises(UnparsableOutput, match="starts and ends with '@'"):
        parse_agent_hosts(value)


def test_issue_5240_agent_matches_its_one_server_static_cloud():
    host = properties("agent-properties-issue5240.properties")["host"]
    verdict = compare_management_hosts(host, settings_rows("185.185.58.54"))
    assert verdict.findings == []
    assert verdict.evidence["compared"] == "in order: indirect.agent.lb.algorithm is static"


def test_pr_10524_agent_before_the_list_grew_lacks_the_new_server():
    setting = "10.0.35.136,10.0.35.137"
    before = properties("agent-properties-pr10524-before.txt")["host"]
    after = properties("agent-properties-pr10524-after.txt")["host"]
    assert compare_management_hosts(after, settings_rows(setting)).findings == []
    assert compare_management_hosts(before, settings_rows(setting)).findings == [
        "agent.properties host= lacks 10.0.35.137 (in CloudStack's host setting 10.0.35.136,10.0.35.137)"]


def test_static_cloud_wants_the_settings_order_and_its_algorithm():
    setting = "10.0.35.136,10.0.35.137"
    reversed_ = compare_management_hosts("10.0.35.137,10.0.35.136@static", settings_rows(setting)).findings
    assert reversed_ == ["agent.properties host= lists 10.0.35.137,10.0.35.136; CloudStack's host setting lists "
                         "10.0.35.136,10.0.35.137, and indirect.agent.lb.algorithm is static: the order must "
                         "match (the first is the agent's preferred management server)"]
    other = compare_management_hosts("10.0.35.136,10.0.35.137@roundrobin", settings_rows(setting)).findings
    assert other == ["agent.properties host= ends in @roundrobin; the cloud's indirect.agent.lb.algorithm is static"]


def test_issue_3895_roundrobin_cloud_takes_any_order_and_the_pre_4_11_form_as_a_set():
    text = recorded("agent-host-issue3895.txt")
    setting = text.split("host=")[1].split()[0]
    assert setting == "10.2.2.144,10.2.2.118"
    rows = settings_rows(setting, "roundrobin")
    assert compare_management_hosts("10.2.2.118,10.2.2.144@roundrobin", rows).findings == []
    no_suffix = compare_management_hosts("10.2.2.118,10.2.2.144", settings_rows(setting, "static"))
    assert no_suffix.findings == []
    assert no_suffix.evidence["compared"] == "as a set: host= has no @algorithm suffix (the form before 4.11)"


def test_cloud_before_4_11_compares_as_a_set_and_says_so():
    verdict = compare_management_hosts("b,a", settings_rows("a, b", algorithm=None))
    assert verdict.findings == []
    assert "CloudStack before 4.11" in verdict.evidence["compared"]
    assert verdict.evidence["CloudStack's hosts (blanks removed, split on commas)"] == ["a", "b"]


def test_issue_10616_fragment_without_host_means_localhost():
    verdict = compare_management_hosts(properties("agent-properties-issue10616.txt").get("host"),
                                       settings_rows("10.0.0.1"))
    assert verdict.findings[0] == "agent.properties has no host= value: the agent connects to localhost, its default"


def test_blanks_empty_elements_duplicates_and_unknown_algorithms_are_findings():
    rows = settings_rows("a,b")
    assert compare_management_hosts("a, b@static", rows).findings[0].startswith(
        "agent.properties host= has blanks the agent does not trim around ' b'")
    assert "an empty element" in compare_management_hosts("a,,b", rows).findings[0]
    assert "names a more than once" in compare_management_hosts("a,b,a", rows).findings[0]
    assert compare_management_hosts("a,b@fastest", rows).findings == [
        "agent.properties host= ends in @fastest, which is no algorithm CloudStack has (static, roundrobin, shuffle)"]


def test_no_host_setting_is_not_checkable():
    with pytest.raises(NotCheckable, match="global setting `host`"):
        compare_management_hosts("a@static", settings_rows(None))


# --- JDBC URLs -------------------------------------------------------------------------------------

PUBLISHED_URLS = {
    "jdbc:mysql://host1:33060/sakila": ("host1",),
    "jdbc:mysql://localhost:3306/sakila?profileSQL=true": ("localhost",),
    "jdbc:mysql:loadbalance://localhost:3306,localhost:3310/sakila": ("localhost", "localhost"),
    "jdbc:mysql:replication://master,slave1,slave2,slave3/test": ("master", "slave1", "slave2", "slave3"),
    "jdbc:mysql://myuser:secret_password@localhost:3306/db": ("localhost",),
    "jdbc:mysql://address=(type=master)(host=master1host),address=(type=master)(host=master2host),"
    "address=(type=slave)(host=slave1host)/database": ("master1host", "master2host", "slave1host"),
    "jdbc:mysql://localhost,192.168.10.8:3306/development": ("localhost", "192.168.10.8"),
    "jdbc:mysql://mysql.db.server:3306/my_database?useSSL=false&serverTimezone=UTC": ("mysql.db.server",),
}
PUBLISHED_BROKEN = {
    "jdbc:mysql//primaryhost,secondaryhost1,secondaryhost2/test": "expected jdbc:mysql://",
    "jdbc:mysql://myuser:secret_password@[myhost1:port1,myhost2:port2]/db": "port 'port1'",
    "jdbc:mysql:loadbalance://ip1:port1, ip2:port2/rizhiyi_system?roundRobinLoadBalance=true": "port 'port1'",
    "jdbc:driver:myFavoriteUri": "expected jdbc:mysql://",
}


def test_the_published_urls_are_all_in_the_recording():
    assert set(recorded("jdbc-urls-published.txt").splitlines()) == set(PUBLISHED_URLS) | set(PUBLISHED_BROKEN)


@pytest.mark.parametrize("url", sorted(PUBLISHED_URLS))
def test_published_urls_name_every_host(url):
    assert parse_jdbc_url(url).hosts == PUBLISHED_URLS[url]


@pytest.mark.parametrize("url", sorted(PUBLISHED_BROKEN))
def test_published_urls_no_driver_reads_are_unparsable_without_their_password(url):
    with pytest.raises(UnparsableOutput, match=PUBLISHED_BROKEN[url]) as error:
        parse_jdbc_url(url)
    assert "secret_password" not in str(error.value)


@pytest.mark.parametrize("url, hosts", [
    ("jdbc:mariadb://[::1]:3306/cloud", ("::1",)),
    ("jdbc:mysql://[::1]/cloud", ("::1",)),
    ("jdbc:mysql://198.18.0.100:3306,[::1]:3306/cloud", ("198.18.0.100", "::1")),
    ("jdbc:mysql:///cloud", ("localhost",)),
    ("jdbc:mysql://:3306/cloud", ("localhost",)),
    ("jdbc:mysql://(host=myhost1,port=1111,key1=value1),(host=myhost2,port=2222)/db", ("myhost1", "myhost2")),
    ("jdbc:mysql://sandy:secret@[myhost1:1111,address=(host=myhost2)(port=2222)]/db", ("myhost1", "myhost2")),
    ("jdbc:mysql://address=(host=[::1])(port=3306)/db", ("::1",)),
    ("jdbc:postgresql://a:5432,b/cloud", ("a", "b")),
])
def test_url_forms(url, hosts):
    assert parse_jdbc_url(url).hosts == hosts


# --- db.properties -------------------------------------------------------------------------------

OWN = OwnNames(frozenset({"ms1"}), frozenset({"127.0.0.1", "::1", "198.18.0.10"}),
               tuple(parse_etc_hosts("127.0.0.1 localhost\n127.0.1.1 ms1.lab.example ms1\n::1 localhost ip6-localhost\n")))


def test_issue_6813_names_a_remote_database():
    findings, evidence = db_host_findings(properties("db-properties-issue6813.properties"), OWN, None)
    # a fragment: the usage keys and the pool's eviction times are missing, so CloudStack falls back
    assert findings[0].startswith("CloudStack cannot load this db.properties (db.cloud.timeBetweenEvictionRunsMillis")
    assert "falls back on the database at localhost:3306" in findings[0]


def test_issue_10780_fragment_reads_the_empty_uri_as_unset_and_falls_back_for_the_missing_usage_port():
    props = properties("db-properties-issue10780.properties")
    assert props["db.cloud.uri"] == "" and props["db.cloud.host"] == "EXISTING_DB_IP"
    findings, _ = db_host_findings(props, OWN, None)
    assert findings == ["CloudStack cannot load this db.properties ("
                        + "".join(f"db.usage.{key} is not set (CloudStack up to 4.19 reads it with {reader}); "
                                  for key, reader in (("maxActive", "Integer.parseInt"), ("maxIdle", "Integer.parseInt"),
                                                      ("maxWait", "Long.parseLong")))
                        + "db.usage.port is not set; db.usage.driver names driver None, which CloudStack does "
                        "not load): it falls back on the database at localhost:3306"]


def packaged(**values: str | None) -> dict[str, str]:
    """The packaged db.properties.in with the values cloudstack-setup-databases fills in."""
    props = properties("db-properties-in-cloudstack.properties")
    props.update({"db.cloud.host": "198.18.0.100", "db.usage.host": "198.18.0.100", "db.cloud.driver": "jdbc:mysql",
                  "db.usage.driver": "jdbc:mysql", "db.cloud.password": "ENC(x)", "db.usage.password": "ENC(x)"})
    for key, value in values.items():
        key = key.replace("_", ".")
        if value is None:
            props.pop(key, None)
        else:
            props[key] = value
    return props


def test_packaged_file_filled_in_names_the_database():
    findings, evidence = db_host_findings(packaged(), OWN, "198.18.0.100")
    assert findings == []
    assert evidence["cloud"]["hosts"] == ["198.18.0.100"]
    assert evidence["cloud"]["built as TransactionLegacy.buildConnectionUri"] == "jdbc:mysql://198.18.0.100:3306/"


@pytest.mark.parametrize("values, finding", [
    ({"db.cloud.uri": "jdbc:mysql://localhost:3306/cloud"}, "db.cloud.uri names localhost (a loopback name)"),
    ({"db.usage.host": "127.0.1.1"}, "db.usage.host names 127.0.1.1 (a loopback address)"),
    ({"db.usage.host": "127.1"}, "db.usage.host names 127.1 (a loopback address)"),
    ({"db.cloud.uri": "jdbc:mariadb://[::1]:3306/cloud"}, "db.cloud.uri names ::1 (a loopback address)"),
    ({"db.cloud.host": "0:0:0:0:0:0:0:1"}, "db.cloud.host names 0:0:0:0:0:0:0:1 (a loopback address)"),
    ({"db.cloud.host": "ip6-localhost"}, "db.cloud.host names ip6-localhost (a loopback name)"),
    ({"db.cloud.host": "ms1"}, "db.cloud.host names ms1 (this server's own host name)"),
    ({"db.cloud.host": "ms1.lab.example"},
     "db.cloud.host names ms1.lab.example (mapped to 127.0.1.1, this server, in /etc/hosts)"),
    ({"db.cloud.host": "198.18.0.10"}, "db.cloud.host names 198.18.0.10 (an address of this server's own interfaces)"),
    ({"db.ha.enabled": "true"}, "db.cloud.host and db.cloud.replicas names localhost (a loopback name)"),
    ({"db.cloud.port": "33o6"}, "db.cloud.port is '33o6', not a number"),
    ({"db.cloud.host": None}, "db.cloud.host is not set"),
])
def test_this_server_in_any_spelling_is_a_finding(values, finding):
    findings, _ = db_host_findings(packaged(**{k.replace(".", "_"): v for k, v in values.items()}), OWN, None)
    assert any(finding in f for f in findings), findings


# Every number initDataSource parses outside a catch of its own (TransactionLegacy, apache/cloudstack):
# (key, what it is read with, whether 4.20's parseNumber forgives it).
PARSED_NUMBERS = [("db.cloud.port", 32, False), ("db.usage.port", 32, False),
                  ("db.cloud.timeBetweenEvictionRunsMillis", 64, False),
                  ("db.cloud.minEvictableIdleTimeMillis", 64, False),
                  *((f"db.{schema}.{name}", bits, True) for schema in ("cloud", "usage")
                    for name, bits in (("maxActive", 32), ("maxIdle", 32), ("maxWait", 64)))]


def loaded(extra_lines: str) -> dict[str, str]:
    """The filled-in packaged file with these lines appended (UTF-8), read as CloudStack loads it."""
    text = "".join(f"{k}={v}\n" for k, v in packaged().items()) + extra_lines
    return parse_java_properties_file(text, "db.properties")


@pytest.mark.parametrize("key, bits, lenient", PARSED_NUMBERS, ids=[k for k, _, _ in PARSED_NUMBERS])
@pytest.mark.parametrize("value", ["250 ", "250\\t", "25O", "", "2.5", "0x10", "1e3", "\\u00b2\\u2075", "250L",
                                   "- 1", "\\ud835\\udfd0\\ud835\\udfd1", "99999999999999999999", "٣٣٠٦"],
                         ids=["trailing-blank", "trailing-tab", "letter-O", "empty", "decimal", "hex", "exponent",
                              "superscripts", "long-suffix", "blank-after-sign", "math-bold-digits", "overflow",
                              "arabic-indic-as-utf-8"])
def test_a_number_java_refuses_falls_back_to_localhost(key, bits, lenient, value):
    props = loaded(f"{key}={value}\n")
    findings, evidence = db_host_findings(props, OWN, "198.18.0.100", "4.19.1.0")
    shown = f"{key} is {value!r} (to Java, reading ISO 8859-1: {props[key]!r})" if value == "٣٣٠٦" \
        else f"{key} is {props[key]!r}"
    assert len(findings) == 1 and f"{shown}, not a number" in findings[0], findings
    assert findings[0].endswith("it falls back on the database at localhost:3306")
    later, _ = db_host_findings(props, OWN, "198.18.0.100", "4.20.1.0")
    assert later == ([] if lenient else findings), later


def test_an_int_past_2_to_the_31_is_refused_where_a_long_still_reads_it():
    assert db_host_findings(loaded("db.cloud.maxActive=2147483648\n"), OWN, None)[0]
    assert db_host_findings(loaded("db.cloud.maxWait=2147483648\n"), OWN, None)[0] == []


@pytest.mark.parametrize("key, bits, lenient", PARSED_NUMBERS, ids=[k for k, _, _ in PARSED_NUMBERS])
@pytest.mark.parametrize("value", ["+3306", "0000000000000000003306", "\\u0663\\u0663\\u0660\\u0666",
                                   "\\uff13\\uff13\\uff10\\uff16", "\\u06f3\\u06f3\\u06f0\\u06f6",
                                   "\\u0969\\u0969\\u0966\\u096c"],
                         ids=["plus-sign", "leading-zeros", "arabic-indic", "fullwidth", "persian", "devanagari"])
def test_odd_numbers_java_reads_pass(key, bits, lenient, value):
    """Character.digit(char, 10) takes every Unicode decimal digit of the BMP: Integer.parseInt("٣٣٠٦") is
    3306. Properties.load(InputStream) reads the file as ISO 8859-1, so such a digit reaches Java only
    as a \\uXXXX escape (written as UTF-8 it is two Latin-1 characters: a finding above)."""
    findings, evidence = db_host_findings(loaded(f"{key}={value}\n"), OWN, "198.18.0.100", "4.19.1.0")
    assert findings == [], findings
    if key == "db.cloud.port":   # buildConnectionUri appends the int: an ASCII port in the URL
        assert evidence["cloud"]["built as TransactionLegacy.buildConnectionUri"] == "jdbc:mysql://198.18.0.100:3306/"


def test_a_missing_pool_number_falls_back_only_before_4_20():
    props = packaged(db_usage_maxIdle=None)
    assert "db.usage.maxIdle is not set" in db_host_findings(props, OWN, None)[0][0]
    assert db_host_findings(props, OWN, None, "4.20.0.0")[0] == []
    assert "db.usage.maxIdle is not set" in db_host_findings(props, OWN, None, "not a version")[0][0]


@pytest.mark.parametrize("removed", ["db.cloud.keyStore", "db.cloud.keyStorePassword", "db.cloud.trustStore",
                                     "db.cloud.trustStorePassword"])
def test_ssl_without_a_store_key_falls_back(removed):
    props = packaged(db_cloud_useSSL="TRUE")
    assert db_host_findings(props, OWN, None)[0] == []      # the packaged empty values are no nulls
    props.pop(removed)
    findings, _ = db_host_findings(props, OWN, None, "4.20.1.0")
    assert f"db.cloud.useSSL is true and {removed} is not set" in findings[0]
    assert db_host_findings({**props, "db.cloud.useSSL": "yes"}, OWN, None)[0] == []   # parseBoolean: only "true"


def test_the_uri_takes_precedence_over_a_local_host():
    props = packaged(**{"db_cloud_host": "localhost", "db_cloud_uri": "jdbc:mysql://198.18.0.100:3306/cloud"})
    assert db_host_findings(props, OWN, None)[0] == []


def test_java_reads_ip_literals_in_short_forms():
    assert str(java_address("127.1")) == "127.0.0.1" and str(java_address("[::1]")) == "::1"
    assert java_address("ms1") is None and java_address("256.1") is None
    assert local_meaning("[::ffff:127.0.0.1]", OwnNames()) == "a loopback address"


def test_rules_judge_the_raw_file_and_no_password_reaches_the_evidence():
    """The rule reads db.properties as the target holds it; masking is for what leaves (issue 18)."""
    raw = (recorded("db-properties-issue6813.properties")
           + "db.cloud.uri=jdbc:mysql://cloud:s3cret@[198.18.0.100:3306]/cloud?password=p4ss\n"
           + "db.root.password: r00t\nkeystore.passphrase secretpass\nother=ENC(c1pher)\n")
    text = redact_text(raw)
    for secret in ("db.cloud.password=cloud", "s3cret", "p4ss", "r00t", "secretpass", "c1pher"):
        assert secret not in text
    props = parse_java_properties(raw, "db.properties")
    props.update({k: v for k, v in packaged().items() if k not in props})
    _, evidence = db_host_findings(props, OWN, None)
    shown = redact(evidence)
    assert "s3cret" not in str(shown) and f"cloud:{MASK}@" in shown["cloud"]["db.cloud.uri"]


# --- own names -----------------------------------------------------------------------------------

def test_recorded_ip_addresses_hostname_and_hosts():
    pairs = parse_ip_addresses(recorded("ip-addr-debian12.txt"))
    assert ("lo", "127.0.0.1") in pairs and ("lo", "::1") in pairs and len(pairs) >= 3
    assert parse_hostname(recorded("hostname-sandbox.txt")) == "vm"
    assert [e.names for e in parse_etc_hosts(recorded("etc-hosts-sandbox.txt"))] == [("localhost",), ("runsc",), ("vm",)]


@pytest.mark.parametrize("call, message", [
    (lambda: parse_ip_addresses(""), "no address at all"),
    (lambda: parse_ip_addresses("1: lo    inet 127.0.0.1/8 scope"[:14]), "expected '<index>: <interface>"),
    (lambda: parse_ip_addresses("4: eth0    inet 300.0.0.1/24 scope global eth0"), "is not an address"),
    (lambda: parse_hostname("ms1\nms2\n"), "expected one host name"),
    (lambda: parse_hostname(""), "expected one host name"),
], ids=["ip-empty", "ip-truncated", "ip-bad-address", "hostname-two-lines", "hostname-empty"])
def test_fragments_are_unparsable(call, message):
    with pytest.raises(UnparsableOutput, match=message):
        call()


# --- only UnparsableOutput, fast -------------------------------------------------------------------

SEEDS = [recorded(n) for n in ("agent-properties-issue5240.properties", "jdbc-urls-published.txt",
                                "ip-addr-debian12.txt", "etc-hosts-sandbox.txt", "db-properties-issue6813.properties")]
SPECIALS = st.sampled_from(list("@,:[]()=/?#%. \t\n") + ["address=", "jdbc:mysql://", "(host=", "inet6 ", "::1"])


def mutated():
    """Random text, and recorded inputs cut, spliced and sprinkled with the formats' special characters."""
    def mutate(seed: str, cut: int, insert: list[str], at: int) -> str:
        cut %= len(seed) + 1
        at %= cut + 1
        return seed[:at] + "".join(insert) + seed[at:cut]
    return st.one_of(st.text(max_size=300),
                     st.builds(mutate, st.sampled_from(SEEDS), st.integers(0, 4000), st.lists(SPECIALS, max_size=8),
                               st.integers(0, 4000)))


def lines_of(text: str) -> list[str]:
    return text.splitlines() or [text]


@settings(max_examples=examples(200), deadline=None)
@given(mutated())
def test_agent_hosts_parser_raises_only_unparsable(text):
    for line in lines_of(text):
        try:
            parse_agent_hosts(line.partition("=")[2] or line)
        except UnparsableOutput:
            pass


@settings(max_examples=examples(200), deadline=None)
@given(mutated())
def test_jdbc_parser_raises_only_unparsable(text):
    for line in lines_of(text):
        try:
            parse_jdbc_url(line)
        except UnparsableOutput:
            pass


@settings(max_examples=examples(200), deadline=None)
@given(mutated())
def test_local_name_parsers_raise_only_unparsable(text):
    for parse in (parse_ip_addresses, parse_hostname, parse_etc_hosts):
        try:
            parse(text)
        except UnparsableOutput:
            pass


@settings(max_examples=examples(200), deadline=None)
@given(mutated())
def test_db_rule_on_mutated_properties_raises_only_target_errors(text):
    try:
        db_host_findings(parse_java_properties(text, "db.properties"), OWN, None)
    except UnparsableOutput:
        pass


BMP_DIGITS = st.characters(categories=["Nd"], max_codepoint=0xFFFF)


@settings(max_examples=examples(300), deadline=None)
@given(st.sampled_from(["", "+", "-"]), st.text(BMP_DIGITS, min_size=1, max_size=12),
       st.sampled_from([32, 64]))
def test_java_number_reads_any_bmp_decimal_digits_in_range(sign, digits, bits):
    value = int(sign + digits)          # Python's int() takes every Nd digit too
    expected = value if -2 ** (bits - 1) <= value < 2 ** (bits - 1) else None
    assert java_number(sign + digits, bits) == expected


@settings(max_examples=examples(300), deadline=None)
@given(st.text(max_size=30), st.text(st.characters(categories=["Zs", "Cc", "No", "Nl"]), min_size=1, max_size=3),
       st.integers(0, 30))
def test_java_number_refuses_any_blank_or_other_number_sign(text, other, at):
    """A blank, a control character, a superscript or a Roman numeral anywhere: NumberFormatException."""
    at %= len(text) + 1
    assert java_number(text[:at] + other + text[at:], 64) is None


def test_java_number_on_thousands_of_digits_is_no_number():
    assert java_number("9" * 5000, 64) is None and java_number("0" * 5000 + "7", 32) == 7


@pytest.mark.parametrize("url, message", [
    ("jdbc:mysql://[::1", "unclosed bracket"),
    ("jdbc:mysql://address=(host=198.18.0.100", "unclosed bracket"),
    ("jdbc:mysql://address=(host=198.18.0.100)(port=33", "unclosed bracket"),
    ("jdbc:mysql://198.18.0.100:3306,", "an empty host"),
    ("jdbc:mysql:", "expected jdbc:mysql://"),
])
def test_truncated_urls_are_unparsable(url, message):
    with pytest.raises(UnparsableOutput, match=message):
        parse_jdbc_url(url)


def test_a_truncated_host_value_is_a_finding_not_a_pass():
    after = properties("agent-properties-pr10524-after.txt")["host"]
    cut = compare_management_hosts(after[:-3], settings_rows("10.0.35.136,10.0.35.137")).findings
    assert cut == ["agent.properties host= ends in @sta, which is no algorithm CloudStack has "
                   "(static, roundrobin, shuffle)"]


def test_a_secret_is_learnt_in_both_readings_of_the_file():
    """A rule's evidence quotes values as CloudStack reads them (ISO 8859-1): a non-ASCII password is
    masked in that form too."""
    from stackaudit.collect.target_secrets import properties_secrets
    assert properties_secrets("db.cloud.password=pässwörd\ndb.cloud.host=x\n") == ["pässwörd", "pÃ¤sswÃ¶rd"]
    assert properties_secrets("db.cloud.password=ascii\n") == ["ascii"]
