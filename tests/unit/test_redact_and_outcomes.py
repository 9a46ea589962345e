"""Secrets never reach a report; outcomes map to the documented exit codes."""
from __future__ import annotations

from types import SimpleNamespace

import pytest

from stackaudit.errors import Unreachable
from stackaudit.report.outcomes import EXIT_BROKEN, EXIT_FAILED, EXIT_OK, EXIT_WARNING, Tally, classify
from stackaudit.config.redact import MASK, KnownSecrets, mask, redact, redact_text
from stackaudit.report.summary import Result

AGENT_PROPERTIES = """#Storage
guid=2f9a2c4e-5d0b-3c1e-9a7e-1f2d3c4b5a69
keystore.passphrase=lab-keystore-passphrase
host=198.18.0.10,198.18.0.11
"""
DB_PROPERTIES = "db.cloud.password=ENC(abc)\ndb.cloud.host=198.18.0.100\ndb.usage.password = plain-text\n"
PRIVATE_KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----\n"


def test_passwords_passphrases_and_keys_are_masked_and_the_rest_kept():
    text = redact_text(AGENT_PROPERTIES + DB_PROPERTIES + PRIVATE_KEY)
    for secret in ("lab-keystore-passphrase", "ENC(abc)", "plain-text", "b3BlbnNzaC1rZXktdjEAAAAA"):
        assert secret not in text
    assert f"keystore.passphrase={MASK}" in text and f"db.usage.password = {MASK}" in text
    assert "guid=2f9a2c4e-5d0b-3c1e-9a7e-1f2d3c4b5a69" in text and "db.cloud.host=198.18.0.100" in text


def test_secret_keys_in_records_are_masked_at_any_depth():
    pbd = {"OpaqueRef:1": {"device_config": {"target": "198.51.100.5", "chapuser": "iqn", "chappassword": "s3"},
                           "currently_attached": True}}
    accounts = [{"name": "admin", "user": [{"username": "admin", "apikey": "AK", "secretkey": "SK"}]}]
    assert redact(pbd)["OpaqueRef:1"]["device_config"] == {"target": "198.51.100.5", "chapuser": "iqn",
                                                                   "chappassword": MASK}
    assert redact(accounts)[0]["user"][0] == {"username": "admin", "apikey": MASK, "secretkey": MASK}
    assert redact({"password": ""}) == {"password": ""}   # unset stays visibly unset


def report(passed=False, skipped=False):
    return SimpleNamespace(passed=passed, skipped=skipped)


def call(error):
    return SimpleNamespace(excinfo=SimpleNamespace(value=error))


def test_assertion_is_failed_target_error_is_broken_anything_else_is_broken_too():
    assert classify(report(), call(AssertionError("x 1\nassert 1 == 2"))) == ("failed", "x 1")
    assert classify(report(), call(Unreachable("h: cannot connect"))) == ("broken", "h: cannot connect")
    assert classify(report(), call(KeyError("k"))) == ("broken", "KeyError: 'k'")
    assert classify(report(passed=True), None) == ("passed", None)


@pytest.mark.parametrize("outcomes, code", [
    ([("passed", "critical"), ("passed", "minor")], EXIT_OK),
    ([("failed", "critical"), ("broken", "normal")], EXIT_FAILED),       # a blocker outranks the rest
    ([("failed", "blocker")], EXIT_FAILED),
    ([("failed", "normal"), ("broken", "critical")], EXIT_BROKEN),       # cannot clear the gate unchecked
    ([("passed", "critical"), ("broken", "normal")], EXIT_BROKEN),
    ([("failed", "normal"), ("failed", "minor"), ("passed", "critical")], EXIT_WARNING),
])
def test_exit_code_tells_blocker_could_not_check_and_warning_apart(outcomes, code):
    tally = Tally()
    tally.results = [Result("X", str(i), status, "", severity) for i, (status, severity) in enumerate(outcomes)]
    assert tally.exit_code() == code


def test_a_stored_collection_error_is_raised_again_as_its_own_type():
    from stackaudit.errors import AuthenticationFailed, CollectionFailed, error_record, raise_if_error
    with pytest.raises(AuthenticationFailed, match="h: host key unknown"):
        raise_if_error(error_record(AuthenticationFailed("h: host key unknown")))
    with pytest.raises(CollectionFailed, match="odd"):
        raise_if_error({"error": {"type": "SchemaError", "message": "odd"}})   # not a TargetError: broken anyway
    raise_if_error({"rows": []})


def test_known_values_are_masked_leftmost_then_longest_as_an_alternation_would():
    known = ["secret1", "secret12345", "abcdef", "cdefgh"]
    assert mask("a secret12345 b secret1 c abcdefgh", known) == f"a {MASK} b {MASK} c {MASK}gh"


def test_a_cloud_of_thousands_of_host_secrets_masks_each_one():
    """One keystore.passphrase per KVM host: every one is masked, however many the process knows."""
    values = [f"passphrase-of-host-{i:05d}" for i in range(5000)]
    registry = KnownSecrets(values)
    text = "\n".join(f"keystore={v} host={i}" for i, v in enumerate(values[::97]))
    masked = mask(text, registry)
    assert not any(v in masked for v in values) and masked.count(MASK) == len(values[::97])
    registry.remember("learnt-after-the-first-search")
    assert mask("x learnt-after-the-first-search y", registry) == f"x {MASK} y"
