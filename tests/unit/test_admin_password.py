"""MS-ADMIN-DEFAULT-PASSWORD: the stored-password parser and the recomputation on CloudStack's own
encoder test vectors (tests/data/recorded/cloudstack-authenticator-test-vectors.json), the rule's
verdicts, and that neither the stored value nor a default reaches a message, a repr or the evidence."""
from __future__ import annotations

import base64
import hashlib
import json
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stackaudit.collect import collected
from stackaudit.collect.collected import Collected
from stackaudit.collect.declared.admin_users import ADMIN_USERS, INSTALL_ADMIN, ROOT_ADMINS
from stackaudit.collect.facts import Facts
from stackaudit.collect.readers import ask_query
from stackaudit.config.policy import policy_from_data
from stackaudit.errors import CollectionFailed, ConfigError, NotCheckable, UnparsableOutput
from stackaudit.parsers.cloudstack_passwords import (MD5, PBKDF2, SHA256SALT, UNKNOWN, admin_evidence,
                                                     admin_password_secrets, java_split_colon, parse_admin_users,
                                                     parse_stored_password)
from stackaudit.rules.admin_password import default_password_findings, matches, pbkdf2_encoding, sha256salt_hash
from stackaudit.targets import Target
from tests.unit.hypothesis_budget import examples
from tests.unit.numbers_strategy import java_parse, number_texts
from tests.unit.test_declarations import Store

RECORDED = Path(__file__).resolve().parent.parent / "data" / "recorded"
VECTORS = json.loads((RECORDED / "cloudstack-authenticator-test-vectors.json").read_text())
PBKDF2_PASSWORD = VECTORS[0]["stored"]
SHA256_PASSWORD = VECTORS[2]["stored"]
MD5_PASSWORD = "5f4dcc3b5aa765d61d8327deb882cf99"
DEFAULTS = ["password", "admin"]


def row(stored, user_id=2, state="enabled", source="UNKNOWN") -> dict:
    return {"id": user_id, "username": "admin", "password": stored, "state": state, "source": source}


@pytest.mark.parametrize("vector", VECTORS, ids=[f"vector{i}" for i in range(len(VECTORS))])
def test_cloudstacks_own_vectors_get_cloudstacks_verdicts(vector):
    stored = parse_stored_password(vector["stored"])
    if vector.get("authenticator") == "PBKDF2":
        # md5 hex is not the PBKDF2 authenticator's format; the MD5 one reads it (and takes "password")
        assert stored.encoder == MD5 and matches(stored, vector["password"])
    else:
        assert matches(stored, vector["password"]) is vector["authenticates"]


def test_the_formats_and_their_parameters():
    pbkdf2 = parse_stored_password(PBKDF2_PASSWORD)
    assert (pbkdf2.encoder, pbkdf2.rounds, len(pbkdf2.salt)) == (PBKDF2, 4096, 64)
    sha = parse_stored_password(SHA256_PASSWORD)
    assert (sha.encoder, len(sha.salt)) == (SHA256SALT, 32)
    assert parse_stored_password(MD5_PASSWORD).encoder == MD5
    # ConfigurationServerImpl's RAND() of an admin never enabled; upper-case hex is not what MD5 writes
    for other in ("0.8330478312745317", MD5_PASSWORD.upper(), "", "a:b:c:d", "!!:x", "c2FsdA==:a2V5:0", "c2FsdA==:a2V5:-5"):
        assert parse_stored_password(other).encoder == UNKNOWN, other


def test_strings_split_as_java_splits_them():
    assert java_split_colon("salt:hash:") == ["salt", "hash"]       # trailing empties dropped: SHA256SALT's two parts
    assert java_split_colon("a::b") == ["a", "", "b"] and java_split_colon("") == [""]
    assert parse_stored_password(SHA256_PASSWORD + ":").encoder == SHA256SALT
    assert matches(parse_stored_password(SHA256_PASSWORD + "::"), "password")


def test_rounds_are_read_as_isNumeric_then_parseInt():
    salt, key, _ = PBKDF2_PASSWORD.split(":")
    assert parse_stored_password(f"{salt}:{key}:\u0664\u0660\u0669\u0666").rounds == 4096     # Arabic-Indic 4096
    assert parse_stored_password(f"{salt}:{key}:+4096").encoder == UNKNOWN                  # isNumeric: no sign
    assert parse_stored_password(f"{salt}:{key}:99999999999").encoder == UNKNOWN            # parseInt overflows


def test_the_default_admin_with_a_default_password_fails_naming_only_user_and_format():
    for stored, encoder in ((PBKDF2_PASSWORD, "PBKDF2"), (SHA256_PASSWORD, "SHA256SALT"), (MD5_PASSWORD, "MD5")):
        findings = default_password_findings(parse_admin_users([row(stored)]), DEFAULTS, 10_000_000)
        assert findings == [f"user 2 (admin, enabled) still has a default password ({encoder}): change it"]
        assert stored[:6] not in findings[0]


