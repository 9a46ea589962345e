"""report.html's passed results, one Allure result per check above a size (policy `report.passed_results`).

Allure 2 costs about 10 KB of report.html per result whatever the result carries: its test case, and
its rows in the trees and widgets (suites, behaviors, packages, timeline, history, duration, status,
severity). A 100-host run of 1,173 results whose passed ones had no description at all still made
11.4 MB (docs/report-at-scale.md), so the 11,700 results of 1,000 hosts cannot fit in the 30 MB that
issue 23 asks for one by one. Above PASSED_PER_CHECK_ABOVE results (policy `auto`), or always
(`per_check`), report.html is generated from a derived results directory, in which:
- the passed results of each check are ONE passed result, `CHECK-ID · N targets passed`: the check's
  description followed by PASSED ON (every target), one attachment `evidence (digests)` with each
  target's evidence digest (collect/evidence.py's lines) under its target, and a history id of its own
  that stays the same from night to night, so the folded result's History goes on;
- every result that did not pass (failed, broken, waived, skipped) is kept as it is, with its
  attachments, and so is a result that names no check;
- what publish writes beside the results (history/, categories.json ...) is carried over.
The run's own allure-results stays one result per (check, target): summary.json, junit.xml,
results.csv, metrics.prom and `stackaudit merge` read every result, as before.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import tempfile
import uuid
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from stackaudit.collect.evidence import DIGEST_NAME, digest_entries, entry_line
from stackaudit.config.safe_files import copy_file, private_dir, read_regular, write_file, write_json
from stackaudit.report.allure_report import ReportFailed
from stackaudit.report.auditor import NO_TARGET_SUITE
from stackaudit.report.description import GAP, bullet_list, heading, shown_html
from stackaudit.report.visible import visible

# More results than this and `auto` lists passed ones per check: at about 10 KB of report.html per
# Allure result (measured, docs/report-at-scale.md), 2,000 results are about 20 MB, within issue 23's
# 30 MB with room for the failures' evidence; the lab's nights (about 140 results) and a 100-host
# run (1,173) stay one result per (check, target).
PASSED_PER_CHECK_ABOVE = 2000
FOLDED_SUITE = "passed, targets listed per check"
DIGESTS_NAME = "evidence (digests)"
HISTORY_PREFIX = "stackaudit-passed-per-check:"
# The labels a folded result takes from the results it folds: the check's, never a target's.
CHECK_LABELS = ("check_id", "epic", "feature", "package", "severity", "tag", "story")
SEVERITY_ORDER = ("blocker", "critical", "normal", "minor", "trivial")    # Allure's scale, most severe first
TARGET_LINE = "target: "
RESULT_FILE = re.compile(r".+-result\.json")
CONTAINER_FILE = re.compile(r".+-container\.json")
ATTACHMENT_FILE = re.compile(r".+-attachment(\..+)?")


@dataclass(frozen=True)
class Folded:
    passed: int     # passed results folded
    checks: int     # folded results written, one per check
    kept: int       # results kept as they were


def result_count(results_dir: Path) -> int:
    return sum(1 for _ in results_dir.glob("*-result.json"))


def folds(policy: str, results: int) -> bool:
    """Whether report.html lists passed results per check (policy report.passed_results)."""
    return policy == "per_check" or (policy == "auto" and results > PASSED_PER_CHECK_ABOVE)


@contextlib.contextmanager
def results_for_report(results_dir: Path, policy: str, beside: Path) -> Iterator[tuple[Path, Folded | None]]:
    """(the results directory to give `allure generate`, what was folded or None): the run's own, or a
    derived one in a temporary directory in `beside`, removed when the block ends."""
    if not results_dir.is_dir() or not folds(policy, result_count(results_dir)):
        yield results_dir, None
        return
    with tempfile.TemporaryDirectory(prefix=".report-results-", dir=beside) as temporary:
        derived = Path(temporary) / "allure-results"
        try:
            folded = fold_passed(results_dir, derived)
        except OSError as err:     # a file of the results unreadable, a link (safe_files.UnsafePath), a full disk
            raise ReportFailed(f"{results_dir}: cannot list the passed results per check ({err}); "
                               "free the disk or rerun the checks, or set report.passed_results: each") from None
        yield derived, folded


def passed_note(folded: Folded, policy: str) -> str:
    """The overview's "Passed results" entry: report.html's counts are not the run's."""
    why = f"auto above {PASSED_PER_CHECK_ABOVE:,} results" if policy == "auto" else policy
    return (f"{folded.passed:,}, listed per check in this report (report.passed_results: {why}); "
            "summary.json and results.csv list each")


