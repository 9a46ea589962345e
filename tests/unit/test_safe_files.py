"""Files under the reports directory, written safely as root (issue 18, item 6): planted symbolic
links at a temporary or a final name are never followed, a directory another user could write in
is refused, and everything is private. No root needed: the owner decision is tested on a stat
result, and once on a real directory of another user."""
from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from types import SimpleNamespace

import pytest

from stackaudit.collect.factstore import FactStore, facts_file_name
from stackaudit.config.safe_files import (UnsafePath, check_directory, create_exclusive, directory_problem,
                                          open_lock_file, open_new, private_dir, read_regular, replace_symlink,
                                          use_private_umask, write_file)
from stackaudit.targets import Snapshot, Target
from stackaudit.errors import CollectionFailed
from stackaudit.report.changes import write_summary
from stackaudit.report.runs import point_latest
from tests.unit.test_run_command import inventory  # noqa: F401 (the fixture)

SECRET = "root:$6$planted:19000:0:99999:7:::\n"


@pytest.fixture
def victim(tmp_path) -> Path:
    """A file outside the reports directory that a planted link points at: it must stay as it is."""
    path = tmp_path / "etc" / "shadow"
    path.parent.mkdir()
    path.write_text(SECRET)
    return path


@pytest.fixture
def reports(tmp_path) -> Path:
    return private_dir(tmp_path / "reports")


def untouched(victim: Path) -> bool:
    return victim.read_text() == SECRET and not victim.is_symlink()


def fake_stat(mode: int, uid: int) -> os.stat_result:
    return os.stat_result((mode, 0, 0, 2, uid, 0, 4096, 0, 0, 0))


# --- the decision on a directory ---------------------------------------------------------------------
@pytest.mark.parametrize("mode, uid, problem", [
    (stat.S_IFDIR | 0o700, 1000, None),
    (stat.S_IFDIR | 0o755, 1000, None),
    (stat.S_IFDIR | 0o750, 1000, None),
    (stat.S_IFDIR | 0o770, 1000, "is writable by group or others (mode 0770)"),
    (stat.S_IFDIR | 0o757, 1000, "is writable by group or others (mode 0757)"),
    (stat.S_IFDIR | 0o1777, 1000, "is writable by group or others (mode 1777)"),
    (stat.S_IFDIR | 0o700, 1001, "is owned by uid 1001, not by uid 1000 who runs the suite (or root)"),
    (stat.S_IFDIR | 0o755, 0, None),
    (stat.S_IFREG | 0o600, 1000, "is not a directory"),
], ids=["private", "readable", "group-readable", "group-writable", "world-writable", "sticky-tmp",
        "another-user", "root-s-is-trusted", "a-file"])
def test_a_directory_is_refused_if_another_user_could_write_in_it(mode, uid, problem):
    found = directory_problem(fake_stat(mode, uid), 1000)
    if problem is None:
        assert found is None
    else:
        assert found is not None and found.startswith(problem) and "\n" not in found
        assert found.endswith(("give a private directory", "give a directory of your own", "give a directory"))


def test_a_real_group_writable_directory_is_refused_and_a_private_one_accepted(tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o775)
    with pytest.raises(UnsafePath) as refused:
        check_directory(shared)
    assert str(refused.value) == (f"{shared}: is writable by group or others (mode 0775): another user could plant "
                                  "files there; run chmod go-w on it, or give a private directory")
    with pytest.raises(UnsafePath):
        private_dir(shared)
    shared.chmod(0o700)
    assert private_dir(shared) == shared
    check_directory(tmp_path / "not-yet")     # missing: the suite makes it, private


def test_a_real_directory_of_another_user_is_refused_and_root_s_accepted(tmp_path):
    check_directory(Path("/"))      # root's, not writable by others: root is trusted, as OpenSSH trusts it
    if os.geteuid() != 0:
        return      # only root can give a directory to another user; the decision is tested above
    theirs = tmp_path / "theirs"
    theirs.mkdir(mode=0o700)
    os.chown(theirs, 54321, 54321)
    with pytest.raises(UnsafePath) as refused:
        check_directory(theirs)
    assert refused.value.problem.startswith("is owned by uid 54321, not by uid 0 who runs the suite (or root)")


def test_private_dir_makes_missing_parents_private(tmp_path):
    made = private_dir(tmp_path / "a" / "b" / "c")
    assert [stat.S_IMODE(p.stat().st_mode) for p in (made, made.parent, made.parent.parent)] == [0o700] * 3


