"""The report apart from pytest: pytest in a child process (report/pytest_apart.py), Java's heap capped
for Allure (report/allure_heap.py)."""
from __future__ import annotations

import os
import signal

import pytest

from stackaudit.report import allure_heap
from stackaudit.report.allure_heap import (EXIT_ON_OOM, HEAP_CEILING_MIB, HEAP_FLOOR_MIB, heap_in_effect, heap_mib,
                                           java_options, out_of_heap, out_of_heap_reason)
from stackaudit.report.allure_report import ReportFailed, generate
from stackaudit.report.pytest_apart import INTERRUPTED, exit_code, run_pytest_apart

MIB = 1024 * 1024
pytest_plugins = ("pytester",)


def test_the_heap_grows_with_the_results_between_its_floor_and_ceiling():
    assert heap_mib(0) == HEAP_FLOOR_MIB
    middle = (HEAP_FLOOR_MIB + HEAP_CEILING_MIB) // 2
    size = int(middle * MIB / allure_heap.HEAP_PER_RESULTS_BYTE)
    assert heap_mib(size) in (middle, middle + 1)
    assert heap_mib(10 * 1024 * MIB) == HEAP_CEILING_MIB
    assert heap_mib(size) <= heap_mib(size + MIB) <= HEAP_CEILING_MIB


def test_the_cap_goes_into_java_opts_unless_the_operator_gave_one():
    ours = "-XX:+UseSerialGC -XX:TieredStopAtLevel=1 " + EXIT_ON_OOM
    assert java_options({"PATH": "/bin"}, 300) == {"PATH": "/bin", "JAVA_OPTS": f"-Xmx300m {ours}"}
    assert java_options({"JAVA_OPTS": "-Dx=1"}, 300)["JAVA_OPTS"] == f"-Dx=1 -Xmx300m {ours}"
    assert java_options({"JAVA_OPTS": "-Xmx2g"}, 300)["JAVA_OPTS"] == f"-Xmx2g {ours}"
    assert java_options({"ALLURE_OPTS": "-Xmx2g"}, 300) == {"ALLURE_OPTS": "-Xmx2g", "JAVA_OPTS": ours}
    # a collector of the operator's own: none of ours beside it (two collectors stop the JVM at its start)
    assert java_options({"JAVA_OPTS": "-XX:+UseG1GC"}, 300)["JAVA_OPTS"] == \
        f"-XX:+UseG1GC -Xmx300m -XX:TieredStopAtLevel=1 {EXIT_ON_OOM}"


def test_running_out_of_heap_is_one_line_naming_the_heap_and_the_fix():
    assert out_of_heap("Terminating due to java.lang.OutOfMemoryError: Java heap space\n")
    assert not out_of_heap("Exception in thread main java.io.IOException")
    environment = java_options({}, 256)
    assert heap_in_effect({"JAVA_OPTS": "-Xmx1g", "ALLURE_OPTS": "-Xmx2g"}) == "-Xmx2g"
    assert out_of_heap_reason(environment, 7_250_000) == (
        "allure generate ran out of Java heap (-Xmx256m for 7.2 MB of results); give it more with JAVA_OPTS=-Xmx<MiB>m")


def test_a_child_ended_by_a_signal_is_an_interrupted_run():
    assert exit_code(signal.SIGKILL) == INTERRUPTED == 2      # a wait status: killed by signal 9
    assert exit_code(1 << 8) == 1 and exit_code(0) == 0 and exit_code(6 << 8) == 6


@pytest.mark.integration     # forks, runs pytest in the child and Java (see pytest.ini)
def test_pytest_runs_in_a_child_whose_ctrl_c_and_death_the_parent_outlives(pytester):
    pytester.makepyfile(test_child="""
import os, signal

def test_passes():
    pass

def test_fails():
    assert os.environ["WHERE"] == "here"

def test_interrupted():
    if os.environ["WHERE"] == "ctrl-c":
        os.kill(os.getppid(), signal.SIGINT)    # the parent ignores it while it waits
        os.kill(os.getpid(), signal.SIGINT)     # pytest stops: interrupted

def test_killed():
    if os.environ["WHERE"] == "killed":
        os.kill(os.getpid(), signal.SIGKILL)
""")
    args = [str(pytester.path), "-p", "no:randomly", "-p", "no:cacheprovider", "-q"]
    parent = os.getpid()
    for where, expected in (("elsewhere", 1), ("ctrl-c", INTERRUPTED), ("killed", INTERRUPTED)):
        os.environ["WHERE"] = where
        try:
            assert run_pytest_apart(args, []) == expected, where
        finally:
            del os.environ["WHERE"]
        assert os.getpid() == parent
    assert signal.getsignal(signal.SIGINT) is not signal.SIG_IGN


@pytest.mark.integration
def test_allure_out_of_heap_fails_in_seconds_with_one_line(tmp_path, monkeypatch):
    """The real tool with a heap far too small: report.html not written, the reason, no hang."""
    from stackaudit.report.allure_report import find_allure
    results = tmp_path / "allure-results"
    results.mkdir()
    for index in range(300):
        (results / f"{index:04}-attachment.txt").write_text("x" * 20000)
        (results / f"{index:04}-result.json").write_text(
            f'{{"uuid": "{index:04}", "name": "r{index}", "status": "passed", "start": 1, "stop": 2, '
            f'"attachments": [{{"name": "a", "source": "{index:04}-attachment.txt", "type": "text/plain"}}]}}')
    monkeypatch.setenv("JAVA_OPTS", "-Xmx16m")
    with pytest.raises(ReportFailed, match=r"^allure generate ran out of Java heap \(-Xmx16m for 6\.\d MB of results\)"):
        generate(find_allure(), results, tmp_path / "report.html", timeout=120)
    assert not (tmp_path / "report.html").exists()
