"""The command line a new user meets (issue 24): --version, help for every option, the usage named as
invoked, run's exit codes and pass-through, one spelling of the reports directory, and plain pytest
without an inventory."""
from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import pytest

from stackaudit.cli import main
from stackaudit.cli.parser import build_parser, prog_name
from stackaudit.cli.version import checkout_commit, version_line
from stackaudit.plugin import NO_INVENTORY, checks_dir, names_the_checks
from stackaudit.report.outcomes import EXIT_CODES
from tests.unit.deploy_files import pytest_args_of_run

REPO = Path(__file__).resolve().parents[2]
COMMIT = "0123456789abcdef0123456789abcdef01234567"


def sub_parsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    (commands,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(commands.choices)


def test_every_option_and_argument_of_every_command_has_help():
    parser = build_parser("stackaudit")
    for name, command in sub_parsers(parser).items():
        for action in command._actions:
            assert action.help, f"stackaudit {name} {action.option_strings or action.dest}: no help"


def test_the_usage_names_the_command_as_it_was_invoked():
    assert prog_name("/usr/local/bin/stackaudit") == "stackaudit"
    assert prog_name("/work/stackaudit/stackaudit/__main__.py") == "python -m stackaudit"
    assert build_parser("/opt/venv/bin/stackaudit").format_usage().startswith("usage: stackaudit ")


def test_version_prints_the_package_version_and_exits_0(capsys):
    with pytest.raises(SystemExit) as stopped:
        main(["--version"])
    assert stopped.value.code == 0
    out = capsys.readouterr().out.strip()
    assert out == version_line()
    assert out.startswith("stackaudit 0.") or out.startswith("stackaudit unknown")


def test_the_commit_is_read_from_a_branch_a_detached_head_packed_refs_and_a_worktree(tmp_path):
    git = tmp_path / "repo" / ".git"
    (git / "refs" / "heads").mkdir(parents=True)
    (git / "HEAD").write_text("ref: refs/heads/main\n")
    (git / "refs" / "heads" / "main").write_text(COMMIT + "\n")
    assert checkout_commit(git) == COMMIT
    (git / "refs" / "heads" / "main").unlink()
    (git / "packed-refs").write_text(f"# pack-refs with: peeled fully-peeled sorted\n{COMMIT} refs/heads/main\n")
    assert checkout_commit(git) == COMMIT
    worktree_git = git / "worktrees" / "wt"
    worktree_git.mkdir(parents=True)
    (worktree_git / "HEAD").write_text(COMMIT[::-1] + "\n")
    (worktree_git / "commondir").write_text("../..\n")
    dot_git_file = tmp_path / "wt" / ".git"
    dot_git_file.parent.mkdir()
    dot_git_file.write_text(f"gitdir: {worktree_git}\n")
    assert checkout_commit(dot_git_file) == COMMIT[::-1]


def test_no_commit_where_there_is_no_checkout_or_head_is_not_a_commit(tmp_path):
    assert checkout_commit(tmp_path / ".git") is None
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "HEAD").write_text("ref: refs/heads/gone\n")
    assert checkout_commit(tmp_path / ".git") is None
    (tmp_path / ".git" / "HEAD").write_text("not a commit\n")
    assert checkout_commit(tmp_path / ".git") is None


def test_run_help_lists_every_exit_code_and_says_other_arguments_go_to_pytest():
    text = sub_parsers(build_parser("stackaudit"))["run"].format_help()
    assert "Every other argument goes to pytest" in text
    for code, meaning in EXIT_CODES:
        assert f"\n  {code}  {meaning.split()[0]}" in text
    assert [code for code, _ in EXIT_CODES] == list(range(9))


@pytest.mark.parametrize("spelling", ["--reports-dir", "--reports"])
def test_the_reports_directory_given_to_run_is_the_one_pytest_gets(spelling, monkeypatch, tmp_path):
    """--reports-dir is the one spelling (pytest's own); the older --reports still reaches it."""
    args = pytest_args_of_run(["stackaudit", "run", "--inventory=inv.yml", f"{spelling}=/srv/audit"],
                              monkeypatch, tmp_path)
    assert [a for a in args if a.startswith("--reports-dir")] == ["--reports-dir=/srv/audit"]


def test_the_checks_are_named_by_their_directory_a_module_a_test_id_or_a_parent():
    checks = checks_dir()
    assert names_the_checks([str(checks)])
    assert names_the_checks([f"{checks / 'test_hosts.py'}::test_iptables_v4"])
    assert names_the_checks([str(checks.parent)])
    assert not names_the_checks([str(REPO / "tests" / "unit")])
    assert not names_the_checks([])


@pytest.mark.integration
def test_plain_pytest_in_the_checkout_without_an_inventory_is_one_line_and_exit_4():
    done = subprocess.run([sys.executable, "-m", "pytest"], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 4
    lines = [line for line in (done.stdout + done.stderr).splitlines() if line.strip()]
    assert lines == [f"ERROR: {NO_INVENTORY}"]


@pytest.mark.integration
def test_plain_pytest_elsewhere_says_where_the_checks_are(tmp_path):
    """The installed package registers the plugin with pytest (pyproject.toml, pytest11)."""
    done = subprocess.run([sys.executable, "-m", "pytest"], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.returncode == 5
    assert f"`pytest {checks_dir()} --inventory=FILE`" in done.stdout


def test_run_keeps_pytests_temporary_directory_in_the_runs_private_part(monkeypatch, tmp_path):
    """Not a numbered directory in the system's temp, whose older siblings pytest deletes at the end."""
    args = pytest_args_of_run(["stackaudit", "run", "--inventory=inv.yml"], monkeypatch, tmp_path)
    assert [a for a in args if a.startswith("--basetemp")] == [f"--basetemp={tmp_path / '.raw' / 'pytest'}"]
