"""Process facts collect only what their rules read: libvirtd's own command line, and the user,
pid and name of the management programs with the PIDs whose command line holds the server's
markers; never every process's arguments (outputs recorded by
tests/data/recorded/recorders/record-process-names.sh)."""
from __future__ import annotations

from pathlib import Path

import pytest

from stackaudit.collect.declarations import FACTS, readings_of
from stackaudit.collect.declared.processes import LIBVIRTD_PROCESS, PROGRAM_PROCESSES, SERVER_PIDS
from stackaudit.errors import UnparsableOutput
from stackaudit.parsers.procs import ProcessName, parse_pids, parse_ps, parse_ps_names
from stackaudit.rules.hosts import libvirtd_process_args
from stackaudit.rules.management import management_server_processes, runs_as_findings

RECORDED = Path(__file__).resolve().parent.parent / "data" / "recorded"


def recorded(name: str) -> str:
    return (RECORDED / name).read_text()


def test_no_process_fact_asks_for_every_command_line():
    lines = [r.line for kind in ("kvm-host", "mgmt") for r in readings_of(FACTS, kind) if hasattr(r, "line")]
    assert not [line for line in lines if isinstance(line, str) and line.startswith("ps -e")]
    assert "args" not in PROGRAM_PROCESSES.line and SERVER_PIDS.line.startswith("pgrep -f ")
    assert LIBVIRTD_PROCESS.line.startswith("ps -C libvirtd ")


def test_libvirtd_command_line_under_its_stand_in_interpreter():
    program, *args = libvirtd_process_args(parse_ps(recorded("ps-libvirtd-debian12.txt")))
    assert program.endswith("/libvirtd") and args == ["--listen"]


def test_the_server_is_the_java_whose_command_line_holds_the_marker():
    programs = parse_ps_names(recorded("ps-programs-debian12.txt"))
    marked = parse_pids(recorded("pgrep-server-debian12.txt"))
    assert programs == [ProcessName("nobody", 2, "java"), ProcessName("root", 3, "java")]
    assert marked == {1, 2, 4}       # 1 and 4 are shells whose command lines name the markers
    server = management_server_processes(programs, marked)
    assert runs_as_findings(server) == ["the management server process (pid 2) runs as nobody, not cloud"]
    assert "not-recorded" not in recorded("ps-programs-debian12.txt") + recorded("pgrep-server-debian12.txt")


@pytest.mark.parametrize("parse, text, message", [
    (parse_ps_names, "root 1 java\n", "ps line 1: expected 'USER PID NAME' as in `ps -o user:32,pid,comm "
                                      "--no-headers`, got 'root 1 java'"),
    (parse_ps_names, f"{'root':<32} {1:>7} a name longer than fifteen\n", "ps line 1: expected 'USER PID NAME'"),
    (parse_pids, "12\nroot 12\n", "pgrep line 2: expected a PID, got 'root 12'"),
])
def test_unexpected_lines_are_unparsable(parse, text, message):
    with pytest.raises(UnparsableOutput) as raised:
        parse(text)
    assert str(raised.value).startswith(message)


def test_nothing_running_is_an_empty_list():
    assert parse_ps_names("") == [] and parse_pids("") == set()
