"""The deployment examples (deploy/): they cannot run here (no cluster, no GitLab), so their structure
is checked: the YAML parses, the Kubernetes Jobs have what an Indexed Job needs, every name one
object uses is defined, the shard count N is the same everywhere, the shards and the merge agree on
where one night's runs are, and every command line is one stackaudit and pytest accept."""
from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from stackaudit.config.inventory import load_inventory
from tests.unit.config_site import ca_certificate, ssh_key_pair
from tests.unit.deploy_files import (GITLAB, KUBERNETES, container, documents, expand, merge_help, named,
                                     option_value, pod_spec, positional, pytest_args_of_run, pytest_options,
                                     shell_words, after_separator, xfail_until, yaml_files)

SHARDS = named("CronJob", "stackaudit-shards")
MERGE = named("CronJob", "stackaudit-merge")
SHARD_SPEC, MERGE_SPEC = pod_spec(SHARDS), pod_spec(MERGE)
SHARD_ARGS = container(SHARD_SPEC, "shard")["args"]
MERGE_SCRIPT = container(MERGE_SPEC, "merge")["command"][-1]
SECRETS_DIR = "/run/stackaudit/secrets"
SHARD_OPTION_PRESENT = "--shard" in pytest_options()
MERGE_PRESENT = merge_help() is not None


def shard_count(words: list[str]) -> int:
    """N of the `--shard=I/N` in a shard's command."""
    index, _, total = option_value(words, "--shard").partition("/")
    assert index and total.isdigit(), f"--shard={index}/{total} is not I/N"
    return int(total)


def merge_words(index_values: dict[str, str]) -> list[str]:
    line, = [line.strip() for line in MERGE_SCRIPT.splitlines() if line.strip().startswith("exec stackaudit merge")]
    return shell_words(line.removeprefix("exec "), index_values)


def test_every_yaml_file_under_deploy_parses():
    files = yaml_files()
    assert {p.name for p in files} >= {"pvc.yml", "configmap.yml", "cronjob-shards.yml", "cronjob-merge.yml",
                                       "kustomization.yml", "gitlab-ci.yml"}
    for path in files:
        docs = documents(path)
        assert docs and all(isinstance(doc, dict) for doc in docs), path


def test_kustomization_applies_every_manifest():
    kustomization, = documents(KUBERNETES / "kustomization.yml")
    assert sorted(kustomization["resources"]) == sorted(p.name for p in KUBERNETES.glob("*.yml")
                                                        if p.name != "kustomization.yml")


@pytest.mark.parametrize("cronjob", [SHARDS, MERGE], ids=["shards", "merge"])
def test_each_cronjob_makes_a_batch_v1_job_that_is_cleaned_up(cronjob):
    assert (cronjob["apiVersion"], cronjob["kind"]) == ("batch/v1", "CronJob")
    job = cronjob["spec"]["jobTemplate"]["spec"]
    assert job["template"]["spec"]["restartPolicy"] == "Never"      # required by podFailurePolicy
    assert job["ttlSecondsAfterFinished"] > 0 and job["activeDeadlineSeconds"] > 0
    assert cronjob["spec"]["concurrencyPolicy"] == "Forbid"
    # A CronJob's name gets 11 characters appended and a Job name is at most 63 (kubernetes.io, CronJob).
    assert len(cronjob["metadata"]["name"]) <= 52


def test_the_shard_job_is_an_indexed_job_of_n_pods_each_running_its_own_shard():
    job = SHARDS["spec"]["jobTemplate"]["spec"]
    command = after_separator(SHARD_ARGS)
    n = shard_count(command)
    assert job["completionMode"] == "Indexed"
    assert job["completions"] == job["parallelism"] == n
    assert option_value(command, "--shard") == f"$(JOB_COMPLETION_INDEX)/{n}"
    assert "$(JOB_COMPLETION_INDEX)" in option_value(command, "--reports")
    env = {e["name"]: e for e in container(SHARD_SPEC, "shard")["env"]}
    assert env["JOB_COMPLETION_INDEX"]["valueFrom"]["fieldRef"]["fieldPath"] == \
        "metadata.annotations['batch.kubernetes.io/job-completion-index']"
    assert isinstance(job["backoffLimitPerIndex"], int)


def test_findings_are_never_retried_and_bad_input_stops_the_shards():
    """deploy/shard-run.sh exits 0 once a shard recorded its run, whatever it found; 2 and 4 stop the Job."""
    job = SHARDS["spec"]["jobTemplate"]["spec"]
    assert container(SHARD_SPEC, "shard")["command"] == ["/opt/stackaudit/deploy/shard-run.sh"]
    rules = job["podFailurePolicy"]["rules"]
    on_codes = [r for r in rules if "onExitCodes" in r]
    assert [(r["action"], r["onExitCodes"]["operator"], sorted(r["onExitCodes"]["values"])) for r in on_codes] \
        == [("FailJob", "In", [2, 4])]
    assert {r["onExitCodes"]["containerName"] for r in on_codes} == {"shard"}
    assert {"action": "Ignore", "onPodConditions": [{"type": "DisruptionTarget"}]} in rules