# --- writing through planted names -------------------------------------------------------------------
def test_a_link_planted_at_the_final_name_is_replaced_never_followed(reports, victim):
    (reports / "summary.json").symlink_to(victim)
    write_file(reports / "summary.json", "{}\n")
    assert untouched(victim)
    assert not (reports / "summary.json").is_symlink() and (reports / "summary.json").read_text() == "{}\n"
    assert stat.S_IMODE((reports / "summary.json").stat().st_mode) == 0o600
    assert sorted(p.name for p in reports.iterdir()) == ["summary.json"]      # no temporary left


def test_links_planted_at_the_old_predictable_temporary_names_are_never_followed(reports, victim):
    """Before: targets.tmp, summary.json.tmp and facts/<name>.<pid>.tmp were opened by name, following a link."""
    snapshot = Snapshot("lab", [Target("kvm-host", "hv01", "zone1", "198.18.0.10")])
    for name in ("targets.tmp", "summary.json.tmp", f"x.{os.getpid()}.tmp", ".latest.tmp"):
        (reports / name).symlink_to(victim)
    snapshot.save(reports / "targets.json")
    write_summary(reports / "summary.json", {"run": "r"})
    assert untouched(victim)
    assert Snapshot.load(reports / "targets.json").targets[0].id == "kvm-host://zone1/hv01"
    assert json.loads((reports / "summary.json").read_text()) == {"run": "r"}
    assert all((reports / name).is_symlink() for name in ("targets.tmp", "summary.json.tmp"))


def test_a_new_file_is_never_opened_through_a_link_even_a_dangling_one(reports, tmp_path, victim):
    (reports / "claim.lock").symlink_to(victim)
    dangling = tmp_path / "etc" / "cron.d-job"
    (reports / "probe").symlink_to(dangling)
    assert create_exclusive(reports / "claim.lock") is False
    with pytest.raises(FileExistsError):
        open_new(reports / "probe")
    assert untouched(victim) and not dangling.exists()
    assert create_exclusive(reports / "free.lock") is True
    assert create_exclusive(reports / "free.lock") is False
    assert stat.S_IMODE((reports / "free.lock").stat().st_mode) == 0o600


def test_a_lock_file_is_never_a_link_nor_a_second_name_of_another_file(reports, victim):
    (reports / "linked.lock").symlink_to(victim)
    with pytest.raises(UnsafePath, match="is a symbolic link; delete it"):
        open_lock_file(reports / "linked.lock")
    os.link(victim, reports / "hard.lock")
    with pytest.raises(UnsafePath, match="with one name"):
        open_lock_file(reports / "hard.lock")
    assert untouched(victim)
    first = open_lock_file(reports / "pins.lock")       # made
    os.close(first)
    os.close(open_lock_file(reports / "pins.lock"))     # reused
    assert stat.S_IMODE((reports / "pins.lock").stat().st_mode) == 0o600


def test_read_regular_refuses_a_link_and_a_fifo(reports, victim):
    (reports / "facts.json").symlink_to(victim)
    os.mkfifo(reports / "pipe.json")
    with pytest.raises(UnsafePath, match="is a symbolic link"):
        read_regular(reports / "facts.json")
    with pytest.raises(UnsafePath, match="is not a regular file"):
        read_regular(reports / "pipe.json")


def test_latest_replaces_a_planted_link_and_points_at_the_run(reports, victim):
    run = private_dir(reports / "runs" / "20260101T000000Z")
    (reports / "latest").symlink_to(victim)
    point_latest(reports, run)
    assert os.readlink(reports / "latest") == "runs/20260101T000000Z" and untouched(victim)
    replace_symlink(reports / "latest", "runs/other")
    assert os.readlink(reports / "latest") == "runs/other"
    assert sorted(p.name for p in reports.iterdir()) == ["latest", "runs"]


def test_the_umask_makes_every_file_and_directory_private(tmp_path):
    before = os.umask(0o022)
    try:
        use_private_umask()
        (tmp_path / "plain").write_text("evidence")
        (tmp_path / "dir").mkdir()
        assert stat.S_IMODE((tmp_path / "plain").stat().st_mode) == 0o600
        assert stat.S_IMODE((tmp_path / "dir").stat().st_mode) == 0o700
    finally:
        os.umask(before)


