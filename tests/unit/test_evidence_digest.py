"""Evidence held per result: in full for a result that did not pass, a digest for a passed one
(collect/evidence.py); the buffering checked in-process against allure-pytest's own results files."""
from __future__ import annotations

import hashlib
import json

import allure
import pytest

from stackaudit.collect import evidence, facts as facts_module
from stackaudit.collect.evidence import DIGEST_NAME, Buffer, EvidenceHold, Piece, digest_entries, digest_line, digest_text
from stackaudit.collect.factstore import facts_file_name
from stackaudit.config import redact as redaction
from stackaudit.config.redact import MASK, KnownSecrets, redact, redact_text
from stackaudit.targets import Target

pytest_plugins = ("pytester",)


def test_a_digest_line_is_the_sha256_and_utf8_size_of_exactly_the_text_attached():
    text = "caf\u00e9\n"     # 5 characters, 6 bytes in UTF-8
    piece = Piece("ps", text, allure.attachment_type.TEXT, "facts/ms1.json")
    assert digest_line(piece) == f"{hashlib.sha256(text.encode()).hexdigest()}  6  ps  (facts/ms1.json)"
    assert digest_line(Piece("abc", "abc", allure.attachment_type.TEXT)) == \
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad  3  abc"


def test_the_digest_lists_every_piece_in_order_with_the_total_and_how_to_read_it():
    pieces = [Piece("iptables-save", "-A INPUT -j DROP\n", allure.attachment_type.TEXT, "facts/h1.json"),
              Piece("API listHosts", "[]", allure.attachment_type.JSON, "targets.json")]
    text = digest_text(pieces)
    assert text.startswith("Passed: 2 pieces of evidence (19 bytes) listed, not attached")
    assert "report.evidence: failing" in text and len(text.splitlines()) == 3
    assert text.splitlines()[-2:] == [digest_line(p) for p in pieces]


def test_a_digest_reads_back_as_its_entries():
    pieces = [Piece("kvm01: iptables-save", "x", allure.attachment_type.TEXT, "facts/kvm01.ab.json"),
              Piece("API listHosts  (a note)", "[]", allure.attachment_type.JSON, "targets.json"),
              Piece("no source", "", allure.attachment_type.TEXT)]
    assert digest_entries(digest_text(pieces)) == [
        (hashlib.sha256(p.data).hexdigest(), len(p.data), p.name, p.source) for p in pieces]


def test_a_buffer_hands_its_pieces_over_once_in_order():
    buffer = Buffer()
    first, second = (Piece(n, n, allure.attachment_type.TEXT) for n in ("a", "b"))
    buffer.add(first)
    buffer.add(second)
    assert buffer.take() == [first, second]
    assert buffer.take() == []


def test_the_digest_is_of_the_masked_text_and_carries_no_secret(monkeypatch):
    """Masking is as strong as before: the piece is masked before it is held, its digest is of the masked text."""
    monkeypatch.setattr(redaction, "KNOWN", KnownSecrets(["Known-88aa11"]))
    monkeypatch.setattr(facts_module, "redact_text", lambda text: redact_text(text, redaction.KNOWN))
    monkeypatch.setattr(facts_module, "redact", lambda value: redact(value, redaction.KNOWN))
    buffer = Buffer()
    monkeypatch.setattr(evidence, "_current", buffer)
    facts = facts_module.Facts(Target("mgmt", "ms1"), store=None)
    facts.attach("ps", "cloud 7 java -Dx.password=Px-1 Known-88aa11")
    facts.attach("rows", [{"name": "secretkey", "value": "Sv-2"}], as_json=True)
    held = buffer.take()
    masked = f"cloud 7 java -Dx.password={MASK} {MASK}"
    assert held[0].text == masked
    assert held[0].source == f"facts/{facts_file_name('mgmt://ms1', '.json')}" 
    assert json.loads(held[1].text) == [{"name": "secretkey", "value": MASK}]
    text = digest_text(held)
    assert hashlib.sha256(masked.encode()).hexdigest() in text
    assert not any(secret in text for secret in ("Px-1", "Known-88aa11", "Sv-2"))


