"""The batch script run by the shells targets have (Debian's dash, bash as on XenServer dom0), over
real outputs recorded by others and over any content: what they print is exactly what
tests/unit/test_batch.py's `framed_output` stands for, and it splits back into the same bytes.
Marked lab: it starts shells (unit tests start no process)."""
from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stackaudit.collect.batch import RawSection, build_batch_script, split_sections
from tests.unit.test_batch import CONTENT, framed_output

pytestmark = [pytest.mark.lab]

RECORDED = Path(__file__).resolve().parent.parent / "data" / "recorded"
SHELLS = ["dash", "bash"]


def run(shell: str, commands: dict[str, str]) -> tuple[bytes, bytes]:
    done = subprocess.run([shell, "-s"], input=build_batch_script(commands).encode(), capture_output=True,
                          check=True, timeout=30)
    return done.stdout, done.stderr


@pytest.mark.parametrize("shell", SHELLS)
def test_real_outputs_come_back_byte_for_byte(shell, tmp_path):
    names = ["outside-ss-ntl-centos7-ansible.txt", "outside-libvirt-no-newline.conf.txt",
             "outside-systemctl-status-libvirtd-cloudstack-4659.txt", "outside-Bug6609431.properties"]
    commands = {f"f{i}": f"cat {RECORDED / name}" for i, name in enumerate(names)}
    commands |= {"missing": f"cat {tmp_path / 'nothing'}", "exits": "echo out; echo err >&2; exit 3",
                 "reads_stdin": "cat", "writes_fd3": "echo forged >&3"}
    sections = split_sections(*run(shell, commands), list(commands))
    for i, name in enumerate(names):
        assert sections[f"f{i}"] == RawSection(0, (RECORDED / name).read_bytes(), b"")
    assert sections["missing"].exit_code == 1 and b"No such file" in sections["missing"].stderr
    assert sections["exits"] == RawSection(3, b"out\n", b"err\n")
    assert sections["reads_stdin"] == RawSection(0, b"", b"")      # /dev/null, not the rest of the script
    assert sections["writes_fd3"].exit_code != 0 and b"forged" not in sections["writes_fd3"].stdout


@pytest.mark.parametrize("shell", SHELLS)
@settings(max_examples=40, deadline=None)
@given(runs=st.lists(st.tuples(CONTENT, CONTENT, st.integers(0, 255)), min_size=1, max_size=4))
def test_any_content_round_trips_through_a_real_shell(shell, runs, tmp_path_factory):
    work = tmp_path_factory.mktemp("batch")
    commands, expected = {}, {}
    for i, (stdout, stderr, rc) in enumerate(runs):
        (work / f"{i}.out").write_bytes(stdout)
        (work / f"{i}.err").write_bytes(stderr)
        commands[f"s{i}"] = f"cat {work}/{i}.out; cat {work}/{i}.err >&2; exit {rc}"
        expected[f"s{i}"] = (stdout, stderr, rc)
    stdout, stderr = run(shell, commands)
    assert (stdout, stderr) == framed_output(expected)
    assert split_sections(stdout, stderr, list(commands)) == {n: RawSection(rc, o, e) for n, (o, e, rc) in expected.items()}
