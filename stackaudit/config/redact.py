"""Secrets out of everything the suite says, attaches or writes: masking on the way out.

Rules judge the raw facts; only what leaves the run is masked (evidence, Allure results, junit.xml,
summary.json, targets.json, the terminal, logs), so no text a target or a tenant returns can change
a verdict. Two ways, both applied to every text and every string of a record that leaves:
- by value: each process keeps a registry of the secrets it knows: the inventory's own (API key
  and secret, database and XAPI passwords, the SSH private key's lines) and the values of known
  secret keys of known files on a target (agent.properties' `keystore.passphrase`, db.properties'
  `db.cloud.password`, an option file's `password`: collect/target_secrets.py), learnt as a
  process loads that target's facts. Nothing is learnt from API or XAPI free text, nor from the
  shapes below: a tenant who names a VM `token=CLOUDSTACK-SERVICES` teaches the suite nothing;
- by shape (secret_shapes.py) and by position: command-line flags, `name=value` anywhere in a
  line, URLs with userinfo, JSON/XML/properties keys, CloudStack's name/value detail lists, private
  key blocks; in records, every field named like a secret.

Values shorter than MIN_KNOWN_LENGTH, common words and bare secret words are masked only in the
position they were read from (masking "cloud" by value would blank every mention of the cloud
user); the ids, names and addresses of the run's targets are never masked by value.
"""
from __future__ import annotations

import logging
import re
import threading

import ahocorasick

from stackaudit.config.secret_shapes import MASK, SECRET_NAME, SECRET_WORDS, mask_shapes

MIN_KNOWN_LENGTH = 6
_MAX_PASSES = 8
_SECRET_NAME_RE = re.compile(SECRET_NAME, re.I)
# A value that is only a secret word ("password", "secret") is left to the shapes: masked by value
# it would blank every key that names a secret.
_BARE_SECRET_WORD = re.compile(r"(?:" + "|".join(SECRET_WORDS) + r")s?", re.I)
# Values too common to mask everywhere: CloudStack's and MariaDB's documented defaults and words
# that name things (CloudStack installation guide: `cloudstack-setup-databases cloud:<dbpassword>`,
# the `cloud` user; "password" and "changeme" as placeholders). Masked in position only.
COMMON_VALUES = frozenset({"cloudstack", "changeme", "default", "localhost", "mariadb", "management",
                           "passw0rd", "password1", "secret", "unknown"})


class KnownSecrets:
    """The secret values one process knows; thread-safe (facts are collected in threads).

    A cloud has a secret per host (each KVM agent's keystore.passphrase), so a run learns thousands.
    They are found in one pass over a text, whatever their number, by an Aho-Corasick automaton
    (pyahocorasick, https://pyahocorasick.readthedocs.io): a regular expression of their
    alternation costs time in proportion to their number at every position of every text, which
    made a 1,000-host run's masking grow with the square of the cloud's size."""

    def __init__(self, values=()):
        self._lock = threading.Lock()
        self._values: set[str] = set()
        self._protected: set[str] = set()
        self._automaton: ahocorasick.Automaton | None = None
        for value in values:
            self.remember(value)

    def remember(self, value) -> None:
        if not isinstance(value, str):
            return
        for candidate in {value, value.strip()}:
            if not self._maskable(candidate):
                continue
            with self._lock:
                if candidate not in self._values and candidate not in self._protected:
                    self._values.add(candidate)
                    self._automaton = None

    def protect(self, values) -> None:
        """Values never masked by value: the run's target ids, names and addresses (a secret that
        happens to equal a host's name would otherwise blank that host from every report)."""
        with self._lock:
            self._protected.update(v for v in values if isinstance(v, str))
            if self._values & self._protected:
                self._values -= self._protected
                self._automaton = None

    @staticmethod
    def _maskable(candidate: str) -> bool:
        return (len(candidate) >= MIN_KNOWN_LENGTH and MASK not in candidate
                and candidate.lower() not in COMMON_VALUES and not _BARE_SECRET_WORD.fullmatch(candidate))

    def masked(self, text: str) -> str:
        """The text with every known value in it replaced by MASK: at each place the longest value
        that starts there, leftmost first (as an alternation of them, the longest first, would)."""
        automaton = self._current()
        if automaton is None:
            return text
        pieces, position = [], 0
        for end, length in automaton.iter_long(text):
            pieces += [text[position:end + 1 - length], MASK]
            position = end + 1
        return "".join(pieces) + text[position:] if pieces else text

    def _current(self) -> ahocorasick.Automaton | None:
        """The automaton of the values known now: a new one after each change, never one changed
        under a thread that is searching it."""
        with self._lock:
            if self._automaton is None and self._values:
                automaton = ahocorasick.Automaton()
                for value in self._values:
                    automaton.add_word(value, len(value))
                automaton.make_automaton()
                self._automaton = automaton
            return self._automaton

    def __len__(self) -> int:
        return len(self._values)


