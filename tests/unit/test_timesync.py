"""TIME-SYNC's parsers on recorded outputs of timedatectl, chronyc and ntpq (tests/data/recorded/
SOURCES.md), and its rule on each way a clock can be synchronised or not."""
from __future__ import annotations

import shutil
import subprocess
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stackaudit.collect.declared.clock import TIME_TOOLS_COMMAND
from stackaudit.errors import NotCheckable, UnparsableOutput
from stackaudit.parsers.timesync import (ChronyTracking, parse_chronyc_tracking, parse_ntp_synchronized,
                                         parse_ntpq_peers, parse_time_service, parse_time_tools)
from stackaudit.rules.timesync import NO_TIME_SERVICE, time_sync_findings
from tests.unit.hypothesis_budget import examples
from tests.unit.test_parsers_hypothesis import RECORDED, TextParser, mutated, parse_or_refuse


def recorded(name: str) -> str:
    return (RECORDED / name).read_text()


def framed(**tools: tuple[int, str] | None) -> str:
    """The command's output for these answers: tool=(exit code, output), or None when not installed."""
    lines = []
    for tool in ("timedatectl", "chronyc", "ntpq"):
        answer = tools.get(tool)
        if answer is None:
            lines.append(f"{tool} absent")
            continue
        lines.append(f"{tool} exit {answer[0]}")
        lines += [f"{tool}|{line}" for line in answer[1].rstrip("\n").split("\n")]
    return "\n".join(lines) + "\n"


CHRONY_MANUAL = recorded("chronyc-tracking-chrony-manual.txt")
# The manual's sample, edited: what chronyc prints before chronyd has selected a source.
CHRONY_NOT_SYNCHRONISED = CHRONY_MANUAL.replace("Leap status     : Normal", "Leap status     : Not synchronised")
CHRONY_5S_FAST = CHRONY_MANUAL.replace("0.000006523 seconds slow", "5.000000000 seconds fast")
NTPQ_SYSTEM_PEER = recorded("ntpq-p-telegraf-issue2386.txt")
NTPQ_NONE_SELECTED = recorded("ntpq-p-telegraf-pool-when-minus.txt")


# --- parsers, on recorded outputs -----------------------------------------------------------------

@pytest.mark.parametrize("name, offset", [("chronyc-tracking-chrony-manual.txt", Decimal("-0.000006523")),
                                          ("chronyc-tracking-pingcap-docs.txt", Decimal("-0.000022151"))])
def test_chronyc_tracking_of_synchronised_clocks(name, offset):
    tracking = parse_chronyc_tracking(recorded(name))
    assert tracking == ChronyTracking("Normal", offset)
    assert tracking.synchronised


def test_chronyc_not_synchronised_and_fast_offsets():
    assert not parse_chronyc_tracking(CHRONY_NOT_SYNCHRONISED).synchronised
    assert parse_chronyc_tracking(CHRONY_5S_FAST).offset_seconds == Decimal("5.000000000")


@pytest.mark.parametrize("text, error", [
    ("506 Cannot talk to daemon\n", "chronyc tracking: no Leap status and System time line"),
    (CHRONY_MANUAL.replace("Normal", "Unsynchronised"), "chronyc tracking: Leap status 'Unsynchronised'"),
    (CHRONY_MANUAL.replace("0.000006523", "0.00000652\u0663"), "chronyc tracking: System time '0.00000652\u0663"),
    (CHRONY_MANUAL.replace("0.000006523", "nan"), "chronyc tracking: System time 'nan seconds"),
])
def test_chronyc_output_it_cannot_read_is_refused(text, error):
    with pytest.raises(UnparsableOutput, match="^" + error.replace("(", r"\(")):
        parse_chronyc_tracking(text)


def test_ntpq_peers_with_a_system_peer_and_names_holding_blanks():
    peers = parse_ntpq_peers(NTPQ_SYSTEM_PEER)
    assert [(p.tally, p.remote, p.offset_ms) for p in peers] == [
        ("*", "SHM(0)", Decimal("0.045")), ("+", "37.58.57.238", Decimal("0.373")),
        ("+", "37.58.57.238", Decimal("0.373")), ("+", "37.58.57.238", Decimal("0.373")),
        ("-", "SHM(1)", Decimal("10.105"))]
    assert [p.selected for p in peers] == [True, False, False, False, False]


def test_ntpq_peers_without_a_system_peer_and_signed_offsets():
    peers = parse_ntpq_peers(NTPQ_NONE_SELECTED)
    assert [(p.tally, p.offset_ms, p.selected) for p in peers] == [(" ", Decimal("0.000"), False),
                                                                   (" ", Decimal("1.283"), False)]
    assert parse_ntpq_peers("No association ID's returned\n") == []