def test_a_changed_a_never_enabled_and_a_removed_admin_pass():
    changed = pbkdf2_encoding("n0t-a-default", b"s" * 64, 1000)
    for rows in ([row(changed)], [row("0.8330478312745317", state="disabled")], []):
        assert default_password_findings(parse_admin_users(rows), DEFAULTS, 10_000_000) == []


def test_the_policy_decides_which_passwords_are_defaults():
    users = parse_admin_users([row(pbkdf2_encoding("Sup3rSecret", b"x" * 64, 10))])
    assert default_password_findings(users, DEFAULTS, 100) == []
    assert default_password_findings(users, ["Sup3rSecret"], 100) != []
    # a default stored as plain text (the PLAINTEXT authenticator reads it so) is found too
    assert "(plain text)" in default_password_findings(parse_admin_users([row("admin")]), DEFAULTS, 100)[0]
    # no authenticator takes an empty password
    assert not matches(parse_stored_password(""), "")


def test_rounds_above_the_policy_are_not_recomputed():
    salt, key, _ = PBKDF2_PASSWORD.split(":")
    users = parse_admin_users([row(f"{salt}:{key}:2000000000")])
    with pytest.raises(NotCheckable, match="2000000000 rounds, more than admin.max_pbkdf2_rounds"):
        default_password_findings(users, DEFAULTS, 10_000_000)


def test_the_stored_value_stays_out_of_reprs_and_evidence_and_is_known_as_a_secret():
    users = parse_admin_users([row(PBKDF2_PASSWORD, source="LDAP")])
    shown = repr(users) + json.dumps(admin_evidence(users))
    assert "FMDMdx" not in shown and "+u8T5L" not in shown
    assert admin_evidence(users) == [{"id": 2, "username": "admin", "state": "enabled", "source": "LDAP",
                                      "encoder": "PBKDF2"}]
    assert admin_password_secrets([row(PBKDF2_PASSWORD), row(None), "junk"]) == [PBKDF2_PASSWORD]
    assert admin_password_secrets("not rows") == []


@pytest.mark.parametrize("rows, message", [
    ("Error", "expected a list of rows"),
    ([{"id": 2, "username": "admin"}], "expected the columns id, username, password, state, source"),
    ([row(PBKDF2_PASSWORD, user_id="two")], "id 'two' is not a number"),
    ([{**row(PBKDF2_PASSWORD), "state": 3.5}], "state is a float"),
])
def test_rows_it_does_not_understand_are_unparsable(rows, message):
    with pytest.raises(UnparsableOutput, match=message):
        parse_admin_users(rows)


def test_the_policy_keys_and_their_checks():
    assert policy_from_data({}, "p").admin.default_passwords == ("password", "admin")
    assert policy_from_data({"admin": {"default_passwords": ["x"]}}, "p").admin.default_passwords == ("x",)
    with pytest.raises(ConfigError, match="admin.default_passwords"):
        policy_from_data({"admin": {"default_passwords": []}}, "p")
    with pytest.raises(ConfigError, match="max_pbkdf2_rounds"):
        policy_from_data({"admin": {"max_pbkdf2_rounds": 0}}, "p")


@settings(max_examples=examples(200), deadline=None)
@given(password=st.text(max_size=12), other=st.text(min_size=1, max_size=12), salt=st.binary(min_size=1, max_size=64),
       rounds=st.integers(1, 50))
def test_an_encoding_matches_its_own_password_only(password, other, salt, rounds):
    stored = parse_stored_password(pbkdf2_encoding(password, salt, rounds))
    assert (stored.encoder, stored.rounds, stored.salt) == (PBKDF2, rounds, salt)
    assert matches(stored, password) is bool(password)
    sha = parse_stored_password(f"{base64.b64encode(salt).decode()}:{sha256salt_hash(password, salt)}")
    assert sha.encoder == SHA256SALT and matches(sha, password) is bool(password)
    if other != password:
        assert not matches(stored, other) and not matches(sha, other)


def test_pbkdf2_takes_each_utf16_units_low_byte_as_bouncy_castle_does():
    # PKCS5PasswordToBytes: (byte) of each char, so "é" (U+00E9) is the byte E9 and "ĩ" (U+0129) is 29 too
    salt = b"s" * 16
    key = hashlib.pbkdf2_hmac("sha1", b"\xe9", salt, 5, 64)
    assert pbkdf2_encoding("é", salt, 5).split(":")[1] == base64.b64encode(key).decode()
    assert pbkdf2_encoding("\u01e9", salt, 5) == pbkdf2_encoding("é", salt, 5)


