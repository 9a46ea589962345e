"""Secrets out of every output: by shape wherever they sit in a line (each form as it was published,
tests/data/recorded/secrets-in-text-published.txt), by value once known, in records, in the target
snapshot, in evidence and in pytest's reports."""
from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest

from stackaudit.config import redact as redaction
from stackaudit.config.redact import (MASK, KnownSecrets, mask, redact, redact_report, redact_text, redact_url,
                                      remember_key_material)
from stackaudit.targets import Snapshot, Target

RECORDED = Path(__file__).resolve().parent.parent / "data" / "recorded"


def published_cases() -> list[tuple[str, list[str], str]]:
    """(name, the secrets that must vanish, the text) of each `=== name | secret | ...` block."""
    cases = []
    for block in (RECORDED / "secrets-in-text-published.txt").read_text().split("=== ")[1:]:
        head, body = block.split("\n", 1)
        name, *secrets = (part.strip() for part in head.split(" | "))
        cases.append((name, secrets, body))
    return cases


@pytest.mark.parametrize("name, secrets, text", published_cases(), ids=[c[0] for c in published_cases()])
def test_each_published_form_loses_its_secret(name, secrets, text):
    masked = redact_text(text, KnownSecrets())
    assert [s for s in secrets if s in masked] == []
    assert MASK in masked


@pytest.mark.parametrize("text, expected", [
    ("root 812 mysql -uroot -pS3cretPass1 cloud", "root 812 mysql -uroot -p******** cloud"),
    ("mysql -u root -p cloud", "mysql -u root -p cloud"),                 # -p alone prompts: cloud is the database
    ("mysql -h db -P3306 -u audit", "mysql -h db -P3306 -u audit"),       # -P is the port
    ("java -Djavax.net.ssl.keyStorePassword=KS1 -cp x org.apache.cloudstack.ServerDaemon",
     f"java -Djavax.net.ssl.keyStorePassword={MASK} -cp x org.apache.cloudstack.ServerDaemon"),
    ("mysqldump --password DUMP2 --all", f"mysqldump --password {MASK} --all"),
    ("mysql --password --user=x", "mysql --password --user=x"),           # prompts: no value follows
    ("<member><name>password</name><value><string>XR1</string></value></member>",
     f"<member><name>password</name><value><string>{MASK}</string></value></member>"),
    ("<secretKey attr='1'>XK1</secretKey>", f"<secretKey attr='1'>{MASK}</secretKey>"),
    ("{'value': 'D1', 'name': 'apikey'}", f"{{'value': '{MASK}', 'name': 'apikey'}}"),
    ('{"name": "ldap.bind.password", "value": "L1"}', f'{{"name": "ldap.bind.password", "value": "{MASK}"}}'),
    ("db.cloud.password=ENC(abcdef)", f"db.cloud.password={MASK}"),
    ("x ENC(abcdef) y", f"x ENC({MASK}) y"),
    ("password=\nnext line", "password=\nnext line"),
    ("tests/checks/test_secrets_canary.py:123: AssertionError", "tests/checks/test_secrets_canary.py:123: AssertionError"),
    ("a log: token: abc123 then", f"a log: token: {MASK} then"),                      # an empty value takes nothing after it
    ("https://u:pw@h/client/api?command=listHosts&apiKey=AK1&signature=S1",
     f"https://u:{MASK}@h/client/api?command=listHosts&apiKey={MASK}&signature={MASK}"),
    ("guid=2f9a2c4e-5d0b-3c1e-9a7e-1f2d3c4b5a69\nhost=198.18.0.10", "guid=2f9a2c4e-5d0b-3c1e-9a7e-1f2d3c4b5a69\n"
                                                                     "host=198.18.0.10"),
    ("jdbc:mysql://cloud:p/w#1@db1:3306/cloud?x=a@b", f"jdbc:mysql://cloud:{MASK}@db1:3306/cloud?x=a@b"),
    ("-----BEGIN RSA PRIVATE KEY-----\nMIIEpA\n-----END RSA PRIVATE KEY-----\nafter",
     f"-----BEGIN RSA PRIVATE KEY-----\n{MASK}\n-----END RSA PRIVATE KEY-----\nafter"),
    ("before -----BEGIN EC PRIVATE KEY-----\nMHcCAQEE", f"before -----BEGIN EC PRIVATE KEY-----\n{MASK}"),
])
def test_shapes_anywhere_in_a_line(text, expected):
    assert mask(text) == expected


def test_a_shaped_value_is_masked_in_place_and_teaches_nothing():
    """A tenant's VM named `web token=CLOUDSTACK-SERVICES` must not make the chain's name a secret."""
    registry = KnownSecrets()
    assert redact_text("VM web token=CLOUDSTACK-SERVICES", registry) == f"VM web token={MASK}"
    assert redact_text("-A INPUT -j CLOUDSTACK-SERVICES", registry) == "-A INPUT -j CLOUDSTACK-SERVICES"
    assert redact({"name_label": "db password=localhost-db1"}, registry) == {"name_label": f"db password={MASK}"}
    assert len(registry) == 0


def test_a_value_read_under_a_secret_key_of_a_known_file_is_masked_everywhere():
    from stackaudit.collect.factstore import learn_secrets
    registry = KnownSecrets()
    facts = {"ssh": {"sections": {
        "agent_properties": {"exit_code": 0, "stdout": "guid=x\nkeystore.passphrase=Kp-4c1d9e2\n", "stderr": ""},
        "libvirtd_process": {"exit_code": 0, "stdout": "root 1 java -jar agent.jar Kp-4c1d9e2", "stderr": ""}}}}
    learn_secrets({"target": "kvm-host://z/h", "facts": facts}, registry)
    assert redact_text("java -jar agent.jar Kp-4c1d9e2 --x", registry) == f"java -jar agent.jar {MASK} --x"


