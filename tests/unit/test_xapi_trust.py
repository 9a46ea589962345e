"""Credentials reach only their machines (issue 18): XAPI's TLS is verified unless the inventory opts
out in so many words; a member's HOST_IS_SLAVE is followed only to a host the CloudStack API lists
in the pool's cluster; whatever a member answers is one line on that pool, never a traceback; and
what came over an unverified channel says so in its evidence and in summary.json."""
from __future__ import annotations

import datetime
import functools
import ipaddress
import json
import ssl
import xmlrpc.client
from xml.parsers.expat import ExpatError
from pathlib import Path
from types import SimpleNamespace

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from lab.sim.recorder import RecordingServer, xmlrpc_answer
from stackaudit.collect import collectors
from stackaudit.collect.facts import Facts
from stackaudit.collect.transports import cloudstack, xapi
from stackaudit.config.inventory import unverified_tls_note
from stackaudit.config.policy import LimitsPolicy
from stackaudit.discovery import discovery
from stackaudit.discovery.discovery import find_master, follow_redirect
from stackaudit.targets import Snapshot, Target
from stackaudit.errors import ApiError, HostKeyRejected
from stackaudit.report.changes import build_summary, change_lines

MEMBERS = ["198.18.1.1", "198.18.1.2", "198.18.1.3"]
UNLISTED = ("which the CloudStack API does not list as a host of this cluster; not followed (no login sent "
            "there)")


# --- the redirect decision: member address, redirect address, listed hosts -> follow or why not ----
@pytest.mark.parametrize("member, redirect, listed, expected", [
    ("198.18.1.2", "198.18.1.1", MEMBERS, ("198.18.1.1", None)),
    ("fd00::2", "fd00:0:0::1", ["fd00::1", "fd00::2"], ("fd00::1", None)),        # the API's own spelling
    ("198.18.1.2", "XS01.example.org", ["xs01.example.org", "198.18.1.2"], ("xs01.example.org", None)),
    ("198.18.1.2", "203.0.113.66", MEMBERS,
     (None, f"XAPI 198.18.1.2 answered HOST_IS_SLAVE naming 203.0.113.66 as the pool master, {UNLISTED}")),
    ("198.18.1.2", "198.18.1.4", MEMBERS, (None, f"XAPI 198.18.1.2 answered HOST_IS_SLAVE naming 198.18.1.4 as "
                                                 f"the pool master, {UNLISTED}")),
    ("198.18.1.2", "198.18.1.1", [], (None, f"XAPI 198.18.1.2 answered HOST_IS_SLAVE naming 198.18.1.1 as the "
                                            f"pool master, {UNLISTED}")),
    ("198.18.1.2", "198.18.1.2", MEMBERS, (None, "XAPI 198.18.1.2 answered HOST_IS_SLAVE naming 198.18.1.2 as the "
                                                 "pool master, itself; not followed")),
    ("198.18.1.2", "198.18.1.1\nStatus: ok", MEMBERS,
     (None, "XAPI 198.18.1.2 answered HOST_IS_SLAVE naming '198.18.1.1\\nStatus: ok' as the pool master, which is "
            "not an address; not followed")),
    ("198.18.1.2", {"address": "198.18.1.1"}, MEMBERS,
     (None, "XAPI 198.18.1.2 answered HOST_IS_SLAVE naming {'address': '198.18.1.1'} as the pool master, which is "
            "not an address; not followed")),
], ids=["listed", "listed-ipv6-spelt-otherwise", "listed-name-any-case", "unlisted", "unlisted-neighbour",
        "nothing-listed", "itself", "control-characters", "not-text"])
def test_a_redirect_is_followed_only_to_a_host_the_api_lists_in_the_cluster(member, redirect, listed, expected):
    assert follow_redirect(member, redirect, listed) == expected


def test_a_huge_redirect_is_shown_shortened_on_one_line():
    address, reason = follow_redirect("198.18.1.2", "1" * 100_000, MEMBERS)
    assert address is None and len(reason) < 250 and "\n" not in reason and reason.endswith("not followed")


