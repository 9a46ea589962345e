"""`stackaudit run`'s pytest in a child process, so that the pages are written after it has exited.

pytest's controller holds the session (items, reports, xdist's bookkeeping) until it returns, and
Python seldom gives freed memory back to the system. Allure's report generation (a Java process) used to
start on top of it: at 1,000 hosts the run peaked at 1,470 MiB (docs/benchmarks.md, "Fleet benchmark"). The child
runs pytest and ends with os._exit; the parent, which holds only the configuration it read, waits and
then writes summary.html and report.html.

Ctrl-C reaches every process of the terminal's foreground group: pytest, in the child, stops as it always
does (exit code 2, interrupted) while the parent ignores SIGINT until the child has ended, so it still
writes the pages of what ran. A child ended by a signal (killed, out of memory) is an interrupted run.
"""
from __future__ import annotations

import os
import signal
import sys
import traceback

import pytest

INTERRUPTED = int(pytest.ExitCode.INTERRUPTED)
INTERNAL_ERROR = int(pytest.ExitCode.INTERNAL_ERROR)


def exit_code(status: int) -> int:
    """The child's exit code from its wait status; a child a signal ended gives interrupted."""
    if os.WIFSIGNALED(status):
        return INTERRUPTED
    return os.WEXITSTATUS(status)


def run_pytest_apart(args: list[str], plugins: list) -> int:
    """pytest.main(args, plugins) in a forked child; its exit code."""
    sys.stdout.flush()
    sys.stderr.flush()
    # Ignored before the fork, so that no Ctrl-C can end the parent between the fork and the wait.
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        pid = os.fork()
        if pid == 0:
            signal.signal(signal.SIGINT, signal.default_int_handler)
            os._exit(child(args, plugins))
        return exit_code(wait(pid))
    finally:
        signal.signal(signal.SIGINT, previous)


def child(args: list[str], plugins: list) -> int:
    code = INTERNAL_ERROR
    try:
        code = int(pytest.main(args, plugins=plugins))
    except KeyboardInterrupt:
        code = INTERRUPTED
    except BaseException:    # the parent must still get an exit code, and never run on as a second parent
        traceback.print_exc()
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        except (OSError, ValueError):
            pass
    return code


def wait(pid: int) -> int:
    while True:
        try:
            _, status = os.waitpid(pid, 0)
            return status
        except InterruptedError:
            continue
