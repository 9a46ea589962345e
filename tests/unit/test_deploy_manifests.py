"""The deployment examples (deploy/): they cannot run here (no cluster, no GitLab), so their structure
is checked: the YAML parses, the Kubernetes Jobs have what an Indexed Job needs, every name one
object uses is defined, the shard count N is the same everywhere, the shards and the merge agree on
where one night's runs are, each shard writes only its own directory of the volume, the pins stay on
it between nights, every pod is locked down and fenced by a NetworkPolicy, and every command line is
one stackaudit and pytest accept."""
from __future__ import annotations

import ipaddress
import posixpath
import subprocess

import pytest
import yaml

from stackaudit.config.inventory import load_inventory
from tests.unit.config_site import ca_certificate, ssh_key_pair
from tests.unit.deploy_files import (DEPLOY, IMAGE_SHARD_RUN, KUBERNETES, MERGE_PRESENT, PIN_FILE, SHARD_OPTION_PRESENT,
                                     SHARD_RUN, after_separator, container, documents, expand, kubernetes_objects,
                                     named, option_value, pod_spec, positional, pytest_args_of_run, shell_words,
                                     unknown_to_merge, pytest_refusal, volume_path, xfail_until, yaml_files)

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
    reports = {volume_path(SHARD_SPEC, option_value(command, "--reports-dir"), shard_env(str(i))) for i in range(n)}
    assert len(reports) == n                        # a reports directory per index
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


def shard_env(index: str, job: str = "stackaudit-shards-29391060") -> dict[str, str]:
    return {"JOB_COMPLETION_INDEX": index, "SHARD_JOB": job}


@pytest.mark.integration
def test_the_merge_waits_for_and_names_every_shard_of_the_same_night():
    """The same place on the volume: where shard I's wrapper links its run, and what the merge reads."""
    n = shard_count(after_separator(SHARD_ARGS))
    assert SHARDS["spec"]["schedule"] == MERGE["spec"]["schedule"]
    # The CronJob controller names a Job <cronjob name>-<scheduled minute>: the same minute for both.
    minute = "29391060"
    shard_job, merge_job = f"stackaudit-shards-{minute}", f"stackaudit-merge-{minute}"
    for spec, variable in ((SHARD_SPEC, "SHARD_JOB"), (MERGE_SPEC, "MERGE_JOB")):
        env = {e["name"]: e for e in spec["containers"][0]["env"]}
        assert env[variable]["valueFrom"]["fieldRef"]["fieldPath"] == "metadata.labels['batch.kubernetes.io/job-name']"
    assignment = next(line.strip() for line in MERGE_SCRIPT.splitlines() if line.strip().startswith("night="))
    night = subprocess.run(["sh", "-c", f'{assignment}; printf %s "$night"'], env={"MERGE_JOB": merge_job},
                           capture_output=True, text=True, check=True).stdout
    links = [volume_path(SHARD_SPEC, expand(SHARD_ARGS[0], shard_env(str(i), shard_job)), shard_env(str(i)))
             for i in range(n)]
    words = merge_words({"night": night})
    assert words[:2] == ["stackaudit", "merge"]
    read = [volume_path(MERGE_SPEC, path, {}) for path in positional(words[2:])]
    assert [(volume, path) for volume, path, _ in read] == [(volume, path) for volume, path, _ in links]
    assert f"for index in {' '.join(str(i) for i in range(n))}; do" in MERGE_SCRIPT
    waited = [line.strip() for line in MERGE_SCRIPT.splitlines() if "summary.json" in line]
    assert waited and all('"/shards/$index/nights/$night/summary.json"' in line for line in waited)


def test_each_shard_writes_only_its_own_directory_and_the_merge_only_reads_them():
    """A shard pod mounts the reports volume once, at its own index's directory; the directories of
    two indexes never overlap; the merge mounts them read-only and writes elsewhere on the volume."""
    n = shard_count(after_separator(SHARD_ARGS))
    claim = {v["name"] for v in SHARD_SPEC["volumes"] if "persistentVolumeClaim" in v}
    mounts = [m for c in SHARD_SPEC["initContainers"] + SHARD_SPEC["containers"] for m in c["volumeMounts"]
              if m["name"] in claim]
    assert len(mounts) == 1 and "$(JOB_COMPLETION_INDEX)" in mounts[0]["subPathExpr"]
    own = [expand(mounts[0]["subPathExpr"], shard_env(str(i))) for i in range(n)]
    assert all(not (a == b or b.startswith(a + "/")) for a in own for b in own if a is not b)
    merge_mounts = [m for m in container(MERGE_SPEC, "merge")["volumeMounts"] if m["name"] in claim]
    shards_mount, = [m for m in merge_mounts if all(d.startswith(m.get("subPath", "") + "/") for d in own)]
    assert shards_mount["readOnly"] is True
    for mount in merge_mounts:
        if not mount.get("readOnly"):
            assert not any(d.startswith(mount["subPath"] + "/") or d == mount["subPath"] for d in own)
    merged = volume_path(MERGE_SPEC, option_value(merge_words({"night": "x"}), "--reports-dir"), {})
    assert merged[2] is False and not merged[1].startswith(shards_mount["subPath"] + "/")


