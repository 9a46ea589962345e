"""A JVM's maximum heap as its command line sets it: the heap options of the process that systemd
names as a unit's main process (HEAP_COMMAND, collect/declared/processes.py).

The java launcher's manual (Oracle, "The java Command", Java SE 17, 2021,
https://docs.oracle.com/en/java/javase/17/docs/specs/man/java.html) gives `-Xmx size` as "the
maximum size (in bytes) of the memory allocation pool", a number with an optional `k`/`K`, `m`/`M`
or `g`/`G` suffix, "equivalent to -XX:MaxHeapSize"; HotSpot also takes `t`/`T`. Of several, the last
one on the command line applies.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from stackaudit.errors import UnparsableOutput
from stackaudit.parsers.numbers import read_decimal, shown
from stackaudit.parsers.procs import read_pid

MAIN_PID_PREFIX = "MainPID="
COMM_PREFIX = "comm "
HEAP_OPTION = re.compile(r"-(?:Xmx|XX:MaxHeapSize=)(.*)", re.DOTALL)
SIZE = re.compile(r"([0-9]+)([kKmMgGtT]?)")
UNIT_BYTES = {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40}
# 2^63 - 1: HotSpot keeps sizes in a 64-bit size_t; a larger number is no heap any JVM starts with
MAX_HEAP_BYTES = (1 << 63) - 1


@dataclass(frozen=True)
class HeapOption:
    text: str          # as on the command line, e.g. "-Xmx2G"
    bytes: int


@dataclass(frozen=True)
class JvmHeap:
    main_pid: int | None            # None: systemd has no main process (MainPID=0: not running)
    process: str                    # the main process's name (/proc/PID/comm), e.g. "java"
    options: tuple[HeapOption, ...]  # the heap options in command-line order; the last applies

    @property
    def limit(self) -> HeapOption | None:
        return self.options[-1] if self.options else None


def heap_option(text: str, where: str) -> HeapOption:
    """One `-Xmx<size>` or `-XX:MaxHeapSize=<size>` argument."""
    option = HEAP_OPTION.fullmatch(text)
    size = SIZE.fullmatch(option.group(1)) if option else None
    if size is None:
        raise UnparsableOutput(f"{where}: {shown(text)} is not a heap size (digits and one of k, m, g, t)")
    count = read_decimal(size.group(1), where, high=MAX_HEAP_BYTES, what="a heap size")
    value = count * UNIT_BYTES[size.group(2).lower()]
    if value > MAX_HEAP_BYTES:
        raise UnparsableOutput(f"{where}: {shown(text)} is larger than any heap a JVM accepts")
    return HeapOption(text, value)


def parse_jvm_heap(text: str) -> JvmHeap:
    """HEAP_COMMAND's output: `systemctl show -p MainPID UNIT`'s line, then, for a running unit, the
    main process's name (/proc/PID/comm) and the heap options of its /proc/PID/cmdline, one a line.

        MainPID=8412
        comm java
        -Xmx2G
    """
    lines = text.splitlines()
    where = "jvm heap line 1"
    if not lines or not lines[0].startswith(MAIN_PID_PREFIX):
        raise UnparsableOutput(f"{where}: expected {MAIN_PID_PREFIX}<pid>, got {shown(lines[0] if lines else '')}")
    pid_text = lines[0][len(MAIN_PID_PREFIX):]
    if pid_text == "0":
        if len(lines) > 1:
            raise UnparsableOutput(f"jvm heap line 2: output after MainPID=0: {shown(lines[1])}")
        return JvmHeap(None, "", ())
    pid = read_pid(pid_text, where)
    if len(lines) < 2 or not lines[1].startswith(COMM_PREFIX):
        raise UnparsableOutput(f"jvm heap line 2: the name and command line of PID {pid} were not read")
    return JvmHeap(pid, lines[1][len(COMM_PREFIX):], tuple(heap_option(line, f"jvm heap line {number}")
                              for number, line in enumerate(lines[2:], start=3)))