@pytest.mark.parametrize("text, error", [
    ("ntpq: read: Connection refused\n", "ntpq -p: expected its header"),
    (NTPQ_SYSTEM_PEER.replace("*SHM(0)", "!SHM(0)"), "ntpq -p line 3: expected a tally code"),
    (NTPQ_SYSTEM_PEER.replace("0.045", "0.04\u0665"), "ntpq -p line 3: expected a tally code"),
])
def test_ntpq_output_it_cannot_read_is_refused(text, error):
    with pytest.raises(UnparsableOutput, match="^" + error):
        parse_ntpq_peers(text)


def test_timedatectl_ntp_synchronized():
    assert parse_ntp_synchronized("yes\n") is True
    assert parse_ntp_synchronized("no\n") is False
    with pytest.raises(UnparsableOutput, match="^timedatectl NTPSynchronized: expected yes or no, got 'Unknown"):
        parse_ntp_synchronized(recorded("timedatectl-show-rhel7-linuxfabrik-605.txt"))


def test_the_framing_keeps_each_tool_s_answer_and_refuses_a_forged_one():
    answers = parse_time_tools(framed(timedatectl=(1, recorded("timedatectl-show-no-systemd.txt")),
                                      ntpq=(0, NTPQ_SYSTEM_PEER)))
    assert [(a.tool, a.installed, a.exit_code) for a in answers.values()] == [
        ("timedatectl", True, 1), ("chronyc", False, None), ("ntpq", True, 0)]
    assert answers["ntpq"].text == NTPQ_SYSTEM_PEER.rstrip("\n")
    assert answers["timedatectl"].first_line.startswith("System has not been booted with systemd")
    # A line a tool prints cannot pose as another tool's answer: it reaches us behind its own name.
    forged = parse_time_tools(framed(timedatectl=(0, "yes\nchronyc exit 0\nchronyc|Leap status : Normal")))
    assert forged["timedatectl"].text == "yes\nchronyc exit 0\nchronyc|Leap status : Normal"
    assert not forged["chronyc"].installed
    with pytest.raises(UnparsableOutput, match="^time tools line 2: expected a tool's answer, got 'yes'"):
        parse_time_tools("timedatectl exit 0\nyes\nchronyc absent\nntpq absent\n")
    with pytest.raises(UnparsableOutput, match="^time tools: expected answers of timedatectl, chronyc, ntpq, got "
                                               "timedatectl$"):
        parse_time_tools("timedatectl absent\n")


# --- the rule ---------------------------------------------------------------------------------------

def findings(**tools) -> list[str]:
    return time_sync_findings(parse_time_service(framed(**tools)), 1000)


def test_any_one_tool_reporting_a_synchronised_clock_within_the_offset_passes():
    assert findings(timedatectl=(0, "yes"), chronyc=(0, CHRONY_MANUAL)) == []
    # unusual but compliant: systemd too old for `show`, no chrony, ntpd with a system peer
    assert findings(timedatectl=(1, recorded("timedatectl-show-rhel7-linuxfabrik-605.txt")),
                    ntpq=(0, NTPQ_SYSTEM_PEER)) == []
    assert findings(ntpq=(0, NTPQ_SYSTEM_PEER)) == []


def test_no_tool_at_all_is_no_time_service():
    assert findings() == [NO_TIME_SERVICE]
    assert NO_TIME_SERVICE == "no time service: none of timedatectl, chronyc, ntpq is installed"


def test_each_tool_saying_not_synchronised_fails_with_what_it_said():
    assert findings(timedatectl=(0, "no")) == ["the clock is not synchronised: timedatectl: NTPSynchronized=no"]
    assert findings(chronyc=(0, CHRONY_NOT_SYNCHRONISED)) == [
        "the clock is not synchronised: chronyc: Leap status Not synchronised"]
    assert findings(timedatectl=(0, "no"), ntpq=(0, NTPQ_NONE_SELECTED)) == [
        "the clock is not synchronised: timedatectl: NTPSynchronized=no; ntpq: no peer marked '*' among 2"]
    # a stopped chronyd beside a timedatectl that says no: the clock is not synchronised
    assert findings(timedatectl=(0, "no"), chronyc=(1, recorded("chronyc-tracking-pingcap-docs-no-daemon.txt"))) == [
        "the clock is not synchronised: timedatectl: NTPSynchronized=no; chronyc failed (exit 1): 506 Cannot talk "
        "to daemon"]


