"""Processes: which still map a replaced (deleted) libssl/libcrypto; a program's command line; the
user, pid and name of a program's processes; the PIDs pgrep prints."""
from __future__ import annotations

import re
from dataclasses import dataclass

from stackaudit.errors import UnparsableOutput
from stackaudit.parsers.numbers import read_decimal

USER_COLUMNS = 32
# PID_MAX_LIMIT - 1 on 64-bit Linux (include/linux/threads.h): no process has a higher PID
PID_MAX = 4 * 1024 * 1024 - 1


def read_pid(text: str, where: str) -> int:
    return read_decimal(text, where, low=1, high=PID_MAX, what="a PID")


@dataclass(frozen=True)
class StaleMapping:
    pid: int
    process: str      # the command name (/proc/PID/comm), e.g. "libvirtd"
    path: str         # the library's path as mapped, without the " (deleted)" mark


@dataclass(frozen=True)
class Process:
    user: str
    pid: int
    args: str         # the command line; "[kthreadd]" for a kernel thread, "[x] <defunct>" for a zombie


@dataclass(frozen=True)
class ProcessName:
    user: str
    pid: int
    name: str         # the process name (/proc/PID/comm, at most 15 characters), e.g. "java"


# The management server is a JVM (packaging/systemd/cloudstack-management.service runs java ...
# ServerDaemon; the Tomcat era ran java or jsvc with catalina.base under cloudstack-management). The
# process name is the program's even under an interpreter (the lab's stand-in `/usr/bin/java` is a
# shell script: the kernel names the process after the file it executed).
MANAGEMENT_PROGRAMS = ("java", "jsvc", "jsvc.exec")


@dataclass(frozen=True)
class ProgramProcesses:
    """The processes of some programs (by process name) and the PIDs whose command line holds a pattern."""
    programs: list[ProcessName]
    marked_pids: set[int]


def parse_stale_mappings(text: str) -> list[StaleMapping]:
    """The stale library scan's output (STALE_LIBRARY_COMMAND, collect/declared/processes.py):
    `PID<TAB>COMM<TAB>PATH` lines.

        7\tstale worker\t/tmp/stackaudit-rec.VHnBiT/libs/libcrypto.so.3
        7\tstale worker\t/tmp/stackaudit-rec.VHnBiT/libs/libssl.so.3
        8\tpython3\t/tmp/stackaudit-rec.VHnBiT/libs/libcrypto.so.3
    """
    mappings = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line:
            continue
        fields = line.split("\t", 2)
        if len(fields) != 3 or not re.fullmatch(r"[0-9]+", fields[0]) or not fields[2].startswith("/"):
            raise UnparsableOutput(f"stale library scan line {number}: expected 'PID<TAB>COMMAND<TAB>/path', "
                                   f"got {line[:80]!r}")
        mappings.append(StaleMapping(read_pid(fields[0], f"stale library scan line {number}"), fields[1], fields[2]))
    return mappings


def parse_ps(text: str) -> list[Process]:
    """`ps -eo user:32,pid,args --no-headers` (procps): user padded to 32 columns, pid, command line.

        nobody                                 3 sleep 60
        systemd-timesync                       4 sleep 61
        mysql                                  7 [sleep] <defunct>
    """
    processes = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        match = re.fullmatch(r"\s*(\S+)\s+([0-9]+) (.*)", line)
        if not match:
            raise UnparsableOutput(f"ps line {number}: expected 'USER PID ARGS', got {line[:80]!r}")
        if match.start(2) < USER_COLUMNS + 1:
            # `ps -ef`/`ps aux` lines also start with a user and a number (the PID, then the PPID
            # or %CPU): only the 32-column user field says the columns are those of the
            # collector's ps (collect/declared/processes.py)
            raise UnparsableOutput(f"ps line {number}: the user is not padded to {USER_COLUMNS} columns as "
                                   f"in `ps -eo user:{USER_COLUMNS},pid,args --no-headers`: {line[:80]!r}")
        processes.append(Process(match[1], read_pid(match[2], f"ps line {number}"), match[3].strip()))
    return processes


def parse_ps_names(text: str) -> list[ProcessName]:
    """`ps -C PROGRAMS -o user:32,pid,comm --no-headers` (procps): user padded to 32 columns, pid,
    process name. No argument is asked for, so none is read.

        cloud                                  7 java
        root                                  12 jsvc
    """
    processes = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        match = re.fullmatch(r"\s*(\S+)\s+([0-9]+) (\S.{0,14})", line.rstrip())
        if not match or match.start(2) < USER_COLUMNS + 1:
            raise UnparsableOutput(f"ps line {number}: expected 'USER PID NAME' as in `ps -o user:{USER_COLUMNS},"
                                   f"pid,comm --no-headers`, got {line[:80]!r}")
        processes.append(ProcessName(match[1], read_pid(match[2], f"ps line {number}"), match[3]))
    return processes


def parse_pids(text: str) -> set[int]:
    """`pgrep -f PATTERN`: one PID a line (nothing when no process matches).

        1204
        1377
    """
    pids = set()
    for number, line in enumerate(text.splitlines(), 1):
        if not re.fullmatch(r"[0-9]+", line):
            raise UnparsableOutput(f"pgrep line {number}: expected a PID, got {line[:80]!r}")
        pids.add(read_pid(line, f"pgrep line {number}"))
    return pids
