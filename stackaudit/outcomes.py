"""Outcomes of (check, target) results and the run's exit code.

passed: the rule holds. failed: an AssertionError, the rule is violated. broken: anything else,
the target could not be checked (never counted as passed or failed).
"""
from __future__ import annotations

from collections import Counter

from stackaudit.errors import TargetError
from stackaudit.report import Result, summary_lines

EXIT_OK, EXIT_FAILED, EXIT_CONFIG, EXIT_BROKEN = 0, 1, 4, 6


def classify(report, call) -> tuple[str, str | None]:
    if report.skipped:
        return "skipped", None
    if report.passed:
        return "passed", None
    error = call.excinfo.value if call.excinfo else None
    if isinstance(error, AssertionError):
        # `assert x, message`: pytest appends its own "assert ..." explanation after the message.
        return "failed", str(error).split("\nassert ")[0].strip() or "the rule does not hold"
    if isinstance(error, TargetError):
        return "broken", str(error)
    return "broken", f"{type(error).__name__}: {error}" if error else "not checked"


class Tally:
    """Every (check, target) outcome of the run; registered as a plugin in the controller."""

    def __init__(self):
        self.results: list[Result] = []

    def pytest_runtest_logreport(self, report):
        result = getattr(report, "stackaudit", None)
        if result:
            self.results.append(Result(**result))

    def pytest_sessionfinish(self, session, exitstatus):
        if self.results and exitstatus in (EXIT_OK, EXIT_FAILED):
            session.exitstatus = self.exit_code()

    def pytest_terminal_summary(self, terminalreporter):
        if self.results:
            terminalreporter.write_sep("=", "StackAudit results by check")
            for line in summary_lines(self.results):
                terminalreporter.write_line(line)

    def exit_code(self) -> int:
        counts = Counter(r.status for r in self.results)
        if counts["failed"]:
            return EXIT_FAILED
        return EXIT_BROKEN if counts["broken"] else EXIT_OK