def test_common_values_and_target_identities_are_masked_in_place_only():
    registry = KnownSecrets(["localhost", "CloudStack", "hv01.zone1"])
    registry.protect({"hv01.zone1"})
    assert mask("host=localhost cloudstack hv01.zone1", registry) == "host=localhost cloudstack hv01.zone1"
    assert mask("db.cloud.password=localhost", registry) == f"db.cloud.password={MASK}"


def test_the_registry_leaves_short_values_and_secret_words_to_shapes():
    registry = KnownSecrets(["cloud", "password", "Secrets", "********x", "long-enough-1", "my-token-77"])
    assert mask("cloud password secrets long-enough-1 my-token-77", registry) == \
        f"cloud password secrets {MASK} {MASK}"


def test_the_longest_known_value_is_masked_whole():
    registry = KnownSecrets(["abcdef", "abcdefghij"])
    assert mask("<abcdefghij>", registry) == f"<{MASK}>"


def test_private_key_lines_are_known_values():
    registry = KnownSecrets()
    remember_key_material("-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEA\nAAAABG5vbmUAAAAE\n"
                          "-----END OPENSSH PRIVATE KEY-----\n", registry)
    assert mask("a line: AAAABG5vbmUAAAAE", registry) == f"a line: {MASK}"


def test_records_keep_only_whether_a_secret_is_set():
    registry = KnownSecrets(["Lb-92ab71"])
    rows = [{"name": "ldap.bind.password", "value": "Lb-92ab71"}, {"name": "ldap.basedn", "value": "dc=x"},
            {"name": "ldap.truststore.password", "value": ""},
            {"id": "u1", "apikey": "AK-77aa01", "secretkey": None, "note": "copied Lb-92ab71 here"}]
    assert redact(rows, registry) == [
        {"name": "ldap.bind.password", "value": MASK}, {"name": "ldap.basedn", "value": "dc=x"},
        {"name": "ldap.truststore.password", "value": ""},
        {"id": "u1", "apikey": MASK, "secretkey": None, "note": f"copied {MASK} here"}]


def test_an_endpoint_is_shown_without_userinfo_or_secret_parameters():
    assert redact_url("https://admin:pw@cs.example:8443/client/api?apikey=AK12345678&x=1") == \
        f"https://cs.example:8443/client/api?apikey={MASK}&x=1"
    assert redact_url("http://user@198.18.0.1:8080/client/api") == "http://198.18.0.1:8080/client/api"


def test_targets_json_carries_no_endpoint_secret_nor_api_secret(tmp_path):
    cloud = Target("cloud", "lab", attrs={"endpoint": "http://admin:Ep-5511ab@198.18.0.1:8080/client/api"})
    snapshot = Snapshot("lab", [cloud], api={"listUsers": [{"username": "a", "secretkey": "Sk-0099ff"}]},
                        notes=["pool p: master says HOST_IS_SLAVE; password=Nt-3377cc"])
    snapshot.save(tmp_path / "targets.json")
    text = (tmp_path / "targets.json").read_text()
    for secret in ("Ep-5511ab", "admin@", "Sk-0099ff", "Nt-3377cc"):
        assert secret not in text
    assert Snapshot.load(tmp_path / "targets.json").by_id("cloud://lab").attrs.endpoint == \
        "http://198.18.0.1:8080/client/api"


def test_evidence_is_masked_as_it_is_attached(monkeypatch):
    from stackaudit.collect import facts as facts_module
    attached = []
    monkeypatch.setattr(facts_module.allure, "attach", lambda body, name, kind: attached.append((name, body)))
    monkeypatch.setattr(redaction, "KNOWN", KnownSecrets(["Known-88aa11"]))
    monkeypatch.setattr(facts_module, "redact_text", lambda text: redact_text(text, redaction.KNOWN))
    monkeypatch.setattr(facts_module, "redact", lambda value: redact(value, redaction.KNOWN))
    facts = facts_module.Facts(Target("mgmt", "ms1"), store=None)
    facts.attach("ps", "cloud 7 java -Dx.password=Px-1 Known-88aa11")
    facts.attach("rows", [{"name": "secretkey", "value": "Sv-2"}, {"note": "Known-88aa11"}], as_json=True)
    assert attached[0] == ("ps", f"cloud 7 java -Dx.password={MASK} {MASK}")
    assert json.loads(attached[1][1]) == [{"name": "secretkey", "value": MASK}, {"note": MASK}]


def test_a_report_is_masked_before_allure_junit_and_the_terminal_read_it(monkeypatch):
    monkeypatch.setattr(redaction, "KNOWN", KnownSecrets(["Tb-4455ee"]))
    report = SimpleNamespace(longrepr="AssertionError: assert 'Tb-4455ee' == 'x'", sections=[
        ("Captured stdout call", "mysql -pCp-1 cloud")])
    report.longreprtext = report.longrepr
    monkeypatch.setattr(redaction, "redact_text", lambda text: redact_text(text, redaction.KNOWN))
    redact_report(report)
    assert report.longrepr == f"AssertionError: assert '{MASK}' == 'x'"
    assert report.sections == [("Captured stdout call", f"mysql -p{MASK} cloud")]


def test_log_records_are_masked_as_they_are_made(caplog):
    import logging
    from stackaudit.config.redact import install_log_redaction, remember_secret
    install_log_redaction()
    install_log_redaction()          # once is enough; twice changes nothing
    remember_secret("Logged-6611aa")
    with caplog.at_level(logging.WARNING):
        logging.getLogger("paramiko.transport").warning("auth with %s failed; --password=%s", "Logged-6611aa", "Lp-2")
    assert caplog.messages == [f"auth with {MASK} failed; --password={MASK}"]