# --- the derived results directory ---------------------------------------------------------------------
def read_json(path: Path) -> dict:
    try:
        data = json.loads(read_regular(path))
    except (OSError, ValueError) as err:
        raise ReportFailed(f"{path}: cannot read this Allure file ({err}); rerun the checks") from None
    if not isinstance(data, dict):
        raise ReportFailed(f"{path}: not an Allure result (a JSON {type(data).__name__}); rerun the checks")
    return data


def label(result: dict, name: str) -> str | None:
    return next((item.get("value") for item in result.get("labels", []) if item.get("name") == name), None)


def fold_passed(results_dir: Path, into: Path) -> Folded:
    """Write the derived results directory `into` from the run's `results_dir`."""
    private_dir(into)
    passed: dict[str, CheckFold] = defaultdict(CheckFold)
    kept: set[str] = set()
    # by name, as strings: sorting 20,000 Paths costs more than reading them
    for path in (results_dir / name for name in sorted(os.listdir(results_dir))):
        if RESULT_FILE.fullmatch(path.name):
            result = read_json(path)
            check_id = label(result, "check_id")
            if result.get("status") == "passed" and check_id:
                passed[check_id].add(result)
            else:
                copy_with_attachments(results_dir, into, path, result)
                kept.add(result.get("uuid"))
        elif path.is_dir() and path.name == "history":
            carry_directory(path, into / path.name)
        elif path.is_file() and not CONTAINER_FILE.fullmatch(path.name) and not ATTACHMENT_FILE.fullmatch(path.name):
            copy_file(path, into / path.name)     # categories.json, environment.properties, executor.json
    for name in sorted(os.listdir(results_dir)):
        if CONTAINER_FILE.fullmatch(name):
            keep_container(results_dir, into, results_dir / name, kept)
    for check_id, fold in sorted(passed.items()):
        write_folded(into, check_id, fold, results_dir)
    return Folded(sum(len(fold.results) for fold in passed.values()), len(passed), len(kept))


def carry_directory(source: Path, into: Path) -> None:
    private_dir(into)
    for path in sorted(source.iterdir()):
        if path.is_file():
            copy_file(path, into / path.name)


def attachments(item: dict) -> Iterator[dict]:
    """Every attachment of a result, a step or a fixture, its steps' included."""
    yield from item.get("attachments") or []
    for step in item.get("steps") or []:
        yield from attachments(step)


def attachment_path(results_dir: Path, attachment: dict) -> Path | None:
    """The attachment's file, when its source is a plain name in the results directory."""
    source = str(attachment.get("source") or "")
    if not source or Path(source).name != source or source in (".", ".."):
        return None
    path = results_dir / source
    return path if path.is_file() else None


def copy_with_attachments(results_dir: Path, into: Path, path: Path, result: dict) -> None:
    copy_file(path, into / path.name)
    for attachment in attachments(result):
        found = attachment_path(results_dir, attachment)
        if found is not None:
            copy_file(found, into / found.name)


def keep_container(results_dir: Path, into: Path, path: Path, kept: set[str]) -> None:
    """A container of kept results, with only those as its children; none when every child was folded."""
    container = read_json(path)
    children = [child for child in container.get("children") or [] if child in kept]
    if not children:
        return
    write_json(into / path.name, {**container, "children": children}, indent=None)
    for fixture in [*(container.get("befores") or []), *(container.get("afters") or [])]:
        for attachment in attachments(fixture):
            found = attachment_path(results_dir, attachment)
            if found is not None:
                copy_file(found, into / found.name)


# --- one check's folded result ---------------------------------------------------------------------------
def target_of(result: dict) -> str:
    found = label(result, "target")
    if not found:
        found = next((p.get("value") for p in result.get("parameters") or [] if p.get("name") == "target"), None)
    return visible(found) if found else NO_TARGET_SUITE


def severity_rank(result: dict) -> int:
    severity = label(result, "severity")
    return SEVERITY_ORDER.index(severity) if severity in SEVERITY_ORDER else len(SEVERITY_ORDER)


def history_id(check_id: str) -> str:
    """The same for a check from night to night, and unlike any per-target result's (allure-pytest's)."""
    return hashlib.md5((HISTORY_PREFIX + check_id).encode("utf-8")).hexdigest()


def folded_title(check_id: str, count: int) -> str:
    return f"{visible(check_id)} · {count} target{'s' if count != 1 else ''} passed"


def passed_on_html(targets: list[str]) -> str:
    return (f"{heading('Passed on')}<p>{len(targets)} target{'s' if len(targets) != 1 else ''}, each its own "
            f"result in summary.json and results.csv; the evidence each was judged on is listed in the "
            f"attachment \u201c{DIGESTS_NAME}\u201d.</p>{bullet_list([shown_html(t) for t in targets])}")