def test_the_merge_job_is_not_rerun_for_findings():
    job = MERGE["spec"]["jobTemplate"]["spec"]
    rule, = [r for r in job["podFailurePolicy"]["rules"] if "onExitCodes" in r]
    assert (rule["action"], rule["onExitCodes"]["containerName"], sorted(rule["onExitCodes"]["values"])) == \
        ("FailJob", "merge", [1, 4, 6, 7])


@pytest.mark.parametrize("spec", [SHARD_SPEC, MERGE_SPEC], ids=["shards", "merge"])
def test_every_mounted_volume_is_defined_and_every_object_named_exists(spec):
    volumes = {v["name"]: v for v in spec["volumes"]}
    for each in spec.get("initContainers", []) + spec["containers"]:
        for mount in each["volumeMounts"]:
            assert mount["name"] in volumes, f"{each['name']} mounts undefined volume {mount['name']}"
    for volume in volumes.values():
        if "configMap" in volume:
            named("ConfigMap", volume["configMap"]["name"])
        if "persistentVolumeClaim" in volume:
            claim = named("PersistentVolumeClaim", volume["persistentVolumeClaim"]["claimName"])
            assert claim["spec"]["accessModes"] == ["ReadWriteMany"]   # N pods on any nodes write to it
        if "secret" in volume:
            # The Secret is not kept in the repository: configmap.yml documents how to create it.
            assert f"kubectl create secret generic {volume['secret']['secretName']}" in \
                (KUBERNETES / "configmap.yml").read_text()


def secret_keys() -> set[str]:
    text = (KUBERNETES / "configmap.yml").read_text()
    return {part.split("=", 1)[0] for part in text.split("--from-file=")[1:]}


def test_the_documented_secret_holds_exactly_the_files_the_inventory_names():
    inventory = named("ConfigMap", "stackaudit-config")["data"]["inventory.yml"]
    named_files = {line.split(SECRETS_DIR + "/")[1].strip() for line in inventory.splitlines() if SECRETS_DIR in line}
    assert named_files == secret_keys()
    for spec in (SHARD_SPEC, MERGE_SPEC):
        copier, = spec["initContainers"]
        mounts = {m["name"]: m["mountPath"] for m in copier["volumeMounts"]}
        assert copier["command"][-1] == f"install -m 0600 {mounts['secret-files']}/* {mounts['secrets']}/"
        assert mounts["secrets"] == SECRETS_DIR


def test_the_configmap_inventory_loads_when_the_secret_files_are_there(tmp_path):
    """Through the real loader: every key, every file it names (key mode 0600, known_hosts, CA)."""
    private, public = ssh_key_pair()
    contents = {"ssh_private_key": private, "known_hosts": f"192.0.2.11 {public}\n", "xapi_ca.pem": ca_certificate()}
    for key in secret_keys():
        path = tmp_path / key
        path.write_text(contents.get(key, f"planted-{key}\n"))
        path.chmod(0o600)
    inventory = named("ConfigMap", "stackaudit-config")["data"]["inventory.yml"]
    path = tmp_path / "inventory.yml"
    path.write_text(inventory.replace(SECRETS_DIR, str(tmp_path)))
    loaded = load_inventory(path)
    assert loaded.cloud_name == "prod-eu1"
    mount = {m["name"]: m["mountPath"] for m in container(SHARD_SPEC, "shard")["volumeMounts"]}["config"]
    assert option_value(after_separator(SHARD_ARGS), "--inventory") == f"{mount}/inventory.yml"


