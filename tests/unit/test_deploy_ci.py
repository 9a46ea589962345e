"""The CI examples (deploy/ci/): N shard jobs numbered as --shard wants them (from 0), a merge job
after all N naming each shard's run, the pre-upgrade gate's profile, and commands that stackaudit's
own argument parser accepts."""
from __future__ import annotations

import fnmatch
import re

import pytest

from tests.unit.deploy_files import (BY_DIGEST, GITHUB, GITLAB, IMAGE_SHARD_RUN, MERGE_PRESENT, PIN_FILE,
                                     SHARD_OPTION_PRESENT, DockerRun, after_separator, docker_run, documents,
                                     option_value, positional, pytest_args_of_run, pytest_refusal, shell_words,
                                     unknown_to_merge, xfail_until)

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


def test_gitlab_secrets_reach_only_the_jobs_that_run_stackaudit_and_leave_with_them():
    """The environment-scoped variables go only to jobs of that environment: the shard and merge jobs,
    which write the secret files before their script and remove them after it."""
    jobs = {name: job for name, job in GITLAB_CI.items() if isinstance(job, dict) and ("script" in job or "extends" in job)}
    for name, job in jobs.items():
        template = GITLAB_CI[job.get("extends", name)]
        assert template["environment"] == {"name": "stackaudit", "action": "access"}, name
        assert template["before_script"] == GITLAB_CI[".secret-files"]
        assert template["after_script"] == ["rm -rf inventories/secrets"]
    assert not any("$STACKAUDIT_" in str(value) for value in GITLAB_CI["variables"].values())


def test_gitlab_hands_the_checkout_to_the_images_user_instead_of_opening_it_to_all():
    assert GITLAB_CI["variables"]["FF_DISABLE_UMASK_FOR_DOCKER_EXECUTOR"] == "true"


def test_gitlab_keeps_each_shards_pins_from_one_pipeline_to_the_next():
    """A cache per shard and N, holding the shard's own pin file, saved whatever the shard found."""
    cache = GITLAB_CI[".shard"]["cache"]
    assert cache["when"] == "always"
    assert cache["key"] == "system-vm-host-keys-$CI_NODE_INDEX-of-$CI_NODE_TOTAL"
    path, = cache["paths"]
    for index in range(GITLAB_CI[".shard"]["parallel"]):
        words = shell_words(gitlab_script_line(".shard", "shard-run.sh"), gitlab_values(index=str(index)))
        pins = f"{option_value(after_separator(words), '--reports-dir')}/{PIN_FILE}"
        assert fnmatch.fnmatch(pins, path)      # a shard job holds only its own shard's directory


# GitHub Actions

def github_step(job: str, name_start: str = "", uses: str = "") -> dict:
    steps = [s for s in GITHUB_WORKFLOW["jobs"][job]["steps"]
             if (name_start and s.get("name", "").startswith(name_start))
             or (uses and s.get("uses", "").split("@")[0] == uses)]
    assert len(steps) == 1, f"{job}: expected one step {name_start or uses}"
    return steps[0]


def github_values(shard: str, profile_option: str = "") -> dict[str, str]:
    return {"SHARD": shard, "GITHUB_RUN_ID": "99", "STACKAUDIT_INVENTORY": GITHUB_WORKFLOW["env"]["STACKAUDIT_INVENTORY"],
            "PROFILE_OPTION": profile_option, "PWD": "/home/runner/work/inventory",
            "STACKAUDIT_IMAGE": GITHUB_WORKFLOW["env"]["STACKAUDIT_IMAGE"]}


def github_run(job: str, name_start: str, shard: str = "0", profile_option: str = "") -> DockerRun:
    return docker_run(github_step(job, name_start=name_start)["run"], github_values(shard, profile_option))


def github_shard_words(shard: str, profile_option: str = "") -> list[str]:
    step = github_step("shard", name_start="shard ")
    assert step["env"]["SHARD"] == "${{ matrix.shard }}"
    return github_run("shard", "shard ", shard, profile_option).command


def test_github_matrix_is_the_shards_from_zero_and_the_merge_names_every_one():
    shards = GITHUB_WORKFLOW["jobs"]["shard"]["strategy"]["matrix"]["shard"]
    n = int(option_value(after_separator(github_shard_words("0")), "--shard").split("/")[1])
    assert shards == list(range(n))
    assert GITHUB_WORKFLOW["jobs"]["shard"]["strategy"]["fail-fast"] is False
    copied = github_step("shard", name_start="copy of the run")["run"]
    upload = github_step("shard", uses="actions/upload-artifact")["with"]
    for shard in shards:
        words = github_shard_words(str(shard))
        assert words[0] == IMAGE_SHARD_RUN
        link = words[1]
        assert shell_words(copied.replace("${{ matrix.shard }}", str(shard)), github_values(str(shard))) == \
            ["cp", "-RL", link, upload["path"].rstrip("/")]
    assert upload["name"] == "shard-${{ matrix.shard }}"
    merge = GITHUB_WORKFLOW["jobs"]["merge"]
    assert merge["needs"] == "shard"
    download = github_step("merge", uses="actions/download-artifact")["with"]
    assert download["pattern"] == "shard-*" and "merge-multiple" not in download   # one directory per artifact
    words = github_run("merge", "merge").command
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


