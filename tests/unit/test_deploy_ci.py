"""The CI examples (deploy/ci/): N shard jobs numbered as --shard wants them (from 0), a merge job
after all N naming each shard's run, the pre-upgrade gate's profile, and commands that stackaudit's
own argument parser accepts."""
from __future__ import annotations

import pytest

from tests.unit.deploy_files import (GITHUB, GITLAB, IMAGE_SHARD_RUN, MERGE_PRESENT, SHARD_OPTION_PRESENT,
                                     after_separator, documents, option_value, positional, pytest_args_of_run,
                                     pytest_refusal, shell_words, unknown_to_merge, xfail_until)

GITLAB_CI, = documents(GITLAB)
GITHUB_WORKFLOW, = documents(GITHUB)


def assert_profile(args: list[str], profile_option: str) -> None:
    """`--profile=pre_upgrade` became pytest's `-m pre_upgrade`; no option, no marker selection."""
    assert ("-m" in args and args[args.index("-m") + 1] == "pre_upgrade") == bool(profile_option)


# GitLab CI

def gitlab_script_line(job: str, needle: str) -> str:
    lines = [line for line in GITLAB_CI[job]["script"] if needle in line]
    assert len(lines) == 1, f"{job}: expected one script line with {needle!r}"
    return lines[0]


def gitlab_values(profile_option: str = "", index: str = "0") -> dict[str, str]:
    return {"index": index, "CI_NODE_TOTAL": str(GITLAB_CI[".shard"]["parallel"]), "CI_PIPELINE_ID": "4711",
            "STACKAUDIT_INVENTORY": GITLAB_CI["variables"]["STACKAUDIT_INVENTORY"], "PROFILE_OPTION": profile_option}


def test_gitlab_shards_count_from_zero_and_the_merge_names_all_n():
    n = GITLAB_CI[".shard"]["parallel"]
    assert "index=$((CI_NODE_INDEX - 1))" in GITLAB_CI[".shard"]["script"]     # CI_NODE_INDEX is 1-based
    line = gitlab_script_line(".shard", "shard-run.sh")
    links = []
    for index in range(n):
        words = shell_words(line, gitlab_values(index=str(index)))
        assert words[0] == IMAGE_SHARD_RUN
        assert option_value(after_separator(words), "--shard") == f"{index}/{n}"
        links.append(words[1])
    merge = shell_words(gitlab_script_line(".merge", "stackaudit merge"), gitlab_values())
    assert merge[:2] == ["stackaudit", "merge"] and positional(merge[2:]) == links


@pytest.mark.parametrize("merge_job", ["nightly", "upgrade-gate"])
def test_gitlab_each_merge_needs_its_shards_under_the_same_rules(merge_job):
    job = GITLAB_CI[merge_job]
    assert job["extends"] == ".merge"
    shard_job, = job["needs"]
    assert GITLAB_CI[shard_job]["extends"] == ".shard"
    assert GITLAB_CI[shard_job]["rules"] == job["rules"]
    stages = GITLAB_CI["stages"]
    assert stages.index(GITLAB_CI[".merge"]["stage"]) > stages.index(GITLAB_CI[".shard"]["stage"])


def test_gitlab_the_upgrade_gate_runs_the_pre_upgrade_profile_and_its_exit_code_decides():
    assert GITLAB_CI["upgrade-gate-shard"]["variables"]["PROFILE_OPTION"] == "--profile=pre_upgrade"
    assert "allow_failure" not in GITLAB_CI["upgrade-gate"]
    assert GITLAB_CI["nightly"]["allow_failure"] == {"exit_codes": [7]}


@pytest.mark.parametrize("profile_option", ["", "--profile=pre_upgrade"], ids=["nightly", "upgrade-gate"])
def test_gitlab_shard_command_is_a_stackaudit_run(profile_option, monkeypatch, tmp_path):
    words = shell_words(gitlab_script_line(".shard", "shard-run.sh"), gitlab_values(profile_option))
    args = pytest_args_of_run(after_separator(words), monkeypatch, tmp_path)
    assert "--shard=0/4" in args and "--reports-dir=reports/shards/0" in args
    assert_profile(args, profile_option)


def test_gitlab_secret_files_are_copied_owner_only_and_kept_out_of_the_artifacts():
    for line in GITLAB_CI[".shard"]["before_script"][1:]:
        assert line.startswith("install -m 0600 ") and " inventories/secrets/" in line
    assert GITLAB_CI[".merge"]["before_script"] == GITLAB_CI[".shard"]["before_script"]
    for job in (".shard", ".merge"):
        assert all(p.startswith("reports/") for p in GITLAB_CI[job]["artifacts"]["paths"])


# GitHub Actions

def github_step(job: str, name_start: str = "", uses: str = "") -> dict:
    steps = [s for s in GITHUB_WORKFLOW["jobs"][job]["steps"]
             if (name_start and s.get("name", "").startswith(name_start)) or (uses and s.get("uses") == uses)]
    assert len(steps) == 1, f"{job}: expected one step {name_start or uses}"
    return steps[0]


