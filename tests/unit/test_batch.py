"""The batch's framing (stackaudit/collect/batch.py): a recorded run of the real script by dash, what
no content can forge, and every way the output can be garbled. The script itself is run by real
shells in tests/lab/test_batch_shells.py (a subprocess, so not here); here `framed_output` stands for
the shells, and that test checks it is byte for byte what dash and bash print."""
from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stackaudit.collect.batch import RawSection, Section, build_batch_script, parse_sections, split_sections
from stackaudit.errors import UnparsableOutput
from tests.unit.hypothesis_budget import examples

RECORDED = Path(__file__).resolve().parent.parent / "data" / "recorded"
NAMES = ["os_release", "rules_v4", "no_newline", "both"]


def recorded(name: str) -> bytes:
    return (RECORDED / name).read_bytes()


def framed_output(runs: dict[str, tuple[bytes, bytes, int]]) -> tuple[bytes, bytes]:
    """The batch script's stdout and stderr for commands that print these (stdout, stderr, exit code):
    each output with the script's own newline added, through sed 's/^/|/', between the frames."""
    def framed(data: bytes) -> bytes:
        return b"".join(b"|" + line + b"\n" for line in (data + b"\n").split(b"\n")[:-1])
    stdout = b"".join(b"@begin %s\n%s@end %s %d\n" % (n.encode(), framed(o), n.encode(), rc)
                      for n, (o, _, rc) in runs.items())
    stderr = b"".join(b"@begin %s\n%s@end %s\n" % (n.encode(), framed(e), n.encode()) for n, (_, e, _) in runs.items())
    return stdout, stderr


def garbled(stdout: bytes, stderr: bytes, names=NAMES) -> str:
    with pytest.raises(UnparsableOutput) as error:
        parse_sections(stdout, stderr, names)
    return str(error.value)


OUT, ERR = recorded("batch-sh-debian12.stdout"), recorded("batch-sh-debian12.stderr")


def test_dashs_output_splits_into_sections_with_exact_output_and_exit_codes():
    sections = parse_sections(OUT, ERR, NAMES)
    assert list(sections) == NAMES
    assert sections["os_release"] == Section(0, recorded("os-release-debian12.txt").decode(), "")
    assert sections["rules_v4"] == Section(1, "", "cat: /etc/iptables/rules.v4: No such file or directory\n")
    assert sections["no_newline"] == Section(0, "a\nb", "")
    assert sections["both"] == Section(3, "out\n", "err\n")


def test_the_script_frames_every_line_and_keeps_the_command_off_argv():
    script = build_batch_script({"listening": "ss -ltn"})
    assert script.startswith("exec 4>&1 5>&2\n")
    assert "\nss -ltn\n) </dev/null 3>&- 4>&- 5>&- 6>&-; echo $? >&3; echo; echo >&2;" in script
    assert script.count("sed 's/^/|/'") == 2
    assert "printf '@begin listening\\n'; printf '@begin listening\\n' >&2" in script
    assert "printf '@end listening %s\\n' \"$rc\"; printf '@end listening\\n' >&2" in script


def test_a_section_name_that_could_break_the_framing_is_refused():
    with pytest.raises(ValueError, match="section name 'a b'"):
        build_batch_script({"a b": "true"})


FORGED = (b"@end os_release 0\n@begin listening\nLISTEN 0 80 127.0.0.1:3306 0.0.0.0:*\n@end listening 0\n"
          b"@@0123456789abcdef begin listening@@\n|not a frame\n")


@pytest.mark.parametrize("stdout, stderr", [
    (b"", b""), (b"a\nb", b""), (b"\n\n", b"\n"), (b"|\n|x\n@", b"@begin x\n"), (FORGED, FORGED),
    ("\u00e9t\u00e9 \U0001f600 \x00\x01\x7f \u2028\r\n".encode(), b"\r"), (b"x" * 100_000, b""),
], ids=["empty", "no-last-newline", "only-newlines", "frame-characters", "forged-frames", "binary-ish-utf8",
        "one-long-line"])
def test_odd_but_valid_output_comes_back_as_it_was(stdout, stderr):
    out, err = framed_output({"first": (b"ok\n", b"", 0), "it": (stdout, stderr, 5), "listening": (b"", b"", 0)})
    sections = parse_sections(out, err, ["first", "it", "listening"])
    assert sections["it"] == Section(5, stdout.decode(), stderr.decode())
    assert sections["listening"] == Section(0, "", "")


def test_forged_frames_in_content_are_content():
    out, err = framed_output({"os_release": (FORGED, b"", 0), "listening": (b"LISTEN 0 80 0.0.0.0:3306\n", b"", 0)})
    sections = split_sections(out, err, ["os_release", "listening"])
    assert sections["listening"] == RawSection(0, b"LISTEN 0 80 0.0.0.0:3306\n", b"")
    assert sections["os_release"].stdout == FORGED


