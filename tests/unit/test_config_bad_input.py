"""Bad input, kind by kind (issue 12): every row is exit code 4 and one line naming the file, the key
path, what was found and the fix, before anything connects; never a traceback, a hang or a silent
acceptance, and never a secret's value.

Every row runs through the loaders (`stackaudit.cli.run_command.validate`, what `stackaudit run` and the
plugin call); the rows marked end to end also run through `python -m stackaudit run`, which must
print that one line on stderr and create no run directory.
"""
from __future__ import annotations

import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from stackaudit.cli.run_command import validate
from tests.unit.config_breakage import Case, make_site
from tests.unit.config_bad_credentials import OPERATOR_FILES
from tests.unit.config_bad_trust import DATABASE_TLS, FILES_NAMED, TLS_OPT_OUTS
from tests.unit.config_bad_values import ENCODINGS_AND_FILE_KINDS, NAMES, NUMBERS, URLS, VERSIONS_AND_TEXT, YAML_STRUCTURE

REPO = Path(__file__).resolve().parents[2]

CASES = (ENCODINGS_AND_FILE_KINDS + YAML_STRUCTURE + NUMBERS + VERSIONS_AND_TEXT + NAMES + URLS + TLS_OPT_OUTS
         + FILES_NAMED + DATABASE_TLS + OPERATOR_FILES)


def broken_site(tmp_path: Path, case: Case):
    site = make_site(tmp_path / "site")
    case.breaks(site)
    return site


def broken_site_in_env(tmp_path: Path, monkeypatch, case: Case):
    """The broken site, with exactly the variables it sets in the environment."""
    site = broken_site(tmp_path, case)
    for name in ("SA_TEST_API_KEY", "SA_TEST_DB_PASSWORD", *(n for n in os.environ if n.startswith("CLOUDSTACK_"))):
        monkeypatch.delenv(name, raising=False)
    for name, value in site.env.items():
        monkeypatch.setenv(name, value)
    return site


def expected(case: Case, site) -> str:
    return case.fragment.replace("{dir}", str(site.directory))


def check_line(line: str, case: Case, site) -> None:
    assert expected(case, site) in line, line
    assert "\n" not in line and len(line) < 600, line
    leaked = [secret for secret in site.secrets() if secret in line]
    assert not leaked, f"{line} holds {leaked}"


def test_the_table_covers_the_issue_and_more():
    assert len({c.name for c in CASES}) == len(CASES) >= 105
    assert sum(c.end_to_end for c in CASES) >= 15


def test_the_valid_site_passes_so_each_row_fails_for_its_own_reason(tmp_path, monkeypatch):
    site = make_site(tmp_path)
    for name, value in site.env.items():
        monkeypatch.setenv(name, value)
    assert validate(str(site.inventory), str(site.waivers), site.workers) is None


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_input_is_one_line_naming_the_file_key_and_fix(tmp_path, monkeypatch, case):
    site = broken_site_in_env(tmp_path, monkeypatch, case)
    line = validate(str(site.inventory), str(site.waivers), site.workers)       # timed: make bench-config
    assert line is not None, "accepted silently"
    check_line(line, case, site)


END_TO_END = [c for c in CASES if c.end_to_end]


# Through plain pytest too (the plugin validates in pytest_configure): one row of each family.
THROUGH_PYTEST = ("inventory-fifo", "inventory-alias-bomb", "policy-reject-ports-empty", "endpoint-userinfo",
                  "private-key-readable-by-others", "key-env-unset", "xapi-no-ca-file")


def run_command(case: Case, work: Path, command: str):
    site = broken_site(work, case)
    reports = site.directory / "reports"
    arguments = {"stackaudit": ["-m", "stackaudit", "run", f"--reports-dir={reports}", f"--workers={site.workers}"],
                 "pytest": ["-m", "pytest", f"--reports-dir={reports}", "-p", "no:randomly", "-q"]}[command]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SA_TEST_", "CLOUDSTACK_"))} | site.env
    done = subprocess.run([sys.executable, *arguments, f"--inventory={site.inventory}", f"--waivers={site.waivers}"],
                          cwd=REPO, capture_output=True, text=True, timeout=60, env=env)
    return (command, case.name), (site, reports, done)


@pytest.fixture(scope="module")
def end_to_end_runs(tmp_path_factory):
    """The end-to-end rows through `python -m stackaudit run`, and a few through pytest, four at a time."""
    runs = [(case, "stackaudit") for case in END_TO_END] + \
           [(case, "pytest") for case in CASES if case.name in THROUGH_PYTEST]
    tmp_path_factory.getbasetemp()     # made here, once: pytest makes it on first use, and threads would race to
    with ThreadPoolExecutor(4) as pool:
        return dict(pool.map(lambda run: run_command(run[0], tmp_path_factory.mktemp(run[0].name), run[1]), runs))


@pytest.mark.integration
@pytest.mark.parametrize("case", END_TO_END, ids=[c.name for c in END_TO_END])
def test_stackaudit_run_stops_with_exit_4_one_line_the_validate_hint_and_no_run_directory(end_to_end_runs, case):
    site, reports, done = end_to_end_runs[("stackaudit", case.name)]
    assert done.returncode == 4, done.stdout + done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    assert done.stdout == ""
    line, *hint = done.stderr.splitlines()
    assert line.startswith("stackaudit: ")
    if line.startswith("stackaudit: --"):      # a command-line option: no file to validate
        assert hint == []
    else:
        assert hint == [f"stackaudit: run `stackaudit validate --inventory={site.inventory} --waivers={site.waivers}` "
                        "to list every mistake at once"]
    check_line(line, case, site)
    assert not reports.exists()


@pytest.mark.integration
@pytest.mark.parametrize("name", THROUGH_PYTEST)
def test_pytest_with_the_plugin_stops_with_exit_4_and_the_same_line(end_to_end_runs, name):
    case = next(c for c in CASES if c.name == name)
    site, reports, done = end_to_end_runs[("pytest", name)]
    assert done.returncode == 4, done.stdout + done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    (line,) = [line for line in (done.stdout + done.stderr).splitlines() if line.strip()]
    assert line.startswith("Exit: stackaudit: ")      # pytest.exit's own prefix
    check_line(line, case, site)
    assert not reports.exists()
