"""`stackaudit merge`: a night's shard runs, recorded small here, joined into one run directory; and every
way a merge is refused (one line, exit 4, nothing written)."""
from __future__ import annotations

import datetime
import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings, strategies as st

from stackaudit.cli import main
from stackaudit.config.safe_files import UnsafePath
from stackaudit.config.shard import shard_of
from stackaudit.targets import Snapshot, Target
from stackaudit.report.changes import as_shard, build_summary, write_summary
from stackaudit.report.merge import merge_into, merged_exit_code
from stackaudit.report.outputs import write_outputs
from stackaudit.report.runs import SHARD_MARK, new_run_dir
from stackaudit.report.shard_runs import MergeRefused, changeable_by_others, read_shard_run, read_shard_runs
from stackaudit.report.summary import Result
from tests.unit.hypothesis_budget import examples
from tests.unit.output_consumers import csv_rows, junit_problems, metric_samples
from tests.unit.test_run_command import REPO, inventory  # noqa: F401 (the fixture)

TODAY = datetime.date(2026, 11, 25)
HOSTS = [f"kvm-host://zone1/kvm{i:02d}" for i in range(1, 9)]


def target(target_id: str) -> Target:
    kind, rest = target_id.split("://")
    zone, name = rest.split("/")
    return Target(kind, name, zone, "198.18.0.1")


def record_shard(reports: Path, index: int, count: int, *, cloud: str = "lab", hosts=HOSTS,
                 failed: tuple[str, ...] = (), exit_code: int | None = None, pins=()) -> Path:
    """A finished shard run as `stackaudit run --shard index/count` leaves it: one HOST-IPTABLES-V4
    result per host of the shard (failed for `failed`), with its Allure files, targets, facts, summary.json
    and the outputs built from it (report/outputs.py)."""
    run_dir = new_run_dir(reports)
    mine = [h for h in hosts if shard_of(h, count) == index]
    results = [Result("HOST-IPTABLES-V4", h, "failed" if h in failed else "passed",
                      "INPUT policy is ACCEPT" if h in failed else "", "critical") for h in mine]
    (run_dir / "allure-results").mkdir()
    for n, result in enumerate(results):
        labels = [{"name": "check_id", "value": result.check_id}, {"name": "target", "value": result.target}]
        (run_dir / "allure-results" / f"{index}-{n}-result.json").write_text(json.dumps(
            {"status": result.status, "labels": labels, "statusDetails": {"message": result.message}}))
        (run_dir / "allure-results" / f"{index}-{n}-attachment.txt").write_text(f"evidence of {result.target}")
    (run_dir / "allure-results" / f"{index}-container.json").write_text("{}")
    Snapshot(cloud, [target(h) for h in hosts], f"2026-11-25T01:0{index}:00+00:00").save(run_dir / "targets.json")
    (run_dir / "facts").mkdir()
    for h in mine:
        (run_dir / "facts" / f"{h.replace('://', '_').replace('/', '_')}.json").write_text(json.dumps({"target": h}))
    code = exit_code if exit_code is not None else (1 if any(r.status == "failed" for r in results) else 0)
    summary = build_summary(run_dir.name, f"2026-11-25T01:0{index}:00+00:00", "2026-11-25T01:30:00+00:00", cloud,
                            "4.19.1.0", "nightly", code, results, None, (), TODAY, first_use_pins=list(pins),
                            not_applicable=[{"check_id": "SVM-PER-ZONE", "target": f"zone://zone{index}",
                                             "reason": f"zone zone{index} is Disabled"}])
    write_outputs(run_dir, as_shard(summary, f"{index}/{count}"))
    (run_dir / SHARD_MARK).write_text(f"{index}/{count}\n")
    return run_dir