# --- the fact store: one file per target id, checked on load -----------------------------------------
def test_ids_that_make_the_same_safe_name_get_their_own_facts_files():
    names = {facts_file_name(i, ".json") for i in ("kvm-host://Zone 1/hv01", "kvm-host://Zone_1/hv01",
                                                  "kvm-host://Zone/1/hv01", "kvm-host://Zone 1/hv01 ")}
    assert len(names) == 4
    assert facts_file_name("kvm-host://Zone 1/hv01", ".json").startswith("kvm-host_Zone_1_hv01.")
    assert len(facts_file_name("x://" + "a" * 5000, ".json")) < 130


class StoredCollector:
    """Stands in for the collector: facts of each target's own."""

    def unit_of(self, target):
        return SimpleNamespace(key=f"ssh {target.id}", targets=(target,))

    def collect_unit(self, unit, connected, refused):
        return {t.id: {"ssh": {"sections": {"hostname": t.id}}} for t in unit.targets}


def test_two_targets_whose_names_differ_only_in_unsafe_characters_keep_their_own_facts(tmp_path):
    store = FactStore(tmp_path, StoredCollector())
    first, second = Target("kvm-host", "hv01", "Zone 1"), Target("kvm-host", "hv01", "Zone_1")
    assert store.raw(first)["ssh"]["sections"]["hostname"] == "kvm-host://Zone 1/hv01"
    assert store.raw(second)["ssh"]["sections"]["hostname"] == "kvm-host://Zone_1/hv01"
    assert store.path(first) != store.path(second)
    assert {stat.S_IMODE(p.stat().st_mode) for p in store.dir.iterdir()} == {0o600}


def test_facts_stored_under_a_target_s_name_for_another_id_make_it_broken(tmp_path):
    store = FactStore(tmp_path, StoredCollector())
    target = Target("kvm-host", "hv01", "zone1")
    store.path(target).write_text(json.dumps({"target": "kvm-host://zone1/hv02", "facts": {"ssh": {}}}))
    with pytest.raises(CollectionFailed) as broken:
        store.raw(target)
    assert str(broken.value) == (f"kvm-host://zone1/hv01: its facts file {store.path(target).name} holds the facts of "
                                 "'kvm-host://zone1/hv02', not of this target; the run directory was changed during "
                                 "the run: run again into a new one")


def test_a_link_planted_at_a_facts_file_or_its_claim_is_never_followed(tmp_path, victim):
    store = FactStore(tmp_path / "run", StoredCollector())
    target = Target("kvm-host", "hv01", "zone1")
    (store.dir / facts_file_name("ssh kvm-host://zone1/hv01", ".lock")).symlink_to(victim)
    assert store.claim(store._collector.unit_of(target)) is False
    store.path(target).symlink_to(victim)
    with pytest.raises(CollectionFailed, match="is a symbolic link"):
        store.raw(target)
    store.collect_claimed(store._collector.unit_of(target), None, None, 0.0)
    assert untouched(victim) and not store.path(target).is_symlink()


# --- `stackaudit run` refuses a reports directory that is not the user's own ---------------------------
@pytest.mark.parametrize("where", ["reports", "runs"])
def test_stackaudit_run_refuses_a_group_writable_reports_directory_with_one_line_and_exit_4(
        tmp_path, inventory, monkeypatch, capsys, where):  # noqa: F811
    from stackaudit.cli import main

    monkeypatch.setenv("K", "key")
    monkeypatch.setenv("S", "secret")
    shared = tmp_path / "shared-reports"
    (shared / "runs").mkdir(parents=True)
    (shared if where == "reports" else shared / "runs").chmod(0o777)
    before = os.umask(0o022)
    try:
        code = main(["run", f"--inventory={inventory}", f"--reports-dir={shared}"])
        assert os.umask(0o022) == 0o022, "main gives the caller its umask back"
    finally:
        os.umask(before)
    out, err = capsys.readouterr()
    assert code == 4 and out == ""
    problem = ("is writable by group or others (mode 0777)" if where == "reports"
               else f"{shared / 'runs'}: is writable by group or others (mode 0777)")
    assert err == (f"stackaudit: --reports-dir={shared}: {problem}: another user could plant files there; run chmod go-w "
                   "on it, or give a private directory\n")
    assert [p.name for p in shared.rglob("*")] == ["runs"]      # nothing written