def names_a_secret(value) -> bool:
    return "secrets." in str(value)


@pytest.mark.parametrize("job,name_start", [("shard", "shard "), ("merge", "merge")])
def test_github_secrets_reach_only_the_step_that_runs_stackaudit(job, name_start):
    """Not the workflow's or the job's env, not another step; the secret files live only while that step runs."""
    assert not names_a_secret(GITHUB_WORKFLOW["env"]) and not names_a_secret(GITHUB_WORKFLOW["jobs"][job].get("env"))
    holding = [s for s in GITHUB_WORKFLOW["jobs"][job]["steps"] if names_a_secret(s)]
    assert holding == [github_step(job, name_start=name_start)]
    step, = holding
    assert not names_a_secret(step["run"]) and not names_a_secret(step.get("with"))
    lines = step["run"].splitlines()
    assert lines[:2] == ["umask 077", "trap 'rm -rf inventories/secrets' EXIT"]
    written = [line for line in lines if line.startswith("printf")]
    assert written and all(line.startswith("printf '%s\\n' \"$") and " > inventories/secrets/" in line for line in written)
    run = github_run(job, name_start)
    passed = {value for option, value in run.options if option == "-e"}
    assert passed == {"STACKAUDIT_API_KEY", "STACKAUDIT_API_SECRET"}         # by name: the value never on argv
    assert passed <= set(step["env"])
    assert github_step("merge", uses="actions/upload-artifact")["with"]["path"].startswith("reports/")


@pytest.mark.parametrize("job,name_start", [("shard", "shard "), ("merge", "merge")])
def test_github_runs_the_image_by_digest_as_the_runners_user_read_only(job, name_start):
    run = github_run(job, name_start)
    assert run.image == GITHUB_WORKFLOW["env"]["STACKAUDIT_IMAGE"] and BY_DIGEST.match(run.image)
    options = dict(run.options)
    assert options["--user"] == "RUNNER_UID:RUNNER_GID" and options["--cap-drop"] == "ALL"
    assert ("--read-only", None) in run.options and options["--security-opt"] == "no-new-privileges"
    assert "container" not in GITHUB_WORKFLOW["jobs"][job]


def test_github_actions_are_pinned_by_commit_and_the_token_reads_only():
    uses = [line for line in GITHUB.read_text().splitlines() if line.strip().startswith(("- uses:", "uses:"))]
    assert len(uses) == 8
    for line in uses:
        assert re.search(r"uses: [\w-]+/[\w-]+(/[\w-]+)?@[0-9a-f]{40} +# v\d+\.\d+\.\d+$", line), line
    assert GITHUB_WORKFLOW["permissions"] == {"contents": "read"}
    for job in ("shard", "merge"):
        assert github_step(job, uses="actions/checkout")["with"]["persist-credentials"] is False


def test_github_keeps_each_shards_pins_from_one_night_to_the_next():
    """Restored before the shard runs, saved after whatever it found, at the shard's own reports
    directory, under a key of the shard and N that is new every run (an entry cannot be overwritten)."""
    steps = GITHUB_WORKFLOW["jobs"]["shard"]["steps"]
    restore, save = github_step("shard", uses="actions/cache/restore"), github_step("shard", uses="actions/cache/save")
    shard_step = github_step("shard", name_start="shard ")
    assert steps.index(restore) < steps.index(shard_step) < steps.index(save)
    assert save["if"] == "always()"
    n = option_value(after_separator(github_shard_words("2")), "--shard").split("/")[1]
    for shard in ("0", "2"):
        reports = option_value(after_separator(github_shard_words(shard)), "--reports-dir")
        for step in (restore, save):
            assert step["with"]["path"].replace("${{ matrix.shard }}", shard) == f"{reports}/{PIN_FILE}"
    key = restore["with"]["key"]
    assert key == save["with"]["key"] and key.endswith("-${{ github.run_id }}")
    assert restore["with"]["restore-keys"] == key.removesuffix("${{ github.run_id }}")
    assert f"${{{{ matrix.shard }}}}-of-{n}-" in key


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
             else github_run("merge", "merge").command)
    unknown = unknown_to_merge(words)
    assert not unknown, f"stackaudit merge does not know {sorted(unknown)}"


def test_gitlab_publishes_the_nights_junit_xml_from_the_merged_run():
    artifacts = GITLAB_CI[".merge"]["artifacts"]
    assert artifacts["when"] == "always"            # a failed night is the one to read
    assert fnmatch.fnmatch("reports/runs/20261125T020000Z/junit.xml", artifacts["reports"]["junit"])
    assert not fnmatch.fnmatch("reports/shards/0/runs/20261125T020000Z/junit.xml", artifacts["reports"]["junit"])


def test_github_shows_the_nights_junit_xml_without_a_token_that_writes():
    step = github_step("merge", uses="mikepenz/action-junit-report")
    assert step["if"] == "always()"
    assert step["with"]["annotate_only"] is True, "a check run would need checks: write"
    assert fnmatch.fnmatch("reports/runs/20261125T020000Z/junit.xml", step["with"]["report_paths"])
    assert "permissions" not in GITHUB_WORKFLOW["jobs"]["merge"]
