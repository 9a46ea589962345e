"""The management server's JVM heap (parsers/jvm.py) and MS-JVM-HEAP's rule (rules/jvm_heap.py), on
recorded outputs (tests/data/recorded/SOURCES.md), tables and drawn heap sizes."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lab.parts.units import SYSTEMCTL_STANDIN
from stackaudit.collect.declared.processes import HEAP_COMMAND
from stackaudit.config.policy import policy_from_data
from stackaudit.errors import CollectionFailed, ConfigError, UnparsableOutput
from stackaudit.parsers.jvm import MAX_HEAP_BYTES, HeapOption, JvmHeap, heap_option, parse_jvm_heap
from stackaudit.rules.jvm_heap import heap_findings
from tests.unit.hypothesis_budget import examples
from tests.unit.numbers_strategy import any_number_of_digits, number_texts

RECORDED = Path(__file__).resolve().parent.parent / "data" / "recorded"


def recorded(name: str) -> str:
    return (RECORDED / name).read_text()


def test_the_packaged_heap_of_a_stock_server_fails_the_default_floor():
    heap = parse_jvm_heap(recorded("jvm-heap-cloudstack-packaged.txt"))
    assert heap == JvmHeap(1175, "java", (HeapOption("-Xmx2G", 2 << 30),))
    assert heap_findings(heap, 3584) == [
        "cloudstack-management (PID 1175) runs with -Xmx2G (2048 MiB), below the policy's 3584 MiB"]
    assert heap_findings(heap, 2048) == []      # the packaged size, once the policy says so


def test_a_shell_wrapper_as_main_process_is_not_judged():
    heap = parse_jvm_heap(recorded("jvm-heap-usage-pr1409-wrapper.txt"))
    assert heap == JvmHeap(1750, "sh", ())
    with pytest.raises(CollectionFailed, match=r"^the main process of cloudstack-management \(PID 1750\) is 'sh', "
                                               r"not a JVM: its heap options cannot be told apart"):
        heap_findings(heap, 3584)


@pytest.mark.parametrize("lines, limit_text, mib", [
    (["-Xmx4096m"], "-Xmx4096m", 4096),
    (["-Xmx2G", "-Xmx4096m"], "-Xmx4096m", 4096),                    # the last one applies
    (["-Xmx8g", "-XX:MaxHeapSize=3584M"], "-XX:MaxHeapSize=3584M", 3584),
    (["-Xmx3670016k"], "-Xmx3670016k", 3584),
    (["-Xmx3758096384"], "-Xmx3758096384", 3584),                      # bytes, no unit
    (["-Xmx1t"], "-Xmx1t", 1 << 20),
])
def test_the_last_heap_option_is_the_limit(lines, limit_text, mib):
    heap = parse_jvm_heap("\n".join(["MainPID=42", "comm java", *lines]) + "\n")
    assert heap.limit.text == limit_text and heap.limit.bytes == mib << 20
    assert heap_findings(heap, 3584) == []


def test_just_below_the_floor_fails_and_no_limit_fails():
    assert heap_findings(parse_jvm_heap("MainPID=42\ncomm java\n-Xmx3583m\n"), 3584) == [
        "cloudstack-management (PID 42) runs with -Xmx3583m (3583 MiB), below the policy's 3584 MiB"]
    assert heap_findings(parse_jvm_heap("MainPID=42\ncomm jsvc\n"), 3584) == [
        "no explicit heap limit (-Xmx) on the command line of cloudstack-management (PID 42): the JVM default "
        "applies; set -Xmx3584m or more"]


def test_a_unit_without_main_process_is_not_judged():
    heap = parse_jvm_heap("MainPID=0\n")
    assert heap == JvmHeap(None, "", ())
    with pytest.raises(CollectionFailed, match=r"^cloudstack-management has no running main process \(MainPID=0\)"):
        heap_findings(heap, 3584)


@pytest.mark.parametrize("text, message", [
    ("", "jvm heap line 1: expected MainPID=<pid>, got ''"),
    ("Failed to connect to bus: Host is down\n", "jvm heap line 1: expected MainPID=<pid>, got 'Failed to"),
    ("MainPID=\n", "jvm heap line 1: '' is not a PID"),
    ("MainPID=١٢\ncomm java\n", "jvm heap line 1: '١٢' is not a PID"),
    ("MainPID=0\ncomm java\n", "jvm heap line 2: output after MainPID=0: 'comm java'"),
    ("MainPID=42\n", "jvm heap line 2: the name and command line of PID 42 were not read"),
    ("MainPID=42\ncomm java\n-Xmx2X\n", "jvm heap line 3: '-Xmx2X' is not a heap size"),
    ("MainPID=42\ncomm java\n-Xmx\n", "jvm heap line 3: '-Xmx' is not a heap size"),
    ("MainPID=42\ncomm java\n-Xmx0x10g\n", "jvm heap line 3: '-Xmx0x10g' is not a heap size"),
    ("MainPID=42\ncomm java\n-Xmx²g\n", "jvm heap line 3: '-Xmx²g' is not a heap size"),
    ("MainPID=42\ncomm java\n-Xmx9999999999t\n", "jvm heap line 3: '-Xmx9999999999t' is larger than any heap"),
])
def test_unreadable_output_says_where(text, message):
    with pytest.raises(UnparsableOutput, match="^" + re.escape(message)):
        parse_jvm_heap(text)


def java_heap_size(text: str) -> int | None:
    """The oracle: ASCII digits and at most one of k, m, g, t in either case, within a 64-bit size."""
    found = re.fullmatch(r"([0-9]+)([kmgtKMGT]?)", text, re.ASCII)
    if not found:
        return None
    with any_number_of_digits():
        value = int(found.group(1)) * 1024 ** " kmgt".index(found.group(2).lower() or " ")
    return value if value <= MAX_HEAP_BYTES else None


@given(st.one_of(number_texts(blanks=False),
                 st.tuples(number_texts(blanks=False), st.sampled_from("kKmMgGtTbB%")).map("".join)))
@settings(max_examples=examples(300), deadline=None)
def test_heap_sizes_are_read_as_the_oracle_reads_them(size):
    expected = java_heap_size(size)
    for option in (f"-Xmx{size}", f"-XX:MaxHeapSize={size}"):
        if expected is None:
            with pytest.raises(UnparsableOutput):
                heap_option(option, "jvm heap line 3")
        else:
            assert heap_option(option, "jvm heap line 3") == HeapOption(option, expected)


def test_the_command_names_the_unit_and_reads_only_heap_options():
    assert "systemctl show -p MainPID cloudstack-management" in HEAP_COMMAND
    assert "grep -E '^-(Xmx|XX:MaxHeapSize=)'" in HEAP_COMMAND      # never the whole command line
    assert "show)" in SYSTEMCTL_STANDIN and "MainPID=$pid" in SYSTEMCTL_STANDIN


def test_the_policy_floor_defaults_to_the_source_and_refuses_nonsense():
    assert policy_from_data({}, "defaults").ms.min_heap_mb == 3584
    assert policy_from_data({"ms": {"min_heap_mb": 2048}}, "p.yml").ms.min_heap_mb == 2048
    with pytest.raises(ConfigError, match=r"^p\.yml: ms\.min_heap_mb: found int 0; expected a whole number of MiB from 64"):
        policy_from_data({"ms": {"min_heap_mb": 0}}, "p.yml")