CHECKS = '''
import pytest
from allure import attachment_type
from stackaudit.collect import evidence
from stackaudit.collect.evidence import Piece


def piece(name, text):
    evidence.attach(Piece(name, text, attachment_type.TEXT, "facts/t.json"))


@pytest.fixture
def target():
    piece("read in set-up", "SETUP-TEXT")
    return 1


@pytest.fixture
def target_that_breaks():
    piece("read in set-up", "SETUP-TEXT")
    raise ConnectionError("unreachable")


def test_passes(target):
    piece("read in the check", "CHECK-TEXT")


def test_fails(target):
    piece("read in the check", "CHECK-TEXT")
    assert False, "violated"


def test_skipped(target):
    piece("read in the check", "CHECK-TEXT")
    pytest.skip("waived")


def test_broken_in_set_up(target_that_breaks):
    pass
'''


def allure_run(pytester, policy: str) -> dict[str, dict]:
    """Run CHECKS in this process under an EvidenceHold; test name -> its result with each attachment's text."""
    pytester.makepyfile(test_held=CHECKS)
    results_dir = pytester.path / "results"
    pytester.inline_run(f"--alluredir={results_dir}", "-p", "no:randomly", "-p", "no:cacheprovider",
                        plugins=[EvidenceHold(policy)])
    results = {}
    for path in results_dir.glob("*-result.json"):
        result = json.loads(path.read_text())
        result["texts"] = {a["name"]: (results_dir / a["source"]).read_text() for a in result.get("attachments", [])}
        results[result["name"]] = result
    containers = [json.loads(p.read_text()) for p in results_dir.glob("*-container.json")]
    assert not [a for c in containers for step in c.get("befores", []) + c.get("afters", [])
                for a in step.get("attachments", [])], "evidence landed on a fixture, not on its result"
    return results


def test_a_passed_result_gets_the_digest_and_one_that_did_not_pass_the_evidence_in_full(pytester):
    results = allure_run(pytester, "failing")
    assert {name: r["status"] for name, r in results.items()} == {
        "test_passes": "passed", "test_fails": "failed", "test_skipped": "skipped", "test_broken_in_set_up": "broken"}
    passed = results["test_passes"]["texts"]
    assert list(passed) == [DIGEST_NAME]
    assert passed[DIGEST_NAME].splitlines()[-2:] == [
        digest_line(Piece("read in set-up", "SETUP-TEXT", None, "facts/t.json")),
        digest_line(Piece("read in the check", "CHECK-TEXT", None, "facts/t.json"))]
    both = {"read in set-up": "SETUP-TEXT", "read in the check": "CHECK-TEXT"}
    assert results["test_fails"]["texts"] == both
    assert results["test_skipped"]["texts"] == both
    # evidence a fixture read before it broke is on the result (it was lost with the fixture's step before)
    assert results["test_broken_in_set_up"]["texts"] == {"read in set-up": "SETUP-TEXT"}


def test_policy_all_attaches_every_result_s_evidence_in_full(pytester):
    results = allure_run(pytester, "all")
    assert results["test_passes"]["texts"] == {"read in set-up": "SETUP-TEXT", "read in the check": "CHECK-TEXT"}
    assert results["test_fails"]["texts"] == {"read in set-up": "SETUP-TEXT", "read in the check": "CHECK-TEXT"}


def test_outside_a_held_result_a_piece_is_attached_at_once(monkeypatch):
    attached = []
    monkeypatch.setattr(evidence.allure, "attach", lambda body, name, kind: attached.append((name, body)))
    monkeypatch.setattr(evidence, "_current", None)
    evidence.attach(Piece("ps", "text", allure.attachment_type.TEXT))
    assert attached == [("ps", "text")]