def test_an_offset_over_the_policy_fails_even_when_synchronised():
    assert findings(timedatectl=(0, "yes"), chronyc=(0, CHRONY_5S_FAST)) == [
        "the clock is 5000.000 ms fast by chronyc's System time, over the policy's time.max_offset_ms of 1000"]
    slow_peer = NTPQ_SYSTEM_PEER.replace("    0.045", " -1500.25")
    assert findings(ntpq=(0, slow_peer)) == [
        "the clock is 1500.250 ms slow by ntpq's system peer SHM(0), over the policy's time.max_offset_ms of 1000"]


def test_tools_that_cannot_tell_leave_the_result_not_checked():
    with pytest.raises(NotCheckable, match=r"^no time tool could tell whether the clock is synchronised: "
                                           r"timedatectl has no `show` \(systemd older than 239\): Unknown operation "
                                           r"show; chronyc failed \(exit 1\): 506 Cannot talk to daemon$"):
        findings(timedatectl=(1, recorded("timedatectl-show-rhel7-linuxfabrik-605.txt")),
                 chronyc=(1, recorded("chronyc-tracking-pingcap-docs-no-daemon.txt")))


# --- Hypothesis: mutated recorded outputs are read or refused, never anything else -------------------

TIME_PARSERS = [
    TextParser("chronyc tracking", parse_chronyc_tracking, (
        "chronyc-tracking-chrony-manual.txt", "chronyc-tracking-pingcap-docs.txt",
        "chronyc-tracking-pingcap-docs-no-daemon.txt")),
    TextParser("ntpq -p", parse_ntpq_peers, ("ntpq-p-telegraf-issue2386.txt", "ntpq-p-telegraf-pool-when-minus.txt")),
    TextParser("timedatectl show", parse_ntp_synchronized, ("timedatectl-show-rhel7-linuxfabrik-605.txt",),
               seeds=("yes\n", "no\n")),
    TextParser("time tools", parse_time_service, seeds=(
        framed(timedatectl=(0, "yes"), chronyc=(0, CHRONY_MANUAL), ntpq=(0, NTPQ_SYSTEM_PEER)),
        framed(timedatectl=(1, "Unknown operation show"), ntpq=(0, NTPQ_NONE_SELECTED)))),
]


@pytest.mark.parametrize("parser", TIME_PARSERS, ids=[p.name for p in TIME_PARSERS])
@settings(max_examples=examples(200), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_mutated_time_outputs_are_read_or_refused(parser, data):
    text = data.draw(mutated(parser))
    parsed = parse_or_refuse(parser, text)
    if parser.name == "time tools" and parsed is not None:
        # whatever was read, the rule answers with findings or a NotCheckable, never another error
        try:
            assert isinstance(time_sync_findings(parsed, 1000), list)
        except NotCheckable as why:
            assert str(why)


# --- the command itself, by dash and bash, with stand-in tools on PATH --------------------------------

def run_time_tools(tmp_path, shell: str, tools: dict[str, tuple[int, str]]) -> str:
    """TIME_TOOLS_COMMAND with only sed and these stand-ins on PATH (tool -> exit code, output)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "sed").symlink_to(shutil.which("sed"))
    for tool, (code, output) in tools.items():
        (tmp_path / f"{tool}.out").write_text(output)
        (bin_dir / tool).write_text(f"#!/bin/sh\n{shutil.which('cat')} {tmp_path / (tool + '.out')}\nexit {code}\n")
        (bin_dir / tool).chmod(0o755)
    done = subprocess.run([shutil.which(shell), "-c", TIME_TOOLS_COMMAND], capture_output=True, text=True,
                          env={"PATH": str(bin_dir)}, timeout=30, check=True)
    return done.stdout


@pytest.mark.integration
@pytest.mark.parametrize("shell", ["dash", "bash"])
def test_the_command_frames_each_tool_and_tells_absent_from_failed(tmp_path, shell):
    out = run_time_tools(tmp_path, shell, {"timedatectl": (1, "Unknown operation show\n"),
                                           "ntpq": (0, NTPQ_SYSTEM_PEER)})
    service = parse_time_service(out)
    assert [(a.installed, a.exit_code) for a in service.answers.values()] == [(True, 1), (False, None), (True, 0)]
    assert service.ntp_peers == parse_ntpq_peers(NTPQ_SYSTEM_PEER)
    assert time_sync_findings(service, 1000) == []


def test_a_failing_tool_s_message_is_cut_where_it_is_shown():
    answers = parse_time_tools(framed(chronyc=(1, "x" * 5000)))
    assert answers["chronyc"].first_line == "x" * 200 + " ..."
    assert parse_time_tools(framed(ntpq=(1, ""))).get("ntpq").first_line == "(no output)"
