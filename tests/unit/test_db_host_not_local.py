"""MS-DB-HOST-NOT-LOCAL: db.properties read as CloudStack reads it (numbers as Java parses them), and whether
it names this server in any spelling (its own names and addresses); recorded inputs: tests/unit/properties_samples.py."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stackaudit.errors import UnparsableOutput
from stackaudit.parsers.localnames import OwnNames, parse_etc_hosts, parse_hostname, parse_ip_addresses
from stackaudit.parsers.properties import parse_java_properties, parse_java_properties_file
from stackaudit.config.redact import MASK, redact, redact_text
from stackaudit.rules.db_properties import db_host_findings, java_address, java_number, local_meaning
from tests.unit.hypothesis_budget import examples
from tests.unit.properties_samples import mutated, properties, recorded


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


def test_a_secret_is_learnt_in_both_readings_of_the_file():
    """A rule's evidence quotes values as CloudStack reads them (ISO 8859-1): a non-ASCII password is
    masked in that form too."""
    from stackaudit.collect.target_secrets import properties_secrets
    assert properties_secrets("db.cloud.password=pässwörd\ndb.cloud.host=x\n") == ["pässwörd", "pÃ¤sswÃ¶rd"]
    assert properties_secrets("db.cloud.password=ascii\n") == ["ascii"]