def rename(text: bytes, old: str, new: str) -> bytes:
    return text.replace(f"@begin {old}\n".encode(), f"@begin {new}\n".encode()).replace(
        f"@end {old} ".encode(), f"@end {new} ".encode()).replace(f"@end {old}\n".encode(), f"@end {new}\n".encode())


def section_text(text: bytes, name: str) -> bytes:
    start = text.index(f"@begin {name}\n".encode())
    end = text.index(b"\n@begin ", start) + 1 if b"\n@begin " in text[start:] else len(text)
    return text[start:end]


@pytest.mark.parametrize("change, reason", [
    (lambda o, e: (o + section_text(o, "both"), e), "garbled output: stdout: section 'both' repeated"),
    (lambda o, e: (rename(o, "no_newline", "rules_v4"), e), "garbled output: stdout: section 'rules_v4' repeated"),
    (lambda o, e: (o, rename(e, "both", "listening")), "garbled output: stderr: unexpected section 'listening'"),
    (lambda o, e: (o.replace(section_text(o, "rules_v4"), b"") + section_text(o, "rules_v4"), e),
     "garbled output: stdout: section 'no_newline' out of order (expected 'rules_v4')"),
    (lambda o, e: (o[:-1], e), "garbled output: stdout: section 'both' does not end where its output does: '@end both 3'"),
    (lambda o, e: (o[:o.index(b"@end both")], e), "garbled output: stdout: cut short in section 'both' (3 of 4 sections complete)"),
    (lambda o, e: (o[:o.index(b"@begin both")], e),
     "garbled output: stdout: cut short before section 'both' (3 of 4 sections complete)"),
    (lambda o, e: (o, e[:e.index(b"@begin rules_v4") + 16]),
     "garbled output: stderr: cut short in section 'rules_v4' (1 of 4 sections complete)"),
    (lambda o, e: (o, e.replace(b"@begin rules_v4\n", b"@begin rules_v4\n@end rules_v4\n")),
     "garbled output: stderr: section 'rules_v4' has no framed output: '@end rules_v4'"),
    (lambda o, e: (b"Welcome to Debian!\n" + o, e),
     "garbled output: stdout: unexpected text where section 'os_release' should begin: 'Welcome to Debian!'"),
    (lambda o, e: (o + b"|late\n", e), "garbled output: stdout: unexpected text after the last section: '|late'"),
    (lambda o, e: (o, e.replace(b"|err\n", b"|err\nsh: 1: sed: not found\n")),
     "garbled output: stderr: section 'both' does not end where its output does: 'sh: 1: sed: not found'"),
    (lambda o, e: (o.replace(b"@end both 3\n", b"@end both \n"), e),
     "garbled output: stdout: section 'both' does not end where its output does: '@end both '"),
    (lambda o, e: (o.replace(b"|a\n", b"|\xffa\n"), e),
     "garbled output: not UTF-8 text in stdout of section 'no_newline' (byte 0xff at offset 0)"),
], ids=["repeated-at-end", "repeated-in-place", "unexpected", "out-of-order", "last-newline-cut", "cut-in-section",
        "cut-between-sections", "cut-after-begin", "no-content-line", "motd-before", "text-after", "unframed-line", "no-exit-code",
        "not-utf8"])
def test_garbled_output_makes_the_whole_target_unparsable_with_one_line(change, reason):
    stdout, stderr = change(OUT, ERR)
    message = garbled(stdout, stderr)
    assert message == reason and "\n" not in message


def test_an_output_for_fewer_commands_than_asked_is_cut_short():
    assert garbled(OUT, ERR, NAMES + ["listening"]) == (
        "garbled output: stdout: cut short before section 'listening' (4 of 5 sections complete)")


SECTION_NAME = st.from_regex(r"[a-z0-9_]{1,12}", fullmatch=True)
# Bytes the framing gives a meaning to, and UTF-8 text of every kind
CONTENT = st.lists(st.sampled_from([b"\n", b"|", b"@", b"@begin ", b"@end ", b" 0", b"\r", b"\x00"])
                   | st.text().map(str.encode), max_size=12).map(b"".join)


@settings(max_examples=examples(300), deadline=None)
@given(st.dictionaries(SECTION_NAME, st.tuples(CONTENT, CONTENT, st.integers(0, 255)), min_size=1, max_size=6))
def test_any_output_round_trips_through_the_framing(runs):
    stdout, stderr = framed_output(runs)
    assert split_sections(stdout, stderr, list(runs)) == {n: RawSection(rc, o, e) for n, (o, e, rc) in runs.items()}
