"""Evidence held per result until its outcome is known: in full for a result that did not pass, as a digest
for a passed one (the policy's `report: {evidence: failing|all}`, inventories/policy.yml).

A check reads its facts before anyone knows whether it will pass, so Facts.attach (collect/facts.py) hands
each piece, already masked, to `attach` here. While a result is being run under an EvidenceHold, the piece
waits in that result's buffer; when pytest makes the report of the phase that decides the outcome, the
hold writes the buffer to the result: each piece in full, or one text attachment "evidence (digest)" with
each piece's name, size in bytes and the SHA-256 of exactly the masked text that would have been attached.

Where an attachment lands: allure-pytest attaches to the last executable item it has open
(allure_commons/reporter.py, AllureReporter._attach, allure-framework/allure-python 2.16). While a fixture
sets up, that is the fixture's "before" inside its container, which the suite's results never show
(report/allure_fixtures.py, FixturesUnlisted); at pytest_runtest_makereport every fixture's before has
been stopped and the result itself is the last executable item (allure_pytest/listener.py re-schedules
it at pytest_runtest_call, and closes it only after the teardown's report). So evidence read by a fixture
during set-up lands on its result too, which it did not before.
"""
from __future__ import annotations

import hashlib
import re
import threading
from dataclasses import dataclass

import allure
import pytest

DIGEST_NAME = "evidence (digest)"
SNAPSHOT_FILE = "targets.json"     # the run directory's record of what discovery saw (stackaudit/session.py)


@dataclass(frozen=True)
class Piece:
    name: str
    text: str               # masked, exactly as it is (or would be) attached
    attachment_type: object  # allure.attachment_type.TEXT or JSON
    source: str | None = None   # the run directory's file it was read from (facts/<target's file>, targets.json)

    @property
    def data(self) -> bytes:
        """The attachment's bytes: allure-commons writes a text body as UTF-8 (allure_commons/logger.py)."""
        return self.text.encode("utf-8", "surrogatepass")


def digest_line(piece: Piece) -> str:
    """`<SHA-256 hex>  <bytes>  <name>`, then the facts file: the first field as sha256sum(1) prints it."""
    data = piece.data
    return entry_line(hashlib.sha256(data).hexdigest(), len(data), piece.name, piece.source)


def entry_line(sha256: str, size: int, name: str, source: str | None) -> str:
    """One digest line from its fields, as digest_entries reads it back."""
    where = f"  ({source})" if source else ""
    return f"{sha256}  {size}  {name}{where}"


def digest_text(pieces: list[Piece]) -> str:
    """The digest attachment of a passed result's evidence."""
    total = sum(len(p.data) for p in pieces)
    return "\n".join([
        f"Passed: {len(pieces)} pieces of evidence ({total} bytes) listed, not attached (policy report.evidence: "
        "failing). Each line: SHA-256 and size of the masked text, name, the run directory's file it was read from.",
        *(digest_line(p) for p in pieces),
    ]) + "\n"


DIGEST_LINE = re.compile(r"([0-9a-f]{64})  ([0-9]+)  (.*?)(?:  \((facts/[^()]*|targets\.json)\))?")


def digest_entries(text: str) -> list[tuple[str, int, str, str | None]]:
    """(SHA-256, bytes, name, source) of each piece a digest attachment lists: how a reader of the results
    (a test, an auditor's script) gets them back."""
    return [(m[1], int(m[2]), m[3], m[4]) for m in map(DIGEST_LINE.fullmatch, text.splitlines()) if m]


class Buffer:
    """One result's pieces, in the order they were read."""

    def __init__(self):
        self._pieces: list[Piece] = []
        self._lock = threading.Lock()

    def add(self, piece: Piece) -> None:
        with self._lock:
            self._pieces.append(piece)

    def take(self) -> list[Piece]:
        with self._lock:
            pieces, self._pieces = self._pieces, []
        return pieces


_current: Buffer | None = None


def attach(piece: Piece) -> None:
    """Into the running result's buffer; attached at once outside a result held by an EvidenceHold."""
    buffer = _current
    if buffer is None:
        write_full([piece])
    else:
        buffer.add(piece)


def write_full(pieces: list[Piece]) -> None:
    for piece in pieces:
        allure.attach(piece.text, piece.name, piece.attachment_type)


def write(pieces: list[Piece], in_full: bool) -> None:
    if not pieces:
        return
    if in_full:
        write_full(pieces)
    else:
        allure.attach(digest_text(pieces), DIGEST_NAME, allure.attachment_type.TEXT)


class EvidenceHold:
    """The pytest plugin that buffers each result's evidence and writes it when its outcome is known.

    The outcome is the report's as the suite leaves it (stackaudit/plugin.py's makereport, innermost, has
    made a waived failure skipped): passed gives a digest, anything else (failed, broken, waived, skipped)
    the evidence in full. The set-up's report decides when the set-up did not pass (no call follows); else
    the call's; what a teardown adds goes out at its own report, in full if any phase did not pass."""

    def __init__(self, policy_evidence: str = "failing"):
        self.all_in_full = policy_evidence == "all"
        self._not_passed = False

    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_runtest_protocol(self, item, nextitem):
        global _current
        _current, self._not_passed = Buffer(), False
        try:
            return (yield)
        finally:
            _current = None

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(self, item, call):
        report = yield
        buffer = _current
        if buffer is None:
            return report
        self._not_passed = self._not_passed or not report.passed
        if report.when == "call" or report.when == "teardown" or not report.passed:
            write(buffer.take(), self.all_in_full or self._not_passed)
        return report
