"""XS-HOST-NO-MAKE-UNIQUE: the boot listing and rc.local read as sh reads them, on the uniquifier's own
files (remibergsma/uniqueXenServer, tests/data/recorded/SOURCES.md), and the rule's findings and notes."""
from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from stackaudit.collect import collected
from stackaudit.collect.collected import Collected
from stackaudit.collect.declared.files import MAKE_UNIQUE_PATHS_COMMAND
from stackaudit.collect.facts import Facts
from stackaudit.errors import CollectionFailed, UnparsableOutput
from stackaudit.parsers.boot_scripts import (MAKE_UNIQUE_SCRIPT, RC_LOCAL_FIX, BootPaths, MakeUniqueLeftovers,
                                             ScriptRun, parse_boot_paths, parse_script_runs)
from stackaudit.rules.make_unique import make_unique_findings, make_unique_notes
from stackaudit.targets import Target
from tests.unit.test_declarations import Store

RECORDED = Path(__file__).resolve().parent.parent / "data" / "recorded"


def recorded(name: str) -> str:
    return (RECORDED / name).read_text()


def test_the_rc_local_the_uniquifier_leaves_runs_the_fix_script_on_line_14():
    assert parse_script_runs(recorded("rc-local-centos7-uniquexenserver.txt"), RC_LOCAL_FIX) == [
        ScriptRun(14, "sh /etc/rc.local.fix >> /var/log/rc.local.fix 2>&1")]


def test_the_init_script_runs_the_uniquifier_and_the_uniquifier_itself_runs_no_fix_script():
    init_script = recorded("uniquexenserver-init.d-xenserver_make_unique.txt")
    assert parse_script_runs(init_script, MAKE_UNIQUE_SCRIPT) == [
        ScriptRun(15, "bash /opt/xenserver_make_unique.sh")]
    # `echo "sh /etc/rc.local.fix ..." >> /etc/rc.local` writes the line; it does not run it
    assert parse_script_runs(recorded("uniquexenserver-xenserver_make_unique.sh.txt"), RC_LOCAL_FIX) == []


@pytest.mark.parametrize("line", [
    "sh /etc/rc.local.fix",
    "/bin/bash /etc/rc.local.fix &",
    ". /etc/rc.local.fix",
    "source /etc/rc.local.fix",
    "/etc/rc.local.fix",
    "nohup /etc/rc.local.fix >/dev/null 2>&1 &",
    "touch /var/lock/subsys/local; sh -x /etc/rc.local.fix",
    "LANG=C exec bash /etc/rc.local.fix",
    "[ -f /etc/rc.local.fix ] && sh /etc/rc.local.fix",
    "sh -c '/etc/rc.local.fix'",
    "sh /etc/./rc.local.fix   # run once",
    "  sh '/etc/rc.local.fix'",
])
def test_lines_that_run_the_fix_script(line):
    assert parse_script_runs(f"#!/bin/sh\n{line}\n", RC_LOCAL_FIX) == [ScriptRun(2, line.strip())]


@pytest.mark.parametrize("line", [
    "#sh /etc/rc.local.fix >> /var/log/rc.local.fix 2>&1",
    "   # sh /etc/rc.local.fix",
    "touch /var/lock/subsys/local # sh /etc/rc.local.fix",
    "echo 'sh /etc/rc.local.fix' >> /root/notes",
    "rm -f /etc/rc.local.fix",
    "sed -i '/local.fix/d' /etc/rc.local",
    "sh /etc/rc.local.fix.disabled",
    "cat /etc/rc.local.fix",
    "sh /root/etc/rc.local.fix",
])
def test_lines_that_do_not_run_it(line):
    assert parse_script_runs(f"#!/bin/sh\n{line}\n", RC_LOCAL_FIX) == []


def test_a_hash_inside_a_word_is_no_comment_and_a_continued_line_is_read_whole():
    assert parse_script_runs("x=a#b sh /etc/rc.local.fix\n", RC_LOCAL_FIX) == [
        ScriptRun(1, "x=a#b sh /etc/rc.local.fix")]
    assert parse_script_runs("true\nsh \\\n  /etc/rc.local.fix\n", RC_LOCAL_FIX) == [
        ScriptRun(2, "sh   /etc/rc.local.fix")]


def test_a_line_sh_cannot_close_that_names_the_fix_script_counts_as_a_run():
    assert parse_script_runs("sh /etc/rc.local.fix 'unclosed\n", RC_LOCAL_FIX) == [
        ScriptRun(1, "sh /etc/rc.local.fix 'unclosed")]