def test_merged_run_holds_every_shards_results_files_and_one_junit_of_the_night(tmp_path, capsys):
    reports = tmp_path / "reports"
    shards = [record_shard(reports, i, 3, failed=("kvm-host://zone1/kvm02",)) for i in range(3)]
    run_dir = new_run_dir(reports)
    summary = merge_into(run_dir, read_shard_runs(list(reversed(shards)), "lab"), (), TODAY)

    assert [(r["target"], r["status"]) for r in summary["results"]] == [
        (h, "failed" if h.endswith("kvm02") else "passed") for h in HOSTS]
    assert summary["counts"] == {"passed": 7, "failed": 1, "broken": 0, "waived": 0, "skipped": 0, "total": 8,
                                 "not_applicable": 3}
    # each shard's (check, target) pairs left out at collection, once each
    assert [n["target"] for n in summary["not_applicable"]] == ["zone://zone0", "zone://zone1", "zone://zone2"]
    assert (summary["exit_code"], summary["cloud"], summary["profile"]) == (1, "lab", "nightly")
    assert summary["started"] == "2026-11-25T01:00:00+00:00" and "shard" not in summary
    assert [m["shard"] for m in summary["merged_from"]] == ["0/3", "1/3", "2/3"]
    assert summary["changes"]["new_failures"] == [{"check_id": "HOST-IPTABLES-V4", "target": "kvm-host://zone1/kvm02"}]
    assert summary["changes_since"] is None, "a shard run is never the previous run of a night"
    assert json.loads((run_dir / "summary.json").read_text()) == summary
    copied = {p.name for p in (run_dir / "allure-results").iterdir()}
    assert copied == {p.name for s in shards for p in (s / "allure-results").iterdir()}
    assert len(list((run_dir / "facts").glob("*.json"))) == len(HOSTS)
    assert sorted(t.id for t in Snapshot.load(run_dir / "targets.json").targets) == HOSTS
    junit = (run_dir / "junit.xml").read_bytes()
    assert junit_problems(junit) == []
    suite = ET.fromstring(junit).find("testsuite")
    assert {k: suite.get(k) for k in ("name", "tests", "failures", "errors", "skipped", "timestamp")} == {
        "name": "StackAudit", "tests": "8", "failures": "1", "errors": "0", "skipped": "0",
        "timestamp": "2026-11-25T01:00:00+00:00"}
    names = sorted(case.get("name") for case in suite.iter("testcase"))
    assert names == sorted(f"HOST-IPTABLES-V4 · {h}" for h in HOSTS)
    assert len(csv_rows((run_dir / "results.csv").read_text())) == len(HOSTS)
    assert metric_samples((run_dir / "metrics.prom").read_text())[
        "stackaudit_run_exit_code", (("cloud", "lab"),)] == 1
    assert capsys.readouterr().err == ""


def test_changes_are_against_the_previous_whole_run_not_a_shard(tmp_path):
    reports = tmp_path / "reports"
    earlier = new_run_dir(reports, now=0)
    before = [Result("HOST-IPTABLES-V4", h, "failed" if h.endswith("kvm01") else "passed", "", "critical")
              for h in HOSTS]
    write_summary(earlier / "summary.json", build_summary(earlier.name, "s", "f", "lab", None, "nightly", 1, before,
                                                          None, (), TODAY))
    shards = [record_shard(reports, i, 2, failed=("kvm-host://zone1/kvm02",)) for i in range(2)]
    summary = merge_into(new_run_dir(reports), read_shard_runs(shards, "lab"), (), TODAY)
    assert summary["changes_since"] == earlier.name
    assert summary["changes"]["fixed"] == [{"check_id": "HOST-IPTABLES-V4", "target": "kvm-host://zone1/kvm01"}]
    assert summary["changes"]["new_failures"] == [{"check_id": "HOST-IPTABLES-V4", "target": "kvm-host://zone1/kvm02"}]


def test_shards_that_discovered_different_targets_are_one_warning_and_recorded(tmp_path, capsys):
    reports = tmp_path / "reports"
    late = "kvm-host://zone1/kvm99"          # added to the cloud between the shards' discoveries
    owner = shard_of(late, 2)
    shards = [record_shard(reports, i, 2, hosts=HOSTS + [late] if i != owner else HOSTS) for i in range(2)]
    summary = merge_into(new_run_dir(reports), read_shard_runs(shards, "lab"), (), TODAY)
    err = capsys.readouterr().err.splitlines()
    assert err == ["stackaudit: warning: the shards discovered different targets: 1 target(s) not listed by every "
                   "shard, 1 of them checked by no shard (summary.json: targets_differ, unchecked_targets)"]
    assert (summary["targets_differ"], summary["unchecked_targets"]) == (1, [late])
    assert summary["exit_code"] == 6, "a target no shard checked: the night could not check everything"


