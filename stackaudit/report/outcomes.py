"""Outcomes of (check, target) results and the run's exit code.

passed: the rule holds. failed: an AssertionError, the rule is violated. broken: anything else,
the target could not be checked (never counted as passed or failed). waived: a failure a valid
waiver covers (report/waiving.py); it does not count as failed.

The exit code lets a pre-upgrade gate tell its three answers apart: a blocker (a blocker or
critical check failed), could-not-check (something broken, no blocker), a warning (only lower
severities failed). A run that could not check something cannot clear the gate, so that answer
outranks a warning.
"""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

from stackaudit.config.safe_files import write_json
from stackaudit.errors import TargetError
from stackaudit.report.visible import visible
from stackaudit.report.summary import Result, summary_lines

EXIT_OK, EXIT_FAILED, EXIT_CONFIG, EXIT_BROKEN, EXIT_WARNING = 0, 1, 4, 6, 7
# The run's record (run directory, summary.json, junit.xml, report.html) could not be written.
EXIT_NOT_RECORDED = 8
# What each exit code of `stackaudit run` (and of pytest run on the checks) means, for a gate: what to do.
# 2, 3 and 5 are pytest's own (pytest.ExitCode); `run --help` and the README print this table.
EXIT_CODES = (
    (EXIT_OK, "every result passed: go"),
    (EXIT_FAILED, "a blocker or critical check failed: do not upgrade"),
    (2, "interrupted (Ctrl-C, a signal) before the checks were done: run again"),
    (3, "internal error of pytest or a plugin: report it with the output"),
    (EXIT_CONFIG, "the inventory, policy, waivers or command line is wrong: one line names the file, the place and "
                  "the fix (`stackaudit validate` lists every mistake)"),
    (5, "no check selected: -m, -k or --allure-label matched none, or no check applies to the cloud's targets"),
    (EXIT_BROKEN, "something could not be checked (broken) and no blocker or critical check failed: not cleared"),
    (EXIT_WARNING, "only normal, minor or trivial checks failed, and everything was checked: a warning"),
    (EXIT_NOT_RECORDED, "the run's record could not be written (summary.json, report.html, --metrics-file ...): "
                        "reports/latest stays on the last complete run; a run whose code was 1 keeps 1"),
)
BLOCKING_SEVERITIES = ("blocker", "critical")
# In the run directory: the (check, target) pairs left out at collection, each {check_id, target, reason}
NOT_APPLICABLE_FILE = "not-applicable.json"


def classify(report, call) -> tuple[str, str | None]:
    if report.skipped:
        return "skipped", None
    if report.passed:
        return "passed", None
    error = call.excinfo.value if call.excinfo else None
    if isinstance(error, AssertionError):
        return "failed", failure_message(str(error))
    if isinstance(error, TargetError):
        return "broken", str(error)
    return "broken", f"{type(error).__name__}: {error}" if error else "not checked"


def failure_message(text: str) -> str:
    """The check's own message of a failed `assert condition, message`, without pytest's echo.

    pytest's assertion rewriting gives "message\nassert <the condition, evaluated>...", with each
    further line of the message indented by two spaces (pytest 9, src/_pytest/assertion/util.py,
    _format_lines, https://github.com/pytest-dev/pytest); an assert without a message gives only the
    echo, which says nothing an auditor can use (the result's evidence says what was judged).
    """
    if text.startswith("assert "):
        return "the rule does not hold"
    if "\nassert " in text:
        first, *more = text.split("\nassert ")[0].split("\n")
        text = "\n".join([first, *(line[2:] if line.startswith("  ") else line for line in more)])
    return text.strip() or "the rule does not hold"


class Tally:
    """Every (check, target) outcome of the run, and what did not apply; registered as a plugin in the controller."""

    def __init__(self, record=None, run_dir: Path | None = None):
        self.results: list[Result] = []
        self.record = record    # report.recorder.RunRecord under `stackaudit run`: writes summary.json
        self.run_dir = run_dir  # where not-applicable.json goes (summary.json holds the same list)
        # {check_id, target, reason} of each (check, target) left out at collection (stackaudit/applicability.py);
        # target None: the cloud has no target of the check's kinds
        self.not_applicable: list[dict] = []

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node, error):
        """pytest-xdist: a worker ended. Every worker collects the same items, so any one's list is the run's."""
        listed = getattr(node, "workeroutput", {}).get("stackaudit_not_applicable")
        if listed is not None and not self.not_applicable:
            self.not_applicable = listed

    def pytest_runtest_logreport(self, report):
        result = getattr(report, "stackaudit", None)
        if result:
            self.results.append(Result(**result))

    def pytest_sessionfinish(self, session, exitstatus):
        if self.results and exitstatus in (EXIT_OK, EXIT_FAILED):
            session.exitstatus = self.exit_code()
        if self.run_dir is not None:
            try:
                write_json(self.run_dir / NOT_APPLICABLE_FILE, self.not_applicable)
            except OSError as err:
                print(visible(f"stackaudit: cannot write {self.run_dir / NOT_APPLICABLE_FILE}: {err.strerror}"),
                      file=sys.stderr)
        if self.record is not None:
            self.record.finish(self.results, int(session.exitstatus), self.not_applicable)

    def pytest_terminal_summary(self, terminalreporter):
        if self.results or self.not_applicable:
            terminalreporter.write_sep("=", "StackAudit results by check")
            for line in summary_lines(self.results, self.not_applicable):
                terminalreporter.write_line(line)
        if self.record is not None and self.record.summary is not None:
            terminalreporter.write_sep("=", "StackAudit: what changed")
            for line in self.record.lines():
                terminalreporter.write_line(line)

    def exit_code(self) -> int:
        return exit_code(self.results)


def exit_code(results: list[Result]) -> int:
    failed = [r for r in results if r.status == "failed"]
    if any(r.severity in BLOCKING_SEVERITIES for r in failed):
        return EXIT_FAILED
    if any(r.status == "broken" for r in results):
        return EXIT_BROKEN
    return EXIT_WARNING if failed else EXIT_OK
