"""DB-NO-KNOWN-PASSWORD: the accounts parser on rows recorded from MariaDB 10.11 and from MariaDB's
own documentation, the hash formula on a known vector, and the rule's verdicts."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stackaudit.errors import UnparsableOutput
from stackaudit.parsers.mysql_accounts import Account, Login, account_secrets, parse_accounts
from stackaudit.rules.db_accounts import account_findings, native_hash, unchecked_plugins
from tests.unit.hypothesis_budget import examples

RECORDED = Path(__file__).resolve().parent.parent / "data" / "recorded"
GLOBAL_PRIV = "SELECT User, Host, Priv FROM mysql.global_priv"
PUBLISHED = ["password", "Cl0ud5tack"]


def recorded(name: str) -> list[dict]:
    return json.loads((RECORDED / name).read_text())


def test_the_native_hash_is_mariadbs_password_function():
    # PASSWORD('password') and PASSWORD('Cl0ud5tack') as MariaDB 10.11.19 printed them
    assert native_hash("password") == "*2470C0C06DEE42FD1618BB99005ADCA2EC9D1E19"
    assert native_hash("Cl0ud5tack") == "*872634680C9A0C9C112B698C032F89005BD4F230"


def test_global_priv_recorded_on_mariadb_10_11():
    accounts = {a.name: a for a in parse_accounts(recorded("mariadb-10.11-global-priv.json"), GLOBAL_PRIV)}
    assert accounts["'root'@'localhost'"].logins == (Login("mysql_native_password", "invalid"), Login("unix_socket"))
    assert accounts["'either'@'%'"].logins == (Login("unix_socket"), Login("mysql_native_password", native_hash("password")))
    assert accounts["'mariadb.sys'@'localhost'"].locked and accounts["'old'@'%'"].locked
    assert accounts["'auditors'@''"].role and not accounts["'cloud2'@'%'"].role
    assert accounts["''@'localhost'"].logins == (Login("mysql_native_password", ""),)


def test_the_rule_on_the_recorded_server_names_each_account_and_never_a_password_or_hash():
    accounts = parse_accounts(recorded("mariadb-10.11-global-priv.json"), GLOBAL_PRIV)
    findings = account_findings(accounts, PUBLISHED)
    assert findings == [
        "''@'localhost' (mysql_native_password) has an empty password",
        "'cloud2'@'%' has a password that matches a published password",
        "'either'@'%' has a password that matches a published password",
        "'nopw'@'%' (mysql_native_password) has an empty password",
    ]
    text = " ".join(findings)
    assert "2470C0" not in text and "Cl0ud5tack" not in text and "'password'" not in text


def test_the_documentations_example_is_read_and_its_hash_is_no_published_one():
    accounts = parse_accounts(recorded("mariadb-kb-global-priv-example.json"), GLOBAL_PRIV)
    assert [a.name for a in accounts] == ["'root'@'localhost'", "'msandbox'@'127.%'"]
    assert account_findings(accounts, PUBLISHED) == []
    assert account_findings(accounts, ["msandbox"]) == [
        "'root'@'localhost' has a password that matches a published password",
        "'msandbox'@'127.%' has a password that matches a published password"]


@pytest.mark.parametrize("row, finding", [
    ({"User": "u", "Host": "%", "plugin": "mysql_native_password", "authentication_string": "",
      "Password": native_hash("password"), "is_role": "N"}, "matches a published password"),   # MariaDB 10.3
    ({"User": "u", "Host": "%", "plugin": "", "authentication_string": "", "Password": ""}, "empty password"),
    ({"User": "u", "Host": "%", "plugin": "caching_sha2_password", "authentication_string": "",
      "account_locked": "N"}, "(caching_sha2_password) has an empty password"),
    ({"User": "u", "Host": "%", "plugin": "mysql_native_password", "authentication_string": "",
      "account_locked": "Y"}, None),
    ({"User": "u", "Host": "%", "plugin": "auth_socket", "authentication_string": ""}, None),
])
def test_the_user_table_of_older_servers(row, finding):
    findings = account_findings(parse_accounts([row], "SELECT ... FROM mysql.user"), PUBLISHED)
    assert (finding is None and findings == []) or (len(findings) == 1 and finding in findings[0])


def test_salted_and_unknown_plugins_pass_and_are_named_as_not_compared():
    account = Account("app", "%", (Login("ed25519", "ZIgUREUg5PVgQ6LskhXmO+eZLS0nC8be6HPjYWR4YJY"),), False, False)
    pam = Account("ops", "%", (Login("pam"),), False, False)
    empty = Account("e", "%", (Login("ed25519"),), False, False)
    assert account_findings([account, pam], PUBLISHED) == []
    assert unchecked_plugins([account, pam, empty]) == ["'app'@'%' (ed25519)", "'ops'@'%' (pam)"]


def test_secrets_are_every_stored_string_and_never_in_a_repr():
    rows = recorded("mariadb-10.11-global-priv.json")
    assert sorted(set(account_secrets(rows))) == sorted({native_hash("password"), native_hash("Cl0ud5tack"),
                                                         "*6D09E60FB82D80C6C38FB119E997CC1BF95A1D7E",
                                                         "*422052E5C567B9C0947893E5E3EC2228BD986BD5"})
    # root's `invalid` is no secret: as one, every "invalid" of every output would be masked
    assert "invalid" not in account_secrets(rows)
    assert "2470C0" not in repr(parse_accounts(rows, GLOBAL_PRIV))


@pytest.mark.parametrize("rows, message", [
    ([{"User": "a", "Host": "%", "Priv": "{not json"}], "mysql.global_priv: a Priv value is not JSON"),
    ([{"User": "a", "Host": "%", "Priv": "[]"}], "mysql.global_priv: a Priv value is not a JSON object"),
    ([{"User": "a", "Host": "%", "Priv": '{"auth_or": {}}'}], "mysql.global_priv 'a'@'%': auth_or is not a list"),
    ([{"User": "a", "Priv": "{}"}], "mysql.global_priv: expected User, Host and Priv"),
    ("denied", "expected a list of rows"),
])
def test_malformed_rows_are_unparsable_with_a_clear_message(rows, message):
    with pytest.raises(UnparsableOutput, match=None) as raised:
        parse_accounts(rows, GLOBAL_PRIV)
    assert message in str(raised.value)


JSON_VALUES = st.recursive(st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=12)),
                           lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                   st.dictionaries(st.text(max_size=8), inner, max_size=3)),
                           max_leaves=8)
PRIV = st.one_of(st.text(max_size=30), JSON_VALUES.map(json.dumps),
                 st.dictionaries(st.sampled_from(["plugin", "authentication_string", "auth_or", "account_locked",
                                                  "is_role"]), JSON_VALUES, max_size=5).map(json.dumps))


@settings(max_examples=examples(200), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.fixed_dictionaries({"User": st.text(max_size=8), "Host": st.text(max_size=8), "Priv": PRIV}),
                max_size=4))
def test_any_global_priv_document_is_accounts_or_unparsable(rows):
    try:
        accounts = parse_accounts(rows, GLOBAL_PRIV)
    except UnparsableOutput:
        return
    findings = account_findings(accounts, PUBLISHED)
    assert all(f.startswith("'") for f in findings)
    account_secrets(rows)
