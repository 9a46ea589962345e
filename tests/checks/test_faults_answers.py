"""Hostile answers: XAPI and the CloudStack API answering with bombs, faults and oversize or deeply
nested documents (tests/checks/fault_lab.py)."""
from __future__ import annotations

import pytest

from tests.checks.fault_lab import api_settings_fault, assert_faults_reported, peak_kib, xapi_pool_fault

pytestmark = [pytest.mark.lab, pytest.mark.slow, pytest.mark.lab_scenario("compliant.yml")]


# --- hostile machines: answers ---
# (Before test_faults_ssh_output.py, by file order, which tests/labs.py keeps: its costliest run raises
# the largest peak RSS of the session's runs, which each test here measures before and after its own run: peak_kib.)
# What an answer may add to a run's peak: an XML-RPC answer at its cap (policy limits.xapi_answer_mib,
# 64 MiB) parses into about 4.5 times its size (docs/security.md, "Bounded against any answer: what XAPI and the API can send").
# Before answers were bounded, Python's XML-RPC client alone peaked at 810 MiB on the gzip bomb below.
ANSWER_PEAK_MIB = 64 * 9 // 2


def assert_answer_peak(name: str, before: int) -> None:
    after = peak_kib()
    print(f"{name}: largest peak RSS of the runs before {before / 1024:.0f} MiB, with this one {after / 1024:.0f} MiB")
    assert after <= before + ANSWER_PEAK_MIB * 1024, (before, after)


def test_hostile_answers_gzip_bomb_and_json_nested_100000_deep(fault_lab):
    """XAPI's master answers VM.get_all_records with a gzip bomb (255 KiB inflating to 256 MiB) it was
    not asked for; the API answers listConfigurations with arrays nested 100,000 deep."""
    f, master, before = fault_lab.faults, fault_lab.address("xs01"), peak_kib()
    result, seconds = fault_lab.run("hostile-answers", [
        lambda: f.xapi_answers({master: {"VM.get_all_records": {"mode": "gzip_bomb"}}}),
        lambda: f.api_faults({"listConfigurations": {"mode": "nested", "depth": 100_000}}),
    ])
    assert_faults_reported(fault_lab, result, seconds, {
        **api_settings_fault("CloudStack API: listConfigurations: the answer nests 100,001 deep, over the 64 "
                             "any real answer needs; not parsed"),
        **xapi_pool_fault(f"XAPI {master}: VM.get_all_records: the answer is compressed (Content-Encoding: gzip), "
                          "which was not asked for"),
    })
    assert_answer_peak("hostile-answers", before)
    log = (fault_lab.faults.state_dir / "sim" / "xapi.log").read_text()
    assert f"{master} VM.get_all_records gzip_bomb (fault)" in log


def test_hostile_answers_xml_rpc_fault_from_a_member(fault_lab):
    """A pool member answers every call with an XML-RPC <fault> (not XAPI's failure envelope): discovery
    goes on to the next member, which names it master; the pool's collection is broken with one line."""
    f, master, before = fault_lab.faults, fault_lab.address("xs01"), peak_kib()
    result, seconds = fault_lab.run("xmlrpc-fault", [
        lambda: f.xapi_answers({master: {"*": {"mode": "fault", "code": 1, "string": "Internal error\nat line 2"}}}),
    ])
    assert_faults_reported(fault_lab, result, seconds, xapi_pool_fault(
        f"XAPI {master}: login failed: XML-RPC fault 1: Internal error at line 2"))
    assert_answer_peak("xmlrpc-fault", before)
    log = (fault_lab.faults.state_dir / "sim" / "xapi.log").read_text()
    assert f"{fault_lab.address('xs02')} session.login_with_password HOST_IS_SLAVE" in log


def test_hostile_answers_xapi_answer_over_its_cap(fault_lab):
    """The master answers VM.get_all_records with 80 MiB of XML-RPC, uncompressed: read up to the policy's
    limits.xapi_answer_mib (64 MiB), then refused, naming the cap."""
    f, master, before = fault_lab.faults, fault_lab.address("xs01"), peak_kib()
    result, seconds = fault_lab.run("xapi-oversize", [
        lambda: f.xapi_answers({master: {"VM.get_all_records": {"mode": "oversize", "bytes": 80 << 20}}})])
    assert_faults_reported(fault_lab, result, seconds, xapi_pool_fault(
        f"XAPI {master}: VM.get_all_records: the answer is over 64 MiB (policy limits.xapi_answer_mib); "
        "not read further"))
    assert_answer_peak("xapi-oversize", before)


def test_hostile_answers_json_nested_100000_deep_in_discovery(fault_lab):
    """listHosts nested 100,000 deep while discovering: no target list can be trusted, so the run ends
    with one line and exit code 6, as for any discovery failure; never a RecursionError's traceback."""
    result, seconds = fault_lab.run("nested-discovery", [
        lambda: fault_lab.faults.api_faults({"listHosts": {"mode": "nested", "depth": 100_000}})])
    assert result.exit_code == 6 and result.results == [], result.output
    lines = [line for line in result.output.splitlines() if "cannot discover" in line]
    assert lines == ["Exit: stackaudit: cannot discover the cloud's targets: CloudStack API: listHosts: the answer "
                     "nests 100,001 deep, over the 64 any real answer needs; not parsed"]
    assert "Traceback" not in result.output and "RecursionError" not in result.output
    assert seconds < fault_lab.clean_seconds