@dataclass(frozen=True)
class PassedResult:
    """What a folded result keeps of each passed result: thousands of them, so not the whole result."""
    target: str
    start: int | None
    stop: int | None
    kind: str | None        # the kind of target in words (its parentSuite)
    attachments: tuple[dict, ...]


class CheckFold:
    """A check's passed results, and the one whose description and labels the folded result shows: the
    most severe (a check raised above its record's severity keeps the raise), then the first target."""

    def __init__(self):
        self.results: list[PassedResult] = []
        self.shown: dict | None = None
        self._shown_key: tuple[int, str] | None = None

    def add(self, result: dict) -> None:
        target = target_of(result)
        self.results.append(PassedResult(target, number(result.get("start")), number(result.get("stop")),
                                         label(result, "parentSuite"), tuple(attachments(result))))
        key = (severity_rank(result), target)
        if self._shown_key is None or key < self._shown_key:
            self.shown, self._shown_key = result, key


def number(value) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def write_folded(into: Path, check_id: str, fold: CheckFold, results_dir: Path) -> None:
    results, shown = sorted(fold.results, key=lambda r: r.target), fold.shown
    targets = [r.target for r in results]
    kinds = sorted({r.kind for r in results} - {None})
    digests = f"{uuid.uuid4()}-attachment.txt"
    write_file(into / digests, digests_text([(r.target, evidence_lines(r.attachments, results_dir)) for r in results]))
    folded = {
        "uuid": str(uuid.uuid4()),
        "historyId": history_id(check_id),
        "testCaseId": history_id(check_id),
        "name": folded_title(check_id, len(results)),
        "fullName": shown.get("fullName"),
        "titlePath": shown.get("titlePath"),
        "status": "passed",
        "stage": "finished",
        "descriptionHtml": (shown.get("descriptionHtml") or "") + GAP + passed_on_html(targets),
        "start": min((r.start for r in results if r.start is not None), default=None),
        "stop": max((r.stop for r in results if r.stop is not None), default=None),
        "labels": folded_labels(shown, " / ".join(kinds) or NO_TARGET_SUITE),
        # excluded: Allure 2 keys a result's history by its testCaseId and its parameters' values, so
        # without it the History would start again whenever a target is added, removed or fails
        "parameters": [{"name": "targets", "value": str(len(results)), "excluded": True}],
        "attachments": [{"name": DIGESTS_NAME, "source": digests, "type": "text/plain"}],
        "links": [],
    }
    write_json(into / f"{folded['uuid']}-result.json", {k: v for k, v in folded.items() if v is not None}, indent=None)


def folded_labels(shown: dict, kinds: str) -> list[dict]:
    """The check's labels; Suites and the Timeline put the folded results of a kind of target together."""
    kept = [item for item in shown.get("labels", []) if item.get("name") in CHECK_LABELS]
    return kept + [{"name": name, "value": value} for name, value in (
        ("parentSuite", kinds), ("suite", FOLDED_SUITE), ("host", kinds), ("thread", FOLDED_SUITE))]


# --- the digests attachment ------------------------------------------------------------------------------
def evidence_lines(attached: tuple[dict, ...], results_dir: Path) -> list[str]:
    """A passed result's evidence as digest lines: its `evidence (digest)` attachment's, or, for evidence
    attached in full (policy report.evidence: all), the SHA-256 and size of each attachment file."""
    lines = []
    for attachment in attached:
        found = attachment_path(results_dir, attachment)
        if found is None:
            continue
        data = read_regular(found)
        if attachment.get("name") == DIGEST_NAME:
            lines += [entry_line(*entry) for entry in digest_entries(data.decode("utf-8", "replace"))]
        else:
            name = visible(attachment.get("name", ""))
            lines.append(entry_line(hashlib.sha256(data).hexdigest(), len(data), name, None))
    return lines


def digests_text(groups: list[tuple[str, list[str]]]) -> str:
    """Each target's digest lines, under `target: <id>`."""
    head = (f"Passed on {len(groups)} target{'s' if len(groups) != 1 else ''}: the evidence each was judged on, "
            "listed, not attached. Each line: SHA-256 and size of the masked text, name, the run directory's "
            "file it was read from (policy report.passed_results, docs/report-at-scale.md).")
    body = [f"\n{TARGET_LINE}{target}\n" + "".join(f"{line}\n" for line in lines) for target, lines in groups]
    return head + "\n" + "".join(body)


def digest_groups(text: str) -> dict[str, list[tuple[str, int, str, str | None]]]:
    """target -> the digest entries listed under it: how a reader of a folded report gets them back."""
    groups: dict[str, list] = {}
    current = None
    for line in text.splitlines():
        if line.startswith(TARGET_LINE):
            current = groups.setdefault(line.removeprefix(TARGET_LINE), [])
        elif current is not None:
            current += digest_entries(line)
    return groups