@settings(max_examples=examples(300), deadline=None)
@given(rounds=number_texts(blanks=False))
def test_rounds_texts_read_as_cloudstack_reads_them(rounds):
    salt, key, _ = PBKDF2_PASSWORD.split(":")
    stored = parse_stored_password(f"{salt}:{key}:{rounds}")
    value = java_parse(rounds, 32) if rounds[:1] not in "+-" else None    # isNumeric refuses a sign
    expected = value if value is not None and value >= 1 else None
    assert (stored.rounds if stored.encoder == PBKDF2 else None) == expected


@settings(max_examples=examples(300), deadline=None)
@given(st.lists(st.dictionaries(st.sampled_from(["id", "username", "password", "state", "source", "x"]),
                                st.one_of(st.none(), st.text(max_size=30), st.integers(), st.binary(max_size=8),
                                          st.floats(), st.booleans())), max_size=3))
def test_any_rows_parse_or_are_refused_clearly(rows):
    try:
        users = parse_admin_users(rows)
    except UnparsableOutput:
        return
    for user in users:
        default_password_findings([user], DEFAULTS, 100)


@pytest.fixture
def no_allure(monkeypatch):
    monkeypatch.setattr("stackaudit.collect.facts.allure.attach", lambda *args, **kwargs: None)


class CloudUserTable:
    """A connection that answers the two admin statements from rows of cloud.user (and records what it
    was asked): id 2 with a random PBKDF2 value, and id 3 (ops, of a root-admin account) with the
    default "password" in PBKDF2, CloudStack's own test vector."""
    ANSWERS = {INSTALL_ADMIN: [row("0.83")],
               ROOT_ADMINS: [row("0.83"), {**row(PBKDF2_PASSWORD, user_id=3), "username": "ops"}]}

    def __init__(self):
        self.asked: list[str] = []

    def cursor(self):
        table = self

        class Cursor:
            def __enter__(self):
                return self

            def __exit__(self, *exc):
                return False

            def execute(self, statement):
                table.asked.append(statement)
                self.statement = statement

            def fetchall(self):
                return table.ANSWERS[self.statement]
        return Cursor()


def judged_as_collected(policy_data: dict) -> tuple[list[str], list[int], list[str]]:
    """(statements asked, user ids judged, findings) of one collection and judgement under the policy."""
    policy = policy_from_data(policy_data, "p")
    conn = CloudUserTable()
    answer = ask_query(conn, "db://db1", ADMIN_USERS, {}, policy)
    facts = Facts(Target("db", "db1"), Store({"sql": collected.store("sql", [answer])}))
    users = facts.admin_users
    return conn.asked, [u.id for u in users], default_password_findings(users, list(policy.admin.default_passwords),
                                                                        policy.admin.max_pbkdf2_rounds)


def test_without_check_all_root_admins_only_id_2_is_read_and_judged(no_allure):
    asked, judged, findings = judged_as_collected({})
    assert asked == [INSTALL_ADMIN] and "id = 2" in INSTALL_ADMIN and "account" not in INSTALL_ADMIN
    assert judged == [2] and findings == []


def test_check_all_root_admins_reads_every_root_admin_and_names_the_one_with_a_default(no_allure):
    asked, judged, findings = judged_as_collected({"admin": {"check_all_root_admins": True}})
    assert asked == [ROOT_ADMINS] and "a.type = 1" in ROOT_ADMINS and "u.removed IS NULL" in ROOT_ADMINS
    assert judged == [2, 3]
    assert findings == ["user 3 (ops, enabled) still has a default password (PBKDF2): change it"]


def test_check_all_root_admins_is_a_boolean_policy_key():
    assert policy_from_data({}, "p").admin.check_all_root_admins is False
    with pytest.raises(ConfigError, match=r"admin.check_all_root_admins.*true or false") as error:
        policy_from_data({"admin": {"check_all_root_admins": "yes"}}, "p")
    assert "\n" not in str(error.value)


@pytest.mark.parametrize("statement, grant", [
    (INSTALL_ADMIN, "cannot read cloud.user: GRANT SELECT (id, username, password, state, source, removed) ON cloud.user "
                    "TO the audit user"),
    (ROOT_ADMINS, "cannot read cloud.user and cloud.account: GRANT SELECT (id, username, password, state, source, "
                  "removed, account_id) ON cloud.user and GRANT SELECT (id, type) ON cloud.account TO the audit user"),
])
def test_a_refused_statement_names_the_grants_it_needs(statement, grant, no_allure):
    refused = Collected("sql", "admin_users", None, statement,
                        error={"type": "CollectionFailed", "message": "(1142, 'SELECT command denied')"})
    facts = Facts(Target("db", "db1"), Store({"sql": collected.store("sql", [refused])}))
    with pytest.raises(CollectionFailed, match=re.escape(grant)):
        facts.admin_users