def github_values(shard: str, profile_option: str = "") -> dict[str, str]:
    return {"SHARD": shard, "GITHUB_RUN_ID": "99", "STACKAUDIT_INVENTORY": GITHUB_WORKFLOW["env"]["STACKAUDIT_INVENTORY"],
            "PROFILE_OPTION": profile_option}


def github_shard_words(shard: str, profile_option: str = "") -> list[str]:
    step = github_step("shard", name_start="shard ")
    assert step["env"] == {"SHARD": "${{ matrix.shard }}"}
    return shell_words(step["run"], github_values(shard, profile_option))


def test_github_matrix_is_the_shards_from_zero_and_the_merge_names_every_one():
    shards = GITHUB_WORKFLOW["jobs"]["shard"]["strategy"]["matrix"]["shard"]
    n = int(option_value(after_separator(github_shard_words("0")), "--shard").split("/")[1])
    assert shards == list(range(n))
    assert GITHUB_WORKFLOW["jobs"]["shard"]["strategy"]["fail-fast"] is False
    copied = github_step("shard", name_start="copy of the run")["run"]
    upload = github_step("shard", uses="actions/upload-artifact@v4")["with"]
    for shard in shards:
        words = github_shard_words(str(shard))
        assert words[0] == IMAGE_SHARD_RUN
        link = words[1]
        assert shell_words(copied.replace("${{ matrix.shard }}", str(shard)), github_values(str(shard))) == \
            ["cp", "-RL", link, upload["path"].rstrip("/")]
    assert upload["name"] == "shard-${{ matrix.shard }}"
    merge = GITHUB_WORKFLOW["jobs"]["merge"]
    assert merge["needs"] == "shard"
    download = github_step("merge", uses="actions/download-artifact@v4")["with"]
    assert download["pattern"] == "shard-*" and "merge-multiple" not in download   # one directory per artifact
    words = shell_words(github_step("merge", name_start="merge")["run"], github_values("0"))
    assert words[:2] == ["stackaudit", "merge"]
    assert positional(words[2:]) == [f"{download['path']}/shard-{shard}" for shard in shards]


@pytest.mark.parametrize("profile_option", ["", "--profile=pre_upgrade"], ids=["nightly", "upgrade-gate"])
def test_github_shard_command_is_a_stackaudit_run(profile_option, monkeypatch, tmp_path):
    args = pytest_args_of_run(after_separator(github_shard_words("3", profile_option)), monkeypatch, tmp_path)
    assert "--shard=3/4" in args and "--reports-dir=reports/shards/3" in args
    assert_profile(args, profile_option)


def test_github_the_gate_is_the_pre_upgrade_profile():
    triggers = GITHUB_WORKFLOW.get("on", GITHUB_WORKFLOW.get(True))     # YAML 1.1 reads a bare `on` as true
    assert triggers["workflow_dispatch"]["inputs"]["profile"]["options"] == ["all", "pre_upgrade"]
    assert GITHUB_WORKFLOW["env"]["PROFILE_OPTION"] == \
        "${{ inputs.profile == 'pre_upgrade' && '--profile=pre_upgrade' || '' }}"


def test_github_secret_files_are_owner_only_and_kept_out_of_the_artifacts():
    for job in ("shard", "merge"):
        script = github_step(job, name_start="secret files")["run"]
        assert script.startswith("umask 077\n")
        for line in script.splitlines()[2:]:
            assert line.startswith("printf '%s\\n' \"$") and " > inventories/secrets/" in line
    assert github_step("merge", uses="actions/upload-artifact@v4")["with"]["path"].startswith("reports/")


# What needs the other issue 13 branch (--shard, `stackaudit merge`)

@xfail_until(SHARD_OPTION_PRESENT)
@pytest.mark.parametrize("ci", ["gitlab", "github"])
def test_pytest_accepts_every_option_the_ci_shard_commands_give_it(ci, monkeypatch, tmp_path):
    words = (shell_words(gitlab_script_line(".shard", "shard-run.sh"), gitlab_values("--profile=pre_upgrade"))
             if ci == "gitlab" else github_shard_words("1", "--profile=pre_upgrade"))
    assert pytest_refusal(pytest_args_of_run(after_separator(words), monkeypatch, tmp_path)) is None


@xfail_until(MERGE_PRESENT)
@pytest.mark.parametrize("ci", ["gitlab", "github"])
def test_stackaudit_merge_accepts_the_ci_merge_commands(ci):
    words = (shell_words(gitlab_script_line(".merge", "stackaudit merge"), gitlab_values()) if ci == "gitlab"
             else shell_words(github_step("merge", name_start="merge")["run"], github_values("0")))
    unknown = unknown_to_merge(words)
    assert not unknown, f"stackaudit merge does not know {sorted(unknown)}"