# --- find_master: which addresses a login (a password) went to ------------------------------------
def settings(**changes) -> SimpleNamespace:
    """The inventory's xenserver section (XenServerSettings' fields)."""
    values = dict(port=443, username="root", password=SimpleNamespace(read=lambda: "pool-root-password"),
                  ca_file=Path("/ca.pem"), timeout=5, insecure=False)
    return SimpleNamespace(**(values | changes))


@pytest.fixture
def logins(monkeypatch):
    """address -> what its XAPI answers to a login (an exception, or a session); the addresses logged in to."""
    answers, sent = {}, []

    def login(address, port, username, password, ca_file, timeout, insecure, **kwargs):
        sent.append((address, password))
        answer = answers.get(address, "session")
        if isinstance(answer, BaseException):
            raise answer
        return answer
    monkeypatch.setattr(discovery.xapi, "login", login)
    monkeypatch.setattr(discovery.xapi, "logout", lambda session: None)
    return SimpleNamespace(answers=answers, sent=sent)


def test_a_redirect_to_an_unlisted_address_breaks_the_pool_and_sends_it_nothing(logins):
    logins.answers["198.18.1.1"] = xapi.NotMaster("203.0.113.66")
    assert find_master(settings(), MEMBERS) == (
        None, f"XAPI 198.18.1.1 answered HOST_IS_SLAVE naming 203.0.113.66 as the pool master, {UNLISTED}")
    assert [address for address, _ in logins.sent] == ["198.18.1.1"]


def test_a_redirect_to_a_listed_member_is_the_master(logins):
    logins.answers["198.18.1.1"] = xapi.NotMaster("198.18.1.3")
    assert find_master(settings(), MEMBERS) == ("198.18.1.3", None)
    assert [address for address, _ in logins.sent] == ["198.18.1.1"]


@pytest.mark.parametrize("error, shown", [
    (xmlrpc.client.Fault(500, "Missing Status in response from server"),
     "Fault: \"<Fault 500: 'Missing Status in response from server'>\""),
    (ExpatError("not well-formed (invalid token): line 1"),
     "ExpatError: 'not well-formed (invalid token): line 1'"),
    (TypeError('can only concatenate str (not "int") to str'), "TypeError: "),
    (IndexError("list index out of range"), "IndexError: 'list index out of range'"),
], ids=["fault", "malformed-xml", "not-a-struct", "empty-error-description"])
def test_a_member_that_gives_no_xapi_answer_is_passed_over_with_one_line(logins, error, shown):
    logins.answers["198.18.1.1"] = error
    assert find_master(settings(), MEMBERS) == ("198.18.1.2", None)
    for address in MEMBERS:
        logins.answers[address] = error
    master, reason = find_master(settings(), MEMBERS)
    assert master is None and reason.startswith(f"no member answered XAPI: XAPI 198.18.1.1: login: not an XAPI "
                                                f"answer ({shown}")
    assert "\n" not in reason and "; XAPI 198.18.1.2: login: not an XAPI answer" in reason


# --- the transport: TLS verified by default, against a real XML-RPC exchange on loopback ------------
@functools.lru_cache(maxsize=None)
def authority(name: str) -> tuple:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True).sign(key, hashes.SHA256()))
    return key, cert