def test_the_pins_stay_on_the_volume_from_one_night_to_the_next():
    """The shard's reports directory, which holds the pin file beside runs/, is the same place every
    night (it does not name the night's Job) and lies outside the night's link."""
    command = after_separator(SHARD_ARGS)
    reports = option_value(command, "--reports-dir")
    nights = [volume_path(SHARD_SPEC, reports, shard_env("1", job)) for job in ("stackaudit-shards-1", "stackaudit-shards-2")]
    assert nights[0] == nights[1] and nights[0][2] is False
    claim, = [v for v in SHARD_SPEC["volumes"] if v["name"] == nights[0][0]]
    assert "persistentVolumeClaim" in claim                     # not an emptyDir: it outlives the pod
    link = volume_path(SHARD_SPEC, expand(SHARD_ARGS[0], shard_env("1")), shard_env("1"))[1]
    pins = posixpath.join(nights[0][1], PIN_FILE)
    assert not pins.startswith(link + "/") and posixpath.dirname(pins) != posixpath.dirname(link)


@pytest.mark.parametrize("spec", [SHARD_SPEC, MERGE_SPEC], ids=["shards", "merge"])
def test_every_pod_runs_unprivileged_without_a_service_account_token(spec):
    assert spec["automountServiceAccountToken"] is False
    pod = spec["securityContext"]
    assert pod["runAsNonRoot"] is True and pod["runAsUser"] != 0 and pod["runAsGroup"] != 0
    assert pod["seccompProfile"] == {"type": "RuntimeDefault"}
    assert pod["fsGroupChangePolicy"] == "OnRootMismatch"     # modes kept: the merge refuses group-writable runs
    for each in spec.get("initContainers", []) + spec["containers"]:
        context = each["securityContext"]
        assert context["allowPrivilegeEscalation"] is False and context["readOnlyRootFilesystem"] is True
        assert context["capabilities"] == {"drop": ["ALL"]}
        assert "runAsUser" not in context and "privileged" not in context


def network_policy_of(spec: dict) -> dict:
    labels = spec_labels(spec)
    policies = [o for o in kubernetes_objects() if o["kind"] == "NetworkPolicy"
                and o["spec"]["podSelector"]["matchLabels"].items() <= labels.items()]
    assert len(policies) == 1, f"expected one NetworkPolicy selecting {labels}"
    return policies[0]


def spec_labels(spec: dict) -> dict:
    cronjob, = [c for c in (SHARDS, MERGE) if pod_spec(c) is spec]
    return cronjob["spec"]["jobTemplate"]["spec"]["template"]["metadata"]["labels"]


def allowed_egress(policy: dict) -> list[tuple[ipaddress.IPv4Network, int]]:
    return [(ipaddress.ip_network(peer["ipBlock"]["cidr"]), port["port"])
            for rule in policy["spec"]["egress"] for peer in rule["to"] if "ipBlock" in peer
            for port in rule["ports"]]


@pytest.mark.parametrize("spec", [SHARD_SPEC, MERGE_SPEC], ids=["shards", "merge"])
def test_no_pod_accepts_a_connection_and_each_reaches_only_what_it_needs(spec):
    policy = network_policy_of(spec)
    assert policy["spec"]["policyTypes"] == ["Ingress", "Egress"] and policy["spec"]["ingress"] == []
    for rule in policy["spec"]["egress"]:
        assert rule["ports"], "an egress rule without ports allows every port"
        for peer in rule["to"]:
            if "ipBlock" in peer:
                network = ipaddress.ip_network(peer["ipBlock"]["cidr"])
                assert network.prefixlen >= 16 and "except" not in peer["ipBlock"], network
            else:       # only the cluster's DNS, only on port 53
                assert peer == {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
                                "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}}}
                assert {p["port"] for p in rule["ports"]} == {53}
    if spec is MERGE_SPEC:
        assert policy["spec"]["egress"] == []        # the merge connects to nothing


def test_the_shards_may_reach_every_machine_the_example_inventory_names_on_the_suites_ports():
    inventory = yaml.safe_load(named("ConfigMap", "stackaudit-config")["data"]["inventory.yml"])
    allowed = allowed_egress(network_policy_of(SHARD_SPEC))
    wanted = [(s["ssh_address"], 22) for s in inventory["management_servers"] + inventory["databases"]["servers"]]
    wanted += [(s["address"], 3306) for s in inventory["databases"]["servers"]]
    for address, port in wanted:
        assert any(ipaddress.ip_address(address) in net and port == allowed_port for net, allowed_port in allowed), \
            f"the shards' NetworkPolicy does not let them reach {address} port {port}"
    assert not any(ipaddress.ip_address("203.0.113.1") in net for net, _ in allowed)    # and not everything


def test_the_shard_command_is_a_stackaudit_run_that_passes_the_shard_to_pytest(monkeypatch, tmp_path):
    command = shell_words(" ".join(after_separator(SHARD_ARGS)), {"JOB_COMPLETION_INDEX": "2"})
    args = pytest_args_of_run(command, monkeypatch, tmp_path)
    assert "--shard=2/4" in args
    assert "--reports-dir=/shard/reports" in args and "--numprocesses=4" in args


@xfail_until(SHARD_OPTION_PRESENT)
def test_pytest_accepts_every_option_the_shard_command_gives_it(monkeypatch, tmp_path):
    command = shell_words(" ".join(after_separator(SHARD_ARGS)), {"JOB_COMPLETION_INDEX": "0"})
    assert pytest_refusal(pytest_args_of_run(command, monkeypatch, tmp_path)) is None


@xfail_until(MERGE_PRESENT)
def test_stackaudit_merge_accepts_the_merge_command():
    unknown = unknown_to_merge(merge_words({"night": "stackaudit-shards-1"}))
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
