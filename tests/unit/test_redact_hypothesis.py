"""Property tests of the redaction functions: on any text and any record they return (never raise);
masking twice is masking once; and a secret planted in random text, by value or in any
shape, never survives."""
from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stackaudit.config.redact import _BARE_SECRET_WORD as BARE_SECRET_WORD
from stackaudit.config.redact import COMMON_VALUES, MASK, KnownSecrets, mask, redact, redact_text
from stackaudit.config import secret_shapes
from stackaudit.config.secret_shapes import mask_shapes
from tests.unit.hypothesis_budget import examples

FAST = settings(max_examples=examples(300), deadline=None, suppress_health_check=[HealthCheck.too_slow])
# Text built from the pieces secrets sit among: separators, quotes, key words, armor.
PIECES = st.sampled_from([" ", "\n", "=", ":", "'", '"', "-", "--", "-p", "@", "//", "&", "?", "<", ">", "</",
                          "*", "password", "secret", "apikey", "mysql ", "sshpass ", "name", "value", "{", "}",
                          ",", "ENC(", ")", "-----BEGIN RSA PRIVATE KEY-----", "-----END RSA PRIVATE KEY-----",
                          "Private-Lines: 2", "Private-MAC: ab", "\t", "\r\n", MASK, "x", "0"])
NOISY_TEXT = st.one_of(st.text(max_size=300), st.lists(st.one_of(PIECES, st.text(max_size=5)), max_size=60)
                       .map("".join))
# A secret: printable, no whitespace, quote or backslash (so a shape's bare value is all of it; JSON
# escapes quotes and backslashes, see the test of json.dumps below; a URL's userinfo holds no @),
# long enough
# to be remembered, and not a bare secret word (those are left to the shapes).
SECRET = st.text(st.characters(min_codepoint=33, max_codepoint=126, exclude_characters="'\"<>&;,)*\\@"),
                 min_size=8, max_size=24).filter(
    # a common value (CloudStack, changeme, ...) is masked only in position, never by value
    lambda s: not BARE_SECRET_WORD.fullmatch(s) and s.lower() not in COMMON_VALUES)
SHAPES = [
    "--password={}", "--db-password {}", "mysql -u root -p{} cloud", "sshpass -p {} ssh root@h",
    "-Djavax.net.ssl.keyStorePassword={}", "mysql://cloud:{}@db:3306/cloud", '{{"password": "{}"}}',
    "<password>{}</password>", "secret_key = {}", '{{"name": "secretkey", "value": "{}"}}',
    "{{'value': '{}', 'name': 'apikey'}}", "db.cloud.encrypt.secret={}", "keystore.passphrase={}",
    "ldap.bind.password: {}", "PASSWORD={}", "api?command=listHosts&apikey={}&x=1",
    "-----BEGIN OPENSSH PRIVATE KEY-----\n{}\n-----END OPENSSH PRIVATE KEY-----",
    "-----BEGIN PGP PRIVATE KEY BLOCK-----\n\n{}", "Private-Lines: 1\n{}\nPrivate-MAC: 00",
    "update configuration name='ldap.bind.password' value={}",
]


@FAST
@given(NOISY_TEXT, st.lists(st.text(min_size=1, max_size=12), max_size=4))
def test_mask_returns_text_and_twice_is_once(text, known):
    once = mask(text, known)
    assert isinstance(once, str)
    assert mask(once, known) == once


@FAST
@given(NOISY_TEXT)
def test_shapes_alone_never_raise_and_the_fast_path_changes_nothing(text):
    masked = mask_shapes(text)
    assert isinstance(masked, str)
    if not secret_shapes.may_hold_shaped_secret(text):    # skipped: running every pattern finds nothing
        assert masked == text
        everything = secret_shapes.may_hold_shaped_secret
        try:
            secret_shapes.may_hold_shaped_secret = lambda _text: True
            assert mask_shapes(text) == text
        finally:
            secret_shapes.may_hold_shaped_secret = everything


@FAST
@given(NOISY_TEXT, SECRET, NOISY_TEXT)
def test_a_known_secret_never_survives(before, secret, after):
    assert secret not in mask(before + secret + after, [secret])


@FAST
@given(NOISY_TEXT, st.sampled_from(SHAPES), SECRET, NOISY_TEXT)
def test_a_shaped_secret_never_survives_in_place_and_teaches_nothing(before, shape, secret, after):
    """Masked where its shape puts it; the same text elsewhere is a tenant's to write (issue 18)."""
    registry = KnownSecrets()
    text = before + "\n" + shape.format(secret) + "\n" + after
    masked = redact_text(text, registry)
    assert masked.count(secret) <= before.count(secret) + after.count(secret)
    assert redact_text(masked, registry) == masked and len(registry) == 0


JSON_VALUES = st.recursive(st.one_of(st.none(), st.booleans(), st.integers(), NOISY_TEXT),
                           lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                   st.dictionaries(st.one_of(st.sampled_from(
                                                       ["name", "value", "password", "secretkey", "id"]),
                                                       st.text(max_size=8)), inner, max_size=4)), max_leaves=20)


@FAST
@given(JSON_VALUES)
def test_records_keep_their_shape_and_twice_is_once(value):
    registry = KnownSecrets()
    once = redact(value, registry)
    assert type(once) is type(value) or isinstance(value, tuple)
    assert redact(once, registry) == once


@FAST
@given(st.dictionaries(st.sampled_from(["id", "note", "zone"]), NOISY_TEXT, max_size=3), SECRET)
def test_a_secret_under_a_secret_name_in_a_record_never_survives_in_place(row, secret):
    record = [{**row, "secretkey": secret}, {"name": "db.cloud.password", "value": secret}]
    masked = redact(record, KnownSecrets())
    assert masked[0]["secretkey"] == MASK and masked[1] == {"name": "db.cloud.password", "value": MASK}


@FAST
# (a secret that is the mask itself, or within it, would "survive" as the mask)
@given(st.text(min_size=8, max_size=24).filter(lambda s: s.strip() == s and not BARE_SECRET_WORD.fullmatch(s)
                                               and s not in MASK))
def test_any_secret_in_a_json_field_never_survives(secret):
    text = json.dumps({"password": secret, "other": 1})
    encoded = json.dumps(secret)[1:-1]
    assert encoded not in redact_text(text, KnownSecrets())