def test_the_listing_is_read_and_an_unreadable_directory_is_not_taken_for_absence():
    assert parse_boot_paths("present\t/etc/rc.d/rc3.d/S24xenserver_make_unique\nsame\t/etc/rc.local\t"
                            "/etc/rc.d/rc.local\n") == BootPaths(["/etc/rc.d/rc3.d/S24xenserver_make_unique"],
                                                                 [("/etc/rc.local", "/etc/rc.d/rc.local")])
    assert parse_boot_paths("") == BootPaths([], [])
    assert parse_boot_paths(recorded("make-unique-paths-lab-xu6.txt")) == BootPaths(
        ["/etc/rc.d/rc0.d/K20xenserver_make_unique", "/etc/rc.d/rc3.d/K20xenserver_make_unique", RC_LOCAL_FIX],
        [("/etc/rc.local", "/etc/rc.d/rc.local")])
    with pytest.raises(UnparsableOutput, match="^boot script listing: directory /etc/rc.d/rc3.d cannot be read"):
        parse_boot_paths("unreadable\t/etc/rc.d/rc3.d\n")
    with pytest.raises(UnparsableOutput, match="^boot script listing line 1: expected 'present<TAB>/path'"):
        parse_boot_paths("present relative\n")


def leftovers(present=(), runs=None) -> MakeUniqueLeftovers:
    return MakeUniqueLeftovers(BootPaths(list(present), []), runs or {})


def test_each_leftover_that_runs_at_boot_is_a_finding():
    assert make_unique_findings(leftovers(["/etc/init.d/xenserver_make_unique"])) == [
        "/etc/init.d/xenserver_make_unique is present: `chkconfig xenserver_make_unique on` or an rc link runs it "
        "at boot (new host and dom0 UUIDs, xapi's state.db deleted, networking reset to DHCP)"]
    [link] = make_unique_findings(leftovers(["/etc/rc.d/rc3.d/S24xenserver_make_unique"]))
    assert link.startswith("rc start link(s) /etc/rc.d/rc3.d/S24xenserver_make_unique run xenserver_make_unique")
    assert make_unique_findings(leftovers(runs={"/etc/rc.local": [ScriptRun(14, "sh /etc/rc.local.fix")]})) == [
        "/etc/rc.local line 14 runs /etc/rc.local.fix at boot (it renames the host and reboots): "
        "'sh /etc/rc.local.fix'"]


def test_what_runs_nothing_passes_and_is_noted():
    quiet = leftovers([MAKE_UNIQUE_SCRIPT, RC_LOCAL_FIX, "/etc/rc.d/rc0.d/K20xenserver_make_unique"],
                      {"/etc/rc.local": []})
    assert make_unique_findings(quiet) == []
    notes = make_unique_notes(quiet)
    assert [n.split(" ", 1)[0] for n in notes] == [MAKE_UNIQUE_SCRIPT, RC_LOCAL_FIX, "stop"]
    assert make_unique_notes(leftovers()) == []


AT = "2026-12-06T20:00:00+00:00"


def host_facts(paths: str, rc_local: str | None, rc_d_rc_local: str | None, why_not="No such file or directory") -> Facts:
    def cat(name, path, text):
        if text is None:
            return Collected("ssh", name, "", f"cat {path}", AT, 1, f"cat: {path}: {why_not}\n")
        return Collected("ssh", name, text, f"cat {path}", AT, 0, "")
    readings = [Collected("ssh", "make_unique_paths", paths, MAKE_UNIQUE_PATHS_COMMAND, AT, 0, ""),
                cat("rc_local", "/etc/rc.local", rc_local), cat("rc_d_rc_local", "/etc/rc.d/rc.local", rc_d_rc_local)]
    return Facts(Target("xs-host", "xs01"), Store({"ssh": collected.store("ssh", readings)}))


@pytest.fixture(autouse=True)
def no_allure(monkeypatch):
    monkeypatch.setattr("stackaudit.collect.facts.allure", SimpleNamespace(attach=lambda *a: None,
                        attachment_type=SimpleNamespace(TEXT=None, JSON=None)))


def test_an_rc_local_that_links_to_rc_d_is_read_once_and_a_missing_one_is_no_file():
    text = recorded("rc-local-centos7-uniquexenserver.txt")
    linked = host_facts("same\t/etc/rc.local\t/etc/rc.d/rc.local\n", text, text).make_unique_leftovers
    assert list(linked.rc_local_runs) == ["/etc/rc.local"] and len(linked.rc_local_runs["/etc/rc.local"]) == 1
    assert host_facts("", None, None).make_unique_leftovers.rc_local_runs == {}
    copies = host_facts("", text, "#!/bin/sh\n").make_unique_leftovers
    assert {path: len(runs) for path, runs in copies.rc_local_runs.items()} == {"/etc/rc.local": 1,
                                                                               "/etc/rc.d/rc.local": 0}


def test_an_rc_local_that_cannot_be_read_is_broken():
    facts = host_facts("", None, None, why_not="Permission denied")
    with pytest.raises(CollectionFailed, match="rc_local exited 1: cat: /etc/rc.local: Permission denied"):
        facts.make_unique_leftovers
