"""The real iptables-restore and iptables-save, in a network namespace of this test's own: a file written
in odd spellings reads as what iptables-save prints after restoring it, and legacy tables beside the
nf_tables ones are seen. Needs root; run under `flock /tmp/stackaudit-lab.lock` (one lab at a time)."""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from stackaudit.parsers.iptables import parse_iptables_save
from stackaudit.parsers.iptables_legacy import legacy_problem, legacy_save_line
from tests.lab.conftest import require_root
from tests.unit.test_iptables_forms import SPELLINGS, saved_form

pytestmark = [pytest.mark.lab]
RECORDED = Path(__file__).resolve().parent.parent / "data" / "recorded"


@pytest.fixture
def namespace():
    """A network namespace named with this process's pid, deleted by that name afterwards."""
    require_root()
    name = f"sa-restore-{os.getpid()}"
    subprocess.run(["ip", "netns", "add", name], check=True)
    try:
        yield name
    finally:
        subprocess.run(["ip", "netns", "del", name], check=True)


def run_in(namespace: str, argv: list[str], stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run(["ip", "netns", "exec", namespace, *argv], input=stdin, capture_output=True, text=True,
                          timeout=60, check=True)


@pytest.mark.parametrize("written, saved, family", SPELLINGS)
def test_the_real_iptables_save_prints_what_the_parser_reads_from_the_hand_written_file(namespace, written, saved,
                                                                                        family):
    tool = "iptables" if family == 4 else "ip6tables"
    text = (RECORDED / written).read_text()
    run_in(namespace, [f"{tool}-restore"], text)
    output = run_in(namespace, [f"{tool}-save"]).stdout
    assert saved_form(parse_iptables_save(text, written, family)) == saved_form(
        parse_iptables_save(output, f"{tool}-save", family))
    # the recorded output the unit tests read is what iptables-save prints (but for its dates)
    assert [line for line in output.splitlines() if not line.startswith("#")] == [
        line for line in (RECORDED / saved).read_text().splitlines() if not line.startswith("#")]


def test_legacy_tables_are_read_only_where_they_exist_and_holding_rules_are_not_judged(namespace):
    """Debian's iptables package ships iptables-legacy beside iptables-nft (the default)."""
    line = legacy_save_line("ip_tables_names", "iptables-legacy-save")
    run_in(namespace, ["iptables-restore"], (RECORDED / "iptables-save-v4-compliant.txt").read_text())
    assert run_in(namespace, ["sh", "-c", line]).stdout == ""
    # reading made no legacy table (iptables-legacy-save would have)
    assert run_in(namespace, ["cat", "/proc/net/ip_tables_names"]).stdout == ""
    assert "Warning" not in run_in(namespace, ["iptables-save"]).stderr
    run_in(namespace, ["iptables-legacy-restore"], (RECORDED / "iptables-legacy-save-lab.txt").read_text())
    saved = run_in(namespace, ["iptables-save"])
    assert "# Warning: iptables-legacy tables present" in saved.stdout + saved.stderr
    legacy = run_in(namespace, ["sh", "-c", line]).stdout
    assert legacy_problem(saved.stdout, legacy, 4).startswith("legacy IPv4 tables hold rules beside the nf_tables")
