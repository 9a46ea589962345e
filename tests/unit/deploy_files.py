"""Reading the deployment examples of deploy/ for their tests: the manifests, the commands they run,
and what the stackaudit command line makes of those commands."""
from __future__ import annotations

import contextlib
import io
import posixpath
import re
import shlex
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from _pytest.config import get_config

import stackaudit.cli as cli
import stackaudit.cli.run_command as run_command
from stackaudit.errors import ConfigError

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
KUBERNETES = DEPLOY / "kubernetes"
GITLAB = DEPLOY / "ci" / "gitlab-ci.yml"
SHARD_RUN = DEPLOY / "shard-run.sh"
IMAGE_SHARD_RUN = "/opt/stackaudit/deploy/shard-run.sh"     # where deploy/Dockerfile puts it
GITHUB = DEPLOY / "ci" / "github-actions.yml"
DOCKERFILE = DEPLOY / "Dockerfile"
LOCK = REPO / "requirements.txt"
PIN_FILE = "system-vm-host-keys.json"      # beside a reports directory's runs/ (docs/configuration.md, "System VM host keys")
# An image named by its registry's digest only: no tag a push can move.
BY_DIGEST = re.compile(r"^([a-z0-9.-]+(:[0-9]+)?/)?[a-z0-9._-]+(/[a-z0-9._-]+)*(:[A-Za-z0-9._-]+)?@sha256:[0-9a-f]{64}$")

# $(NAME) is Kubernetes' expansion in command and args; $NAME and ${NAME} are the shell's.
_VARIABLE = re.compile(r"\$\((\w+)\)|\$\{(\w+)\}|\$(\w+)")


def yaml_files() -> list[Path]:
    return sorted(p for p in DEPLOY.rglob("*") if p.suffix in (".yml", ".yaml"))


def documents(path: Path) -> list:
    with path.open() as stream:
        return [doc for doc in yaml.safe_load_all(stream) if doc is not None]


def kubernetes_objects() -> list[dict]:
    return [doc for path in sorted(KUBERNETES.glob("*.yml")) for doc in documents(path)
            if doc.get("kind") != "Kustomization"]


def named(kind: str, name: str) -> dict:
    found = [o for o in kubernetes_objects() if o["kind"] == kind and o["metadata"]["name"] == name]
    assert len(found) == 1, f"expected one {kind} {name} in {KUBERNETES}, found {len(found)}"
    return found[0]


def pod_spec(cronjob: dict) -> dict:
    return cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"]


def container(spec: dict, name: str) -> dict:
    found = [c for c in spec["containers"] if c["name"] == name]
    assert len(found) == 1, f"expected one container {name}"
    return found[0]


def expand(text: str, values: dict[str, str]) -> str:
    """`text` with every variable replaced from `values`; a variable not in `values` is an error,
    so a command cannot name one the test did not think of."""
    def value(match: re.Match) -> str:
        name = next(group for group in match.groups() if group)
        if name not in values:
            raise AssertionError(f"{text!r} uses ${name}, which the test does not know")
        return values[name]
    return _VARIABLE.sub(value, text)


def after_separator(words: list[str]) -> list[str]:
    """The command deploy/shard-run.sh runs: the words after its `--`."""
    assert "--" in words, f"no -- in {words}"
    return words[words.index("--") + 1:]


def option_value(words: list[str], option: str) -> str:
    values = [w.split("=", 1)[1] for w in words if w.startswith(option + "=")]
    assert len(values) == 1, f"expected one {option}=VALUE in {words}"
    return values[0]


def positional(words: list[str]) -> list[str]:
    return [w for w in words if not w.startswith("-")]


def workers_only(inventory, waivers, workers="auto", *more) -> None:
    """stackaudit run's configuration check with no file read: only --workers is checked."""
    problem = run_command.workers_problem(workers)
    if problem:
        raise ConfigError(problem)


def pytest_args_of_run(words: list[str], monkeypatch, tmp_path: Path) -> list[str]:
    """The pytest command line that `stackaudit run WORDS` builds, through the real argument
    parser of stackaudit/cli/parser.py (an unknown choice or a missing value exits 2 there), stopped
    before it validates files, makes a run directory or starts pytest."""
    assert words[:2] == ["stackaudit", "run"], words
    given: list[list[str]] = []
    monkeypatch.setattr(run_command, "checked_configuration", workers_only)
    monkeypatch.setattr(run_command, "open_run_dir", lambda reports: tmp_path)
    monkeypatch.setattr(run_command, "run_pytest_apart", lambda args, plugins=(): given.append(list(args)) or 0)
    monkeypatch.setattr(run_command, "unrecorded", lambda run_dir: "stopped by the test")
    code = cli.main(words[1:])
    assert given, f"stackaudit {' '.join(words[1:])} stopped with exit code {code} before pytest"
    return given[0]


def pytest_refusal(args: list[str]) -> str | None:
    """What pytest's own argument parser says against `args` (an unrecognized option, a missing
    value), with every installed plugin and this checkout's stackaudit.plugin loaded; None if it
    accepts them. Parsing only: no plugin is configured, nothing is collected."""
    config = get_config()
    config.pluginmanager.load_setuptools_entrypoints("pytest11")
    if not config.pluginmanager.has_plugin("stackaudit.plugin"):
        config.pluginmanager.import_plugin("stackaudit.plugin")     # as pytest.ini's -p does
    try:
        config._parser.parse(args)
    except pytest.UsageError as err:
        return str(err).strip().splitlines()[-1]
    return None