KNOWN = KnownSecrets()


def remember_secret(value: str, registry: KnownSecrets = KNOWN) -> None:
    """A secret this process has read: masked wherever it appears from now on."""
    registry.remember(value)


def remember_key_material(text: str, registry: KnownSecrets = KNOWN) -> None:
    """A private key file's lines (all but its BEGIN/END armor), each masked by value."""
    for line in text.splitlines():
        if not line.startswith(("-----", "---- ")):
            registry.remember(line.strip())


def is_secret_name(name: str) -> bool:
    return _SECRET_NAME_RE.fullmatch(name) is not None


def mask(text: str, known=()) -> str:
    """Pure: the text with every value in `known` and every shaped secret replaced by MASK.

    Repeated until nothing changes, so masking twice is masking once: each pass only turns
    non-mask characters into MASK."""
    registry = known if isinstance(known, KnownSecrets) else KnownSecrets(known)
    for _ in range(_MAX_PASSES):
        masked = mask_shapes(registry.masked(text))
        if masked == text:
            break
        text = masked
    return text


def redact_text(text: str, registry: KnownSecrets = KNOWN) -> str:
    """The text as it may leave the run: every known secret value and every shaped secret masked.
    Learns nothing: what a text says is never taken as a secret to mask elsewhere."""
    if not isinstance(text, str):
        return text
    return mask(text, registry)


def _is_set(value) -> bool:
    return value not in (None, "", [], {})


def _masked(value, registry: KnownSecrets):
    if isinstance(value, str):
        return mask(value, registry)
    if isinstance(value, dict):
        named = value.get("name")
        detail = isinstance(named, str) and is_secret_name(named) and "value" in value
        out = {}
        for key, item in value.items():
            secret_key = (isinstance(key, str) and is_secret_name(key)) or (detail and key == "value")
            if secret_key and _is_set(item) and not isinstance(item, (dict, list)):
                out[key] = MASK      # unset stays visibly unset; set keeps only that it is
            else:
                out[key] = _masked(item, registry)
        return out
    if isinstance(value, (list, tuple)):
        return [_masked(item, registry) for item in value]
    return value


def redact(value, registry: KnownSecrets = KNOWN):
    """A record (API rows, XAPI records, SQL rows, a target's collected facts) as it may leave the
    run: its secret-named fields keep only whether they are set, every string is masked by value
    and shape. Learns nothing."""
    return _masked(value, registry)


def remember_inventory_secrets(inventory, registry: KnownSecrets = KNOWN) -> None:
    """Every secret the inventory names, read now (an unreadable one is a ConfigError, exit 4),
    and the SSH private key's lines: each process (controller and every xdist worker) knows them."""
    sources = [inventory.api.key, inventory.api.secret]
    sources += [s.password for s in (inventory.xenserver, inventory.databases) if s is not None]
    for source in sources:
        registry.remember(source.read())
    try:
        remember_key_material(inventory.ssh.private_key.read_text(errors="replace"), registry)
    except OSError:
        pass     # the SSH transport says why it cannot load the key, per target


def redact_report(report) -> None:
    """A pytest report's traceback, message and captured output, masked in place."""
    text = report.longreprtext if report.longrepr is not None else ""
    masked = redact_text(text)
    if masked != text:
        report.longrepr = masked
    report.sections = [(title, redact_text(content)) for title, content in report.sections]


def install_log_redaction() -> None:
    """Every log record this process makes is masked as it is made, whichever handler (pytest's
    capture, live logging, a library's) writes it."""
    previous = logging.getLogRecordFactory()
    if getattr(previous, "stackaudit_redacts", False):
        return

    def masked_record(*args, **kwargs):
        record = previous(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a record whose arguments do not format is logging's own error to report
            return record
        record.msg, record.args = redact_text(message), ()
        return record

    masked_record.stackaudit_redacts = True
    logging.setLogRecordFactory(masked_record)


def redact_url(url: str) -> str:
    """An endpoint as it may be shown: no userinfo at all, secret-named query parameters masked."""
    if not isinstance(url, str):
        return url
    return redact_text(re.sub(r"^([a-zA-Z][\w+.\-]*://)[^/?#@]*@", r"\1", url))