def test_the_merge_waits_for_and_names_every_shard_of_the_same_night():
    n = shard_count(after_separator(SHARD_ARGS))
    assert SHARDS["spec"]["schedule"] == MERGE["spec"]["schedule"]
    # The CronJob controller names a Job <cronjob name>-<scheduled minute>: the same minute for both.
    minute = "29391060"
    shard_job, merge_job = f"stackaudit-shards-{minute}", f"stackaudit-merge-{minute}"
    for spec, variable in ((SHARD_SPEC, "SHARD_JOB"), (MERGE_SPEC, "MERGE_JOB")):
        env = {e["name"]: e for e in spec["containers"][0]["env"]}
        assert env[variable]["valueFrom"]["fieldRef"]["fieldPath"] == "metadata.labels['batch.kubernetes.io/job-name']"
    assignment = next(line.strip() for line in MERGE_SCRIPT.splitlines() if line.strip().startswith("shards="))
    shards = subprocess.run(["sh", "-c", f'{assignment}; printf %s "$shards"'], env={"MERGE_JOB": merge_job},
                            capture_output=True, text=True, check=True).stdout
    links = [expand(SHARD_ARGS[0], {"SHARD_JOB": shard_job, "JOB_COMPLETION_INDEX": str(i)}) for i in range(n)]
    assert links == [f"{shards}/{i}" for i in range(n)]
    words = merge_words({"shards": shards})
    assert words[:2] == ["stackaudit", "merge"]
    assert positional(words[2:]) == links
    assert f"for index in {' '.join(str(i) for i in range(n))}; do" in MERGE_SCRIPT
    assert option_value(words, "--reports") == "/reports"


def test_the_shard_command_is_a_stackaudit_run_that_passes_the_shard_to_pytest(monkeypatch, tmp_path):
    command = shell_words(" ".join(after_separator(SHARD_ARGS)), {"JOB_COMPLETION_INDEX": "2"})
    args = pytest_args_of_run(command, monkeypatch, tmp_path)
    assert "--shard=2/4" in args
    assert "--reports-dir=/reports/shards/2" in args and "--numprocesses=4" in args


@xfail_until(SHARD_OPTION_PRESENT)
def test_pytest_accepts_every_option_the_shard_command_gives_it(monkeypatch, tmp_path):
    command = shell_words(" ".join(after_separator(SHARD_ARGS)), {"JOB_COMPLETION_INDEX": "0"})
    args = pytest_args_of_run(command, monkeypatch, tmp_path)
    unknown = {a.split("=", 1)[0] for a in args if a.startswith("--")} - pytest_options()
    assert not unknown, f"pytest does not know {sorted(unknown)}"


@xfail_until(MERGE_PRESENT)
def test_stackaudit_merge_accepts_the_merge_command():
    known = {word.strip(",[]") for word in (merge_help() or "").split() if word.startswith("--")}
    given = {w.split("=", 1)[0] for w in merge_words({"shards": "/reports/nights/x"}) if w.startswith("--")}
    assert given and given <= known, f"stackaudit merge does not know {sorted(given - known)}"


# GitLab CI

GITLAB_CI, = documents(GITLAB)


def gitlab_script_line(job: str, needle: str) -> str:
    lines = [line for line in GITLAB_CI[job]["script"] if needle in line]
    assert len(lines) == 1, f"{job}: expected one script line with {needle!r}"
    return lines[0]


def gitlab_values(profile_option: str = "", pipeline: str = "4711", index: str = "0") -> dict[str, str]:
    return {"index": index, "CI_NODE_TOTAL": str(GITLAB_CI[".shard"]["parallel"]), "CI_PIPELINE_ID": pipeline,
            "STACKAUDIT_INVENTORY": GITLAB_CI["variables"]["STACKAUDIT_INVENTORY"], "PROFILE_OPTION": profile_option}


def test_gitlab_shards_count_from_zero_and_the_merge_names_all_n():
    n = GITLAB_CI[".shard"]["parallel"]
    assert "index=$((CI_NODE_INDEX - 1))" in GITLAB_CI[".shard"]["script"]     # CI_NODE_INDEX is 1-based
    line = gitlab_script_line(".shard", "deploy/shard-run.sh")
    links = []
    for index in range(n):
        words = shell_words(line, gitlab_values(index=str(index)))
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
    words = shell_words(gitlab_script_line(".shard", "deploy/shard-run.sh"), gitlab_values(profile_option))
    args = pytest_args_of_run(after_separator(words), monkeypatch, tmp_path)
    assert "--shard=0/4" in args
    assert ("-m" in args and args[args.index("-m") + 1] == "pre_upgrade") == bool(profile_option)


def test_gitlab_secret_files_are_copied_owner_only_and_kept_out_of_the_artifacts():
    for line in GITLAB_CI[".shard"]["before_script"][1:]:
        assert line.startswith("install -m 0600 ") and " inventories/secrets/" in line
    assert GITLAB_CI[".merge"]["before_script"] == GITLAB_CI[".shard"]["before_script"]
    for job in (".shard", ".merge"):
        assert all(p.startswith("reports/") for p in GITLAB_CI[job]["artifacts"]["paths"])


def test_every_file_the_examples_run_exists():
    assert (KUBERNETES.parent / "shard-run.sh").stat().st_mode & 0o111
    assert Path(KUBERNETES.parent / "Dockerfile").read_text().count("deploy/shard-run.sh") >= 1