def merge_help() -> str | None:
    """`stackaudit merge --help`, or None while this checkout has no merge command."""
    out, err = io.StringIO(), io.StringIO()
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            cli.main(["merge", "--help"])
    except SystemExit as stop:
        return None if stop.code else out.getvalue()
    return out.getvalue()


def unknown_to_merge(words: list[str]) -> set[str]:
    """The options of a `stackaudit merge` command line that its --help does not list (all of
    them while there is no merge command)."""
    known = {word.strip(",[]") for word in (merge_help() or "").split() if word.startswith("--")}
    given = {w.split("=", 1)[0] for w in words if w.startswith("--")}
    assert given, f"no options in {words}"
    return given - known


SHARD_OPTION_PRESENT = pytest_refusal(["--shard=0/4"]) is None
MERGE_PRESENT = merge_help() is not None


def shell_words(line: str, values: dict[str, str]) -> list[str]:
    return shlex.split(expand(line, values))


def xfail_until(present: bool):
    """Strict: the test must fail while the other issue 13 branch (--shard, `stackaudit merge`) is not
    merged into this checkout, and runs as a plain test once it is."""
    return pytest.mark.xfail(not present, strict=True,
                             reason="needs the issue 13 branch that adds --shard and `stackaudit merge`")


# Images and the lock

def images_in(document) -> list[str]:
    """Every image a parsed YAML document names: `image:` values (Kubernetes, GitLab) and *_IMAGE variables."""
    found = []
    if isinstance(document, dict):
        for key, value in document.items():
            if isinstance(value, str) and (key == "image" or str(key).endswith("_IMAGE")):
                found.append(value)
            else:
                found.extend(images_in(value))
    elif isinstance(document, list):
        for value in document:
            found.extend(images_in(value))
    return found


def dockerfile_bases(text: str) -> list[str]:
    return [line.split()[1] for line in text.splitlines() if line.startswith("FROM ")]


@dataclass(frozen=True)
class Locked:
    requirement: str            # name==version
    hashes: tuple[str, ...]     # sha256:<hex>


def parse_lock(text: str) -> list[Locked]:
    """The requirements of a pip-compile lock: each `name==version \\` with its `--hash=` lines. A
    line that is neither a comment, a requirement nor a hash is an error naming it."""
    entries: list[list] = []
    for number, line in enumerate(text.splitlines(), 1):
        words = line.split("#", 1)[0].replace("\\", " ").split()
        if not words:
            continue
        if line[0].isalnum() and len(words) == 1 and re.fullmatch(r"[A-Za-z0-9._-]+==[A-Za-z0-9.+!-]+", words[0]):
            entries.append([words[0], []])
        elif line[0] == " " and entries and all(re.fullmatch(r"--hash=sha256:[0-9a-f]{64}", w) for w in words):
            entries[-1][1].extend(w.removeprefix("--hash=") for w in words)
        else:
            raise AssertionError(f"requirements lock line {number}: {line.strip()!r} is not name==version or --hash=sha256:...")
    return [Locked(requirement, tuple(hashes)) for requirement, hashes in entries]


def canonical(name: str) -> str:
    """A distribution name as PyPI compares them (PEP 503)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def lock_pins(text: str) -> dict[str, str]:
    return {canonical(e.requirement.split("==")[0]): e.requirement.split("==")[1] for e in parse_lock(text)}


# Where a container's paths are on a volume

def volume_path(spec: dict, container_path: str, env: dict[str, str]) -> tuple[str, str, bool]:
    """(volume, path on that volume, read-only) of a path in a container (initContainers and
    containers): the deepest mount holding it, its subPath or subPathExpr expanded from `env`."""
    mounts = [m for c in spec.get("initContainers", []) + spec["containers"] for m in c["volumeMounts"]]
    holding = [m for m in mounts if container_path == m["mountPath"]
               or container_path.startswith(m["mountPath"].rstrip("/") + "/")]
    assert holding, f"{container_path} is on no mounted volume"
    mount = max(holding, key=lambda m: len(m["mountPath"]))
    sub = expand(mount.get("subPathExpr", mount.get("subPath", "")), env)
    rest = posixpath.relpath(container_path, mount["mountPath"])
    return mount["name"], posixpath.normpath(posixpath.join(sub, rest)), bool(mount.get("readOnly"))


# GitHub's `docker run`

# docker run's options the examples use that take a value (Docker CLI reference, docker container run).
DOCKER_VALUE_OPTIONS = {"--user", "--tmpfs", "-e", "-v", "-w", "--security-opt", "--cap-drop"}
DOCKER_FLAGS = {"--rm", "--read-only"}


@dataclass(frozen=True)
class DockerRun:
    options: list[tuple[str, str | None]]
    image: str
    command: list[str]


def docker_run(script: str, values: dict[str, str]) -> DockerRun:
    """The one `docker run` of a step's script, its continuation lines joined and its variables expanded."""
    lines = script.splitlines()
    starts = [i for i, line in enumerate(lines) if line.startswith("docker run ")]
    assert len(starts) == 1, f"expected one docker run in {script!r}"
    joined = ""
    for line in lines[starts[0]:]:
        joined += line.rstrip().removesuffix("\\") + " "
        if not line.rstrip().endswith("\\"):
            break
    words = shlex.split(expand(joined.replace("$(id -u):$(id -g)", "RUNNER_UID:RUNNER_GID"), values))[2:]
    options, at = [], 0
    while words[at].startswith("-"):
        if words[at] in DOCKER_FLAGS:
            options.append((words[at], None))
            at += 1
        else:
            assert words[at] in DOCKER_VALUE_OPTIONS, f"docker run option {words[at]} the test does not know"
            options.append((words[at], words[at + 1]))
            at += 2
    return DockerRun(options, words[at], words[at + 1:])
