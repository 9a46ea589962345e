"""CloudStack request signing as the management server checks it (apache/cloudstack ApiServer.verifyRequest, [CS-CODE])."""
from datetime import datetime, timedelta, timezone

import pytest
from cs import CloudStack

from lab.sim.cloudstack_signing import canonical_query, compute_signature, parse_expires, verify

DOC_SECRET = "VDaACYb0LV9eNjTetIOElcVQkvJck_J_QljX_FcHRj87ZKiy0z0ty0ZsYBkoXkY9b7eq1EhwJaw7FF3akA3KBQ"
DOC_PARAMS = {"apiKey": "plgWJfZK4gyS3mOMTVmjUVg-X-jlWlnfaUJ9GAbBbf9EdM-kAYMmAiLqzzq1ElZLYq_u38zCm0bewzGUdP66mg",
              "command": "listUsers", "response": "json"}
NOW = datetime(2025, 6, 1, 12, 0, tzinfo=timezone.utc)


def signed(params: dict, secret: str = "s3cret") -> dict:
    return {**params, "signature": compute_signature(params, secret)}


def test_documented_vector():
    assert canonical_query(DOC_PARAMS) == (
        "apikey=plgwjfzk4gys3momtvmjuvg-x-jlwlnfauj9gabbbf9edm-kaymmailqzzq1elzlyq_u38zcm0bewzgudp66mg"
        "&command=listusers&response=json")
    assert compute_signature(DOC_PARAMS, DOC_SECRET) == "TTpdDq/7j/J58XCRHomKoQXEQds="
    assert verify({**DOC_PARAMS, "signature": "TTpdDq/7j/J58XCRHomKoQXEQds="}, DOC_SECRET, NOW)


def test_sort_is_case_sensitive_on_raw_names():
    assert canonical_query({"b": "1", "Zone": "2", "a": "3"}) == "zone=2&a=3&b=1"


def test_java_url_encoding():
    assert canonical_query({"v": "a~b c*d.e-f_g+h/é"}) == "v=a%7eb%20c*d.e-f_g%2bh%2f%c3%a9"


def test_repeated_parameter_uses_first_value_and_signature_is_skipped():
    assert canonical_query({"a": ["1", "2"], "signature": "x", "Signature": "y"}) == "a=1"


def test_agrees_with_the_cs_client_without_tilde():
    params = {"apiKey": "AK", "command": "listHosts", "response": "json", "keyword": "a b*c",
              "signatureVersion": "3", "expires": "2030-01-01T00:00:00+0000"}
    client_params = dict(params)
    CloudStack(endpoint="http://unused", key="AK", secret="SK")._sign(client_params)
    assert client_params["signature"] == compute_signature(params, "SK")


def test_cs_client_signature_with_tilde_does_not_verify():
    params = {"apiKey": "AK", "command": "listHosts", "keyword": "a~b"}
    CloudStack(endpoint="http://unused", key="AK", secret="SK")._sign(params)
    assert not verify(params, "SK", NOW)


def test_wrong_secret_or_missing_parts_fail():
    params = signed({"apiKey": "AK", "command": "listHosts"})
    assert verify(params, "s3cret", NOW)
    assert not verify(params, "other", NOW)
    assert not verify({k: v for k, v in params.items() if k != "apiKey"}, "s3cret", NOW)
    assert not verify({k: v for k, v in params.items() if k != "signature"}, "s3cret", NOW)


def test_special_names_are_case_insensitive():
    params = signed({"APIKEY": "AK", "command": "listHosts", "SignatureVersion": "3",
                     "EXPIRES": "2025-06-01T11:00:00Z"})
    assert not verify(params, "s3cret", NOW)  # expired, although spelt in other cases
    assert verify(params, "s3cret", NOW - timedelta(hours=2))


@pytest.mark.parametrize("expires", [None, "2025-06-01T11:59:59+0000", "tomorrow", "2025-06-01 13:00:00"])
def test_version_3_needs_a_valid_future_expires(expires):
    params = {"apiKey": "AK", "command": "listHosts", "signatureVersion": "3"}
    if expires is not None:
        params["expires"] = expires
    assert not verify(signed(params), "s3cret", NOW)


def test_expires_is_ignored_without_version_3():
    params = signed({"apiKey": "AK", "command": "listHosts", "signatureVersion": "2", "expires": "2000-01-01T00:00:00Z"})
    assert verify(params, "s3cret", NOW)


@pytest.mark.parametrize("text", [
    "2025-06-01T13:00:00+01:00",  # ISO_OFFSET_DATE_TIME
    "2025-06-01T12:00:00+0000",  # yyyy-MM-dd'T'HH:mm:ssZ (what cs sends)
    "2025-06-01T12:00:00Z",  # ISO_INSTANT
    "2025-06-01T12:00:00.000000+0000",  # microseconds
    "2025-06-01T12:00:00Z+0000",  # legacy
])
def test_accepted_expires_formats(text):
    assert parse_expires(text) == NOW
    assert verify(signed({"apiKey": "AK", "command": "x", "signatureVersion": "3", "expires": text}), "s3cret", NOW)


@pytest.mark.parametrize("text", ["2025-06-01", "2025-06-01 12:00:00+0000", "2025-02-30T12:00:00Z",
                                  "2025-06-01T12:00:00", "2025-06-01T12:00:00+00"])
def test_rejected_expires_formats(text):
    assert parse_expires(text) is None
