"""MS-MKISOFS: GNU stat's default output (parsers/stat_modes.py) on recorded outputs, the ISO programs
CloudStack tries (parsers/iso_tools.py), and the rule (rules/iso_tools.py)."""
from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stackaudit.collect.declared.mgmt_host import ISO_TOOLS_COMMAND
from stackaudit.errors import UnparsableOutput
from stackaudit.parsers.iso_tools import ISO_TOOLS, parse_iso_tools
from stackaudit.parsers.stat_modes import FileMode, parse_stat_blocks
from stackaudit.rules.iso_tools import iso_tool_findings
from tests.unit.hypothesis_budget import examples

RECORDED = Path(__file__).resolve().parent.parent / "data" / "recorded"


def recorded(name: str) -> str:
    return (RECORDED / name).read_text()


@pytest.mark.parametrize("name, expected", [
    ("stat-L-default-debian12.txt", [FileMode("/usr/bin/awk", "regular file", 0o755, "root", "root"),
                                     FileMode("/usr/bin/env", "regular file", 0o755, "root", "root")]),
    ("outside-stat-default-benini.txt", [FileMode("filename", "regular empty file", 0o644, "root", "root")]),
    ("outside-stat-default-catalyst2.txt", [FileMode("config.php", "regular file", 0o644, "example", "example")]),
])
def test_recorded_stat_outputs(name, expected):
    assert parse_stat_blocks(recorded(name)) == expected


def test_the_recorded_command_with_the_lab_s_stand_ins_fails_on_the_first_program():
    found = parse_iso_tools(recorded("iso-tools-genisoimage-0644-mkisofs-0755-debian12.txt"))
    assert [(f.path, f.mode) for f in found] == [("/usr/bin/genisoimage", 0o644), ("/usr/bin/mkisofs", 0o755)]
    assert "/usr/bin/genisoimage (mode 0644, root:root) is not executable" in iso_tool_findings(found)[0][0]


def test_a_block_without_its_access_line_is_unparsable():
    text = "\n".join(recorded("stat-L-default-debian12.txt").splitlines()[:3])
    with pytest.raises(UnparsableOutput, match="expected one Size line with the file type and one Access line"):
        parse_stat_blocks(text)
    with pytest.raises(UnparsableOutput, match="expected a `File:` line first"):
        parse_stat_blocks("stat: cannot statx\n")


def test_the_command_stats_the_three_paths_in_cloudstack_s_order_following_links():
    assert ISO_TOOLS_COMMAND.startswith("for p in /usr/bin/genisoimage /usr/bin/mkisofs /usr/local/bin/mkisofs;")
    assert "[ -e \"$p\" ]" in ISO_TOOLS_COMMAND and "stat -L" in ISO_TOOLS_COMMAND


def stat_of(path: str, mode: str = "0755", kind: str = "regular file", user: str = "root", group: str = "root") -> str:
    return (f"  File: {path}\n  Size: 1    \tBlocks: 8          IO Block: 4096   {kind}\n"
            f"Device: 254,0\tInode: 1     Links: 1\n"
            f"Access: ({mode}/-rwxr-xr-x)  Uid: (    0/    {user})   Gid: (    0/    {group})\n")


def test_the_tools_come_in_cloudstack_s_order_and_nothing_else():
    assert parse_iso_tools("") == []
    assert [t.path for t in parse_iso_tools(stat_of(ISO_TOOLS[1]) + stat_of(ISO_TOOLS[2]))] == list(ISO_TOOLS[1:])
    for text in (stat_of("/usr/bin/xorriso"), stat_of(ISO_TOOLS[1]) + stat_of(ISO_TOOLS[0])):
        with pytest.raises(UnparsableOutput, match="expected some of"):
            parse_iso_tools(text)


def judge(*stats: str) -> list[str]:
    return iso_tool_findings(parse_iso_tools("".join(stats)))[0]


def test_an_executable_genisoimage_passes_and_so_does_an_executable_mkisofs_alone():
    assert judge(stat_of(ISO_TOOLS[0])) == []
    assert judge(stat_of(ISO_TOOLS[2], "0711")) == []
    assert judge(stat_of(ISO_TOOLS[0], "0700", user="cloud")) == []
    assert judge(stat_of(ISO_TOOLS[0], "0750", group="cloud")) == []


def test_no_tool_fails_with_cloudstack_s_words():
    assert judge() == ["none of /usr/bin/genisoimage, /usr/bin/mkisofs, /usr/local/bin/mkisofs exists: CloudStack "
                       "cannot build config-drive ISOs (\"Cannot create iso for config drive using any know tool\"); "
                       "install genisoimage"]


def test_the_first_existing_tool_decides_even_when_a_later_one_runs():
    findings = judge(stat_of(ISO_TOOLS[0], "0644"), stat_of(ISO_TOOLS[1]))
    assert findings == ["/usr/bin/genisoimage (mode 0644, root:root) is not executable by user cloud: CloudStack "
                        "takes it, the first of /usr/bin/genisoimage, /usr/bin/mkisofs, /usr/local/bin/mkisofs that "
                        "exists, and fails (\"Cannot create iso for config drive using: /usr/bin/genisoimage\"); "
                        "chmod 0755 it"]
    assert "not executable by user cloud" in judge(stat_of(ISO_TOOLS[0], "0750"))[0]
    assert "is a directory, not a program" in judge(stat_of(ISO_TOOLS[0], "0755", kind="directory"))[0]


@settings(max_examples=examples(200))
@given(st.integers(0, 0o7777), st.sampled_from(["root", "cloud"]), st.sampled_from(["root", "cloud"]))
def test_executable_by_cloud_follows_the_bit_of_its_class(mode, user, group):
    tool = FileMode(ISO_TOOLS[0], "regular file", mode, user, group)
    bit = 0o100 if user == "cloud" else 0o010 if group == "cloud" else 0o001
    assert (iso_tool_findings([tool])[0] == []) == bool(mode & bit)


@settings(max_examples=examples(200))
@given(st.text(max_size=200))
def test_stat_parser_answers_or_says_unparsable(text):
    try:
        found = parse_stat_blocks(text)
    except UnparsableOutput:
        return
    assert all(0 <= f.mode <= 0o7777 for f in found)