@pytest.mark.parametrize("from_results, shard_codes, unchecked, expected", [
    (0, [0, 0], False, 0),
    (0, [0, 5], False, 0),          # a shard with nothing to run says nothing
    (0, [5, 5], False, 5),          # ... unless no shard had anything: as a run that selected nothing
    (0, [0, 6], False, 6),          # a shard whose discovery failed (no results)
    (7, [7, 0], False, 7),
    (1, [1, 6], False, 1),          # a failed blocker outranks could-not-check
    (0, [0, 2], False, 6),          # an interrupted shard: not everything was checked
    (7, [0, 0], True, 6),
])
def test_the_nights_exit_code(from_results, shard_codes, unchecked, expected):
    assert merged_exit_code(from_results, shard_codes, unchecked) == expected


def stackaudit_merge(inventory: Path, reports: Path, *runs: Path,
                     env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "stackaudit", "merge", f"--inventory={inventory}",
                           f"--reports-dir={reports}", *map(str, runs)], cwd=REPO, capture_output=True, text=True,
                          timeout=120, env={**os.environ, "K": "key", "S": "secret", **(env or {})})


def refused_cases(reports: Path, tmp_path: Path) -> dict[str, tuple[list[Path], str]]:
    s = [record_shard(reports, i, 4) for i in range(4)]
    other_n = record_shard(reports, 1, 3)
    other_cloud = record_shard(reports, 1, 4, cloud="prod")
    not_shard = new_run_dir(reports)
    write_summary(not_shard / "summary.json", {"run": not_shard.name, "results": []})
    no_junit = record_shard(reports, 2, 4, failed=(HOSTS[0],))
    (no_junit / "junit.xml").unlink()
    bad_index = record_shard(reports, 0, 2)
    write_summary(bad_index / "summary.json", {**json.loads((bad_index / "summary.json").read_text()), "shard": "2/2"})
    prod = [record_shard(reports, i, 1, cloud="prod") for i in range(1)]
    loose = record_shard(reports, 0, 1)
    (loose / "allure-results").chmod(0o777)
    loose_file = record_shard(reports, 0, 1)
    (loose_file / "summary.json").chmod(0o664)
    linked = record_shard(reports, 0, 1)
    (linked / "facts" / "planted.json").symlink_to(reports / "elsewhere.json")
    changeable = ": another user could have changed this shard's results; give runs that only the user who " \
                 "merges (or root) can write (docs/deployment.md, \"Sharding\")"
    return {
        "missing": ([s[0], s[1], s[3]], "shard 2/4 missing: a merge needs all 4 shards of the night; run the missing "
                                        "ones or give their run directories"),
        "twice": ([s[0], s[1], s[1], s[2], s[3]], f"shard 1/4 given twice: {s[1]} and {s[1]}; give each shard's run "
                                                  "directory once"),
        "different N": ([s[0], other_n], f"shards of different runs: {s[0]} is shard 0/4, {other_n} is shard 1/3; "
                                         "give the N shards of one night"),
        "different clouds": ([s[0], other_cloud], f"shards of different clouds: {s[0]} has cloud 'lab', {other_cloud} "
                                                  "has 'prod'"),
        "not a shard": ([s[0], not_shard], f"{not_shard / 'summary.json'}: shard: missing; not a shard's run (run each "
                                           "shard with `stackaudit run --shard I/N`)"),
        "not a directory": ([tmp_path / "nowhere"], f"{tmp_path / 'nowhere'}: not a directory; give the run "
                                                    "directories the shards wrote (reports/runs/<UTC>)"),
        "incomplete": ([no_junit], f"{no_junit / 'junit.xml'} was not written: the shard's run is incomplete; run "
                                   "that shard again"),
        "bad index": ([bad_index], f"{bad_index / 'summary.json'}: shard: found '2/2': shard index 2 is not below "
                                   "the number of shards 2 (indexes count from 0); give I/N, N the number of shards "
                                   "(1 to 10000) and I this one's index from 0 to N-1, e.g. 0/4"),
        "another cloud": (prod, f"{prod[0]}: a shard of the cloud 'prod', not of the inventory's cloud 'lab'; give "
                                "the inventory the shards ran with"),
        "a directory others can write": ([loose], f"{loose / 'allure-results'}: writable by group or others "
                                                  f"(mode 0777){changeable}"),
        "a file the group can write": ([loose_file], f"{loose_file / 'summary.json'}: writable by group or others "
                                                     f"(mode 0664){changeable}"),
        "a planted link": ([linked], f"{linked / 'facts' / 'planted.json'}: a symbolic link inside a shard's run, "
                                     f"which StackAudit never writes{changeable}"),
    }


