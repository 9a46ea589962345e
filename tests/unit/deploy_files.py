"""Reading the deployment examples of deploy/ for their tests: the manifests, the commands they run,
and what the stackaudit command line makes of those commands."""
from __future__ import annotations

import contextlib
import io
import re
import shlex
from pathlib import Path

import pytest
import yaml
from _pytest.config import get_config

import stackaudit.__main__ as cli

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
KUBERNETES = DEPLOY / "kubernetes"
GITLAB = DEPLOY / "ci" / "gitlab-ci.yml"
SHARD_RUN = DEPLOY / "shard-run.sh"
IMAGE_SHARD_RUN = "/opt/stackaudit/deploy/shard-run.sh"     # where deploy/Dockerfile puts it
GITHUB = DEPLOY / "ci" / "github-actions.yml"

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


def pytest_args_of_run(words: list[str], monkeypatch, tmp_path: Path) -> list[str]:
    """The pytest command line that `stackaudit run WORDS` builds, through the real argument
    parser of stackaudit/__main__.py (an unknown choice or a missing value exits 2 there), stopped
    before it validates files, makes a run directory or starts pytest."""
    assert words[:2] == ["stackaudit", "run"], words
    given: list[list[str]] = []
    monkeypatch.setattr(cli, "validate", lambda inventory, waivers, workers="auto", *more: cli.workers_problem(workers))
    monkeypatch.setattr(cli, "open_run_dir", lambda reports: tmp_path)
    monkeypatch.setattr(cli.pytest, "main", lambda args: given.append(list(args)) or 0)
    monkeypatch.setattr(cli, "unrecorded", lambda run_dir: "stopped by the test")
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