def server_context(tmp_path: Path, ca: str = "test CA") -> ssl.SSLContext:
    """A TLS server context whose certificate names 127.0.0.1, signed by `ca`."""
    ca_key, ca_cert = authority(ca)
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "xapi")]))
            .issuer_name(ca_cert.subject).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=30))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False).sign(ca_key, hashes.SHA256()))
    (tmp_path / "server.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM) + key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tmp_path / "server.pem")
    return context


def ca_file(tmp_path: Path, ca: str = "test CA") -> Path:
    path = tmp_path / f"{ca.replace(' ', '-')}.pem"
    path.write_bytes(authority(ca)[1].public_bytes(serialization.Encoding.PEM))
    return path


HOST_IS_SLAVE = xmlrpc.client.dumps(({"Status": "Failure", "ErrorDescription": ["HOST_IS_SLAVE", "127.0.0.9"]},),
                                    methodresponse=True)
LOGGED_IN = xmlrpc.client.dumps(({"Status": "Success", "Value": "OpaqueRef:session"},), methodresponse=True)


@pytest.fixture
def canned_xapi(request, tmp_path):
    server = RecordingServer("127.0.0.1", 0, xmlrpc_answer(request.param), server_context(tmp_path))
    yield server
    server.stop()


def log_in(server, **kwargs):
    return xapi.login("127.0.0.1", server.port, "root", "pool-root-password", timeout=5, **kwargs)


@pytest.mark.integration
@pytest.mark.parametrize("canned_xapi", [LOGGED_IN], indirect=True)
def test_xapi_is_verified_against_the_ca_file_and_refused_under_another(canned_xapi, tmp_path):
    assert log_in(canned_xapi, ca_file=ca_file(tmp_path)) is not None
    assert b"pool-root-password" in canned_xapi.recording.received
    canned_xapi.recording.clear()
    with pytest.raises(HostKeyRejected) as caught:
        log_in(canned_xapi, ca_file=ca_file(tmp_path, "another CA"))
    assert str(caught.value) == ("XAPI 127.0.0.1: TLS certificate not trusted (unable to get local issuer "
                                 "certificate)")
    assert len(canned_xapi.recording.connections) == 1 and b"pool-root-password" not in canned_xapi.recording.received


@pytest.mark.integration
@pytest.mark.parametrize("canned_xapi", [LOGGED_IN], indirect=True)
def test_no_ca_file_is_unverified_only_when_the_inventory_says_insecure(canned_xapi):
    with pytest.raises(ValueError, match="xenserver.insecure: true"):
        log_in(canned_xapi, ca_file=None)
    assert canned_xapi.recording.connections == []
    assert log_in(canned_xapi, ca_file=None, insecure=True) is not None


def test_the_default_context_checks_the_chain_and_the_host_name(tmp_path):
    context = xapi.tls_context(ca_file(tmp_path), insecure=False)
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    assert xapi.tls_context(None, insecure=True).verify_mode == ssl.CERT_NONE


@pytest.mark.integration
@pytest.mark.parametrize("canned_xapi", [HOST_IS_SLAVE], indirect=True)
def test_host_is_slave_over_the_wire_is_the_named_master(canned_xapi, tmp_path):
    with pytest.raises(xapi.NotMaster) as caught:
        log_in(canned_xapi, ca_file=ca_file(tmp_path))
    assert caught.value.master_address == "127.0.0.9"


@pytest.mark.integration
@pytest.mark.parametrize("canned_xapi", [
    xmlrpc.client.dumps(xmlrpc.client.Fault(500, "internal"), methodresponse=True),
    "<?xml version='1.0'?><methodResponse><params><param><value><struct><member>",
    xmlrpc.client.dumps((42,), methodresponse=True),
], indirect=True, ids=["fault", "malformed-xml", "not-a-struct"])
def test_whatever_a_member_answers_discovery_gives_one_line(canned_xapi, tmp_path):
    master, reason = find_master(settings(port=canned_xapi.port, ca_file=ca_file(tmp_path)), ["127.0.0.1"])
    assert master is None and reason.startswith("no member answered XAPI: XAPI 127.0.0.1: ")
    assert "\n" not in reason and "Traceback" not in reason


# --- a second HOST_IS_SLAVE, at collection: one line, not followed ---------------------------------
def test_a_master_that_answers_host_is_slave_at_collection_is_broken_not_followed(monkeypatch):
    def login(address, *args, **kwargs):
        raise xapi.NotMaster("198.18.1.3")
    monkeypatch.setattr(collectors.xapi, "login", login)
    collector = collectors.Collector.__new__(collectors.Collector)
    collector.inventory = SimpleNamespace(xenserver=settings(), insecure_channels=())
    collector.policy = SimpleNamespace(limits=LimitsPolicy())
    pool = Target("xs-pool", "pool1", "zone1", "198.18.1.1")
    with pytest.raises(ApiError) as caught:
        collector.collect_pool(pool)
    assert str(caught.value) == ("XAPI 198.18.1.1: named the pool master, but answered HOST_IS_SLAVE naming "
                                 "'198.18.1.3'; not followed")


# --- evidence and summary.json of an unverified channel -------------------------------------------
def test_a_part_collected_unverified_says_so_in_its_evidence(monkeypatch):
    attached = []
    monkeypatch.setattr("stackaudit.collect.facts.allure.attach", lambda body, name, kind: attached.append((name, body)))
    raw = {"xapi": {"master_address": "198.18.1.1", "records": {"pool": {}},
                    **collectors.tls_note(SimpleNamespace(insecure_channels=("xenserver",)), "xenserver")},
           "api": {"configurations": []}}
    target = Target("xs-pool", "pool1", "zone1", "198.18.1.1")
    facts = Facts(target, SimpleNamespace(raw=lambda t: raw), Snapshot("c", [target], insecure_channels=["cloud.api"]))
    facts.records("pool")
    assert ("TLS not verified", unverified_tls_note("xenserver")) in attached
    facts.api("configurations")
    assert [name for name, _ in attached].count("TLS not verified") == 1    # once per result, as any evidence
    assert collectors.tls_note(SimpleNamespace(insecure_channels=()), "xenserver") == {}


def test_rows_from_an_unverified_api_say_so_in_their_evidence(monkeypatch):
    attached = []
    monkeypatch.setattr("stackaudit.collect.facts.allure.attach", lambda body, name, kind: attached.append((name, body)))
    target = Target("cloud", "c")
    for channels, expected in ((["cloud.api"], True), ([], False)):
        attached.clear()
        Facts(target, None, Snapshot("c", [target], api={"listHosts": []}, insecure_channels=channels)) \
            .api_rows("listHosts")
        assert (("TLS not verified", unverified_tls_note("cloud.api")) in attached) is expected
    assert unverified_tls_note("cloud.api").startswith("TLS not verified: these facts came from the CloudStack API ")


def test_summary_json_lists_the_insecure_channels():
    summary = build_summary("r", "s", "f", "c", None, None, 0, [], None, (), datetime.date(2026, 12, 6),
                            ("xenserver", "cloud.api"))
    assert summary["insecure_channels"] == ["cloud.api", "xenserver"]
    assert change_lines(summary)[-1] == ("TLS not verified (the inventory's insecure: true): cloud.api, xenserver; "
                                         "each result judged on facts from these says so")
    verified = build_summary("r", "s", "f", "c", None, None, 0, [], None, (), datetime.date(2026, 12, 6))
    assert verified["insecure_channels"] == [] and not any("TLS" in line for line in change_lines(verified))


@pytest.mark.parametrize("verify, expected", [(True, True), ("/etc/ca.pem", "/etc/ca.pem"), (False, False)])
def test_the_api_client_verifies_as_the_inventory_says(verify, expected):
    # cs 5.2 reads verify=False as unset and verifies anyway (cs/client.py, dangerous_no_tls_verify)
    assert cloudstack.client("https://cloud.example/client/api", "k", "s", verify, 5).verify == expected


def test_a_merged_night_lists_every_channel_a_shard_left_unverified(tmp_path):
    from stackaudit.report.merge import merge_into
    from stackaudit.report.runs import new_run_dir
    from stackaudit.report.shard_runs import read_shard_runs
    from tests.unit.test_merge import TODAY, record_shard
    reports = tmp_path / "reports"
    shards = [record_shard(reports, i, 2) for i in range(2)]
    summary_path, snapshot_path = shards[1] / "summary.json", shards[1] / "targets.json"
    summary_path.write_text(json.dumps(json.loads(summary_path.read_text()) | {"insecure_channels": ["xenserver"]}))
    snapshot = Snapshot.load(snapshot_path)
    snapshot.insecure_channels = ["xenserver"]
    snapshot.save(snapshot_path)
    run_dir = new_run_dir(reports)
    assert merge_into(run_dir, read_shard_runs(shards, "lab"), (), TODAY)["insecure_channels"] == ["xenserver"]
    assert Snapshot.load(run_dir / "targets.json").insecure_channels == ["xenserver"]
