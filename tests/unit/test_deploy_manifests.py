"""The deployment examples (deploy/): they cannot run here (no cluster, no GitLab), so their structure
is checked: the YAML parses, the Kubernetes Jobs have what an Indexed Job needs, every name one
object uses is defined, the shard count N is the same everywhere, the shards and the merge agree on
where one night's runs are, and every command line is one stackaudit and pytest accept."""
from __future__ import annotations

import subprocess

import pytest

from stackaudit.config.inventory import load_inventory
from tests.unit.config_site import ca_certificate, ssh_key_pair
from tests.unit.deploy_files import (DEPLOY, IMAGE_SHARD_RUN, KUBERNETES, MERGE_PRESENT, SHARD_OPTION_PRESENT,
                                     SHARD_RUN, after_separator, container, documents, expand, named, option_value,
                                     pod_spec, positional, pytest_args_of_run, shell_words, unknown_to_merge,
                                     pytest_refusal, xfail_until, yaml_files)

SHARDS = named("CronJob", "stackaudit-shards")
MERGE = named("CronJob", "stackaudit-merge")
SHARD_SPEC, MERGE_SPEC = pod_spec(SHARDS), pod_spec(MERGE)
SHARD_ARGS = container(SHARD_SPEC, "shard")["args"]
MERGE_SCRIPT = container(MERGE_SPEC, "merge")["command"][-1]
SECRETS_DIR = "/run/stackaudit/secrets"


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
    contents = {"ssh_private_key": private, "known_hosts": f"192.0.2.11 {public}\n", "xapi_ca.pem": ca_certificate(),
                "db_ca.pem": ca_certificate()}
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
    assert pytest_refusal(pytest_args_of_run(command, monkeypatch, tmp_path)) is None


@xfail_until(MERGE_PRESENT)
def test_stackaudit_merge_accepts_the_merge_command():
    unknown = unknown_to_merge(merge_words({"shards": "/reports/nights/x"}))
    assert not unknown, f"stackaudit merge does not know {sorted(unknown)}"


def test_the_image_holds_the_wrapper_where_the_examples_run_it():
    """Every example runs /opt/stackaudit/deploy/shard-run.sh from the image deploy/Dockerfile builds."""
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    assert "WORKDIR /opt/stackaudit\n" in dockerfile and "COPY deploy/shard-run.sh deploy/shard-run.sh\n" in dockerfile
    assert SHARD_RUN.stat().st_mode & 0o111
    assert container(SHARD_SPEC, "shard")["command"] == [IMAGE_SHARD_RUN]


def test_the_option_check_refuses_what_pytest_does_not_know():
    assert "unrecognized arguments: --no-such-stackaudit-option=1" in pytest_refusal(["--no-such-stackaudit-option=1"])
    assert pytest_refusal(["--numprocesses=4", "--dist=loadgroup", "--junitxml=j.xml", "--reports-dir=r"]) is None