@pytest.fixture(autouse=True)
def owner_only_writes():
    """Shard runs written as a run writes them, whatever the umask of the machine running the tests
    (a group-writable file is refused by the merge)."""
    before = os.umask(0o022)
    yield
    os.umask(before)


def test_a_shard_run_owned_by_another_user_is_refused(tmp_path):
    run_dir = record_shard(tmp_path / "reports", 0, 1)
    assert changeable_by_others(run_dir) is None
    someone_else = frozenset({os.geteuid() + 1})
    assert changeable_by_others(run_dir, someone_else) == \
        f"{run_dir.parent}: owned by uid {os.geteuid()}, not by the user merging (uid {os.geteuid()}) or root"


def test_a_run_reached_through_a_link_is_checked_where_it_is(tmp_path):
    """The night's link (deploy/shard-run.sh) may sit in a directory others write: what counts is the run."""
    run_dir = record_shard(tmp_path / "reports", 0, 1)
    nights = tmp_path / "nights"
    nights.mkdir(mode=0o777)
    nights.chmod(0o777)
    (nights / "0").symlink_to(run_dir)
    assert read_shard_run(nights / "0").summary["shard"] == "0/1"
    run_dir.chmod(0o757)
    with pytest.raises(MergeRefused, match=f"^{run_dir}: writable by group or others \\(mode 0757\\): "):
        read_shard_run(nights / "0")


def test_every_refused_merge_is_one_line_exit_4_and_writes_nothing(tmp_path, inventory, monkeypatch,  # noqa: F811
                                                                     capsys):
    monkeypatch.setenv("K", "key")
    monkeypatch.setenv("S", "secret")
    reports = tmp_path / "reports"
    cases = refused_cases(reports, tmp_path)
    before = sorted(p.name for p in (reports / "runs").iterdir())
    for name, (runs, expected) in cases.items():      # in this process: a command each would take seconds
        code = main(["merge", f"--inventory={inventory}", f"--reports-dir={reports}", *map(str, runs)])
        out, err = capsys.readouterr()
        assert (code, err.splitlines(), out) == (4, [f"stackaudit: {expected}"], ""), name
    code = main(["merge", f"--inventory={inventory}", f"--reports-dir={reports}", "--workers=2",
                 str(cases["missing"][0][0])])
    assert (code, capsys.readouterr().err.splitlines()) == (4, [
        "stackaudit: merge: unrecognized arguments '--workers=2'; merge takes --inventory, --waivers, --reports-dir and "
        "the shard run directories"])
    assert sorted(p.name for p in (reports / "runs").iterdir()) == before
    assert not (reports / "latest").exists()


@pytest.mark.integration
def test_stackaudit_merge_writes_the_run_its_report_points_latest_and_exits_with_the_nights_code(
        tmp_path, inventory):  # noqa: F811
    # Allure's real command needs Java and seconds per report; the lab test (tests/checks/test_sharding.py)
    # runs it. Here a stand-in writes the index.html that `allure generate --single-file -o DIR` would.
    allure = tmp_path / "allure"
    allure.write_text('#!/bin/sh\nwhile [ "$1" != -o ]; do shift; done\nmkdir -p "$2"\necho "<html>report</html>" > "$2/index.html"\n')
    allure.chmod(0o755)
    reports = tmp_path / "reports"
    shards = [record_shard(reports, i, 2, failed=(HOSTS[3],)) for i in range(2)]
    done = stackaudit_merge(inventory, reports, *shards, env={"STACKAUDIT_ALLURE": str(allure)})
    assert done.returncode == 1, done.stdout + done.stderr
    run_line, verdict_line, report_line = done.stdout.rstrip().splitlines()
    run_dir = Path(run_line.removeprefix("Run directory: "))
    assert verdict_line == f"Verdict: 1 NEW FAILURE: {run_dir}/summary.html"     # the night's, from every shard
    assert f"HOST-IPTABLES-V4 · {HOSTS[3]} (critical): INPUT policy is ACCEPT" in (run_dir / "summary.html").read_text()
    assert run_dir.parent == (reports / "runs").resolve() and run_dir not in [s.resolve() for s in shards]
    assert report_line.startswith(f"Report: {run_dir}/report.html (")
    assert (reports / "latest").resolve() == run_dir
    assert json.loads((run_dir / "summary.json").read_text())["exit_code"] == 1
    assert (run_dir / "allure-results" / "executor.json").is_file()


JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
                    max_leaves=12)
ENTRY = st.fixed_dictionaries({}, optional={k: JSON | st.sampled_from(["passed", "failed", HOSTS[0], None])
                                            for k in ("check_id", "target", "status", "message", "severity", "waiver")})
SUMMARY = st.fixed_dictionaries({"shard": st.sampled_from(["0/1", "0/2", "1/2", "2/2", "x"])}, optional={
    "cloud": JSON | st.just("lab"), "results": JSON | st.lists(ENTRY, max_size=3), "exit_code": JSON,
    "started": JSON, "profile": JSON, "cloudstack_version": JSON})


@settings(max_examples=examples(200), deadline=None,       # file writes: slow on a loaded machine
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(summary=JSON | SUMMARY)
@example(summary={"shard": "0/1", "cloud": "lab", "exit_code": 0, "started": "s", "profile": None,
                  "cloudstack_version": None, "results": [{"check_id": "C", "target": None, "status": "skipped",
                                                           "message": "", "severity": "minor", "waiver": None}]})
def test_any_summary_json_is_a_shard_run_or_one_refusal(tmp_path, summary):
    run_dir = tmp_path / "run"
    run_dir.mkdir(exist_ok=True)
    (run_dir / "summary.json").write_text(json.dumps(summary))
    for name in ("junit.xml", "results.csv", "metrics.prom"):     # present: what is judged is summary.json
        (run_dir / name).write_text("written\n")
    try:
        shard_run = read_shard_run(run_dir)
    except MergeRefused as err:
        assert "\n" not in str(err)
        return
    assert [r.check_id for r in shard_run.results] == [e["check_id"] for e in summary["results"]]


def test_a_target_read_as_a_member_by_another_shard_keeps_its_own_shards_facts(tmp_path):
    reports = tmp_path / "reports"
    shards = [record_shard(reports, i, 2) for i in range(2)]
    host = HOSTS[0]
    name = f"{host.replace('://', '_').replace('/', '_')}.json"
    owner, reader = shards[shard_of(host, 2)], shards[1 - shard_of(host, 2)]
    (owner / "facts" / name).write_text(json.dumps({"target": host, "facts": {"all": "its own checks' facts"}}))
    (reader / "facts" / name).write_text(json.dumps({"target": host, "facts": {"some": "what a group reads"}}))
    for order in (shards, list(reversed(shards))):
        run_dir = new_run_dir(reports)
        merge_into(run_dir, read_shard_runs(order, "lab"), (), TODAY)
        assert json.loads((run_dir / "facts" / name).read_text())["facts"] == {"all": "its own checks' facts"}


def test_a_shards_record_says_its_shard_and_leaves_changes_and_stale_waivers_to_merge(tmp_path):
    from stackaudit.report.recorder import RunRecord
    from stackaudit.report.runs import earlier_runs
    reports = tmp_path / "reports"
    whole = new_run_dir(reports, now=0)
    write_summary(whole / "summary.json", build_summary(whole.name, "s", "f", "lab", None, None, 0, [], None, (), TODAY))
    shard_dir = new_run_dir(reports, now=60)
    record = RunRecord(shard_dir, (), "lab", "4.19.1.0", "nightly", TODAY, "1/4")
    summary = record.finish([Result("HOST-IPTABLES-V4", HOSTS[1], "failed", "INPUT policy is ACCEPT", "critical")], 1)
    assert list(summary)[:11] == ["schema_version", "run", "started", "finished", "cloud", "cloudstack_version", "profile", "shard",
                                  "exit_code", "insecure_channels", "counts"]
    assert (summary["shard"], summary["changes_since"], summary["changes"], summary["stale_waivers"]) == (
        "1/4", None, None, None)
    assert json.loads((shard_dir / "summary.json").read_text()) == summary
    assert (shard_dir / SHARD_MARK).read_text() == "1/4\n"
    assert record.lines() == ["changes: this run is shard 1/4; `stackaudit merge` says what changed over the whole "
                              "night"]
    assert earlier_runs(new_run_dir(reports, now=120)) == [whole], "a shard is never a previous run"


def pin(target_id: str) -> dict:
    return {"target": target_id, "vm_id": f"id-{target_id[-6:]}", "fingerprint": f"SHA256:{target_id[-6:]}"}


def test_the_night_lists_every_shards_first_use_pins(tmp_path):
    reports = tmp_path / "reports"
    vms = {0: [pin("router://zone1/r-9-VM"), pin("ssvm://zone1/s-1-VM")], 1: [pin("cpvm://zone1/v-2-VM")]}
    shards = [record_shard(reports, i, 2, pins=vms[i]) for i in range(2)]
    assert json.loads((shards[0] / "summary.json").read_text())["first_use_pins"] == vms[0]
    summary = merge_into(new_run_dir(reports), read_shard_runs(shards, "lab"), (), TODAY)
    assert summary["first_use_pins"] == [pin("cpvm://zone1/v-2-VM"), pin("router://zone1/r-9-VM"),
                                         pin("ssvm://zone1/s-1-VM")]


@pytest.mark.parametrize("pins, problem", [
    ("all", "first_use_pins: not a list; not a StackAudit summary"),
    ([{"target": "router://zone1/r-9-VM", "vm_id": 7}], "first_use_pins[0]: not a pin (target, vm_id, fingerprint)"),
])
def test_a_shard_summary_with_malformed_first_use_pins_is_refused(tmp_path, pins, problem):
    shard = record_shard(tmp_path / "reports", 0, 1)
    summary = json.loads((shard / "summary.json").read_text())
    write_summary(shard / "summary.json", {**summary, "first_use_pins": pins})
    with pytest.raises(MergeRefused) as refused:
        read_shard_run(shard)
    assert str(refused.value) == f"{shard / 'summary.json'}: {problem}"


@pytest.mark.parametrize("folder", ["allure-results", "facts"])
def test_a_link_in_a_shards_run_is_not_followed_into_the_merged_run(tmp_path, folder):
    secret = tmp_path / "id_rsa"
    secret.write_text("PRIVATE KEY")
    reports = tmp_path / "reports"
    shards = [record_shard(reports, i, 2) for i in range(2)]
    name = "planted-attachment.txt" if folder == "allure-results" else "kvm-host_zone1_kvm99.json"
    checked = read_shard_runs(shards, "lab")    # refuses a link it sees; this one comes after the check
    (shards[1] / folder / name).symlink_to(secret)
    run_dir = new_run_dir(reports)
    with pytest.raises(UnsafePath, match="is a symbolic link"):
        merge_into(run_dir, checked, (), TODAY)
    assert not any("PRIVATE KEY" in p.read_text() for p in run_dir.rglob("*") if p.is_file())


def test_a_shard_whose_discovery_failed_makes_the_nights_discovery_failed_naming_it(tmp_path):
    reports = tmp_path / "reports"
    shards = [record_shard(reports, i, 2) for i in range(2)]
    summary = json.loads((shards[1] / "summary.json").read_text())
    summary.update(results=[], discovery={"status": "failed", "reason": "unreachable", "message": "listZones: refused"},
                   exit_code=6)
    write_outputs(shards[1], summary)
    merged = merge_into(new_run_dir(reports), read_shard_runs(shards, "lab"), (), TODAY)
    assert merged["discovery"] == {"status": "failed", "reason": "unreachable", "message": "shard 1/2: listZones: refused"}
    assert merged["exit_code"] == 6
