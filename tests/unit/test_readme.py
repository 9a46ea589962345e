"""The README a new user reads first (issue 24): it fits on a few screens, its exit codes are the run's,
its profile counts are the catalog's, every link of it and of docs/ leads somewhere, and every command
of its fenced blocks is either run here or marked as needing a real cloud (or as what CI runs)."""
from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from stackaudit.catalog import catalog
from stackaudit.report.outcomes import EXIT_CODES

REPO = Path(__file__).resolve().parents[2]
README = REPO / "README.md"
MAX_LINES = 260
# A command's own comment ends with one of these when this test does not run it (`make test` is what .ci/run
# runs; `make demo` brings a lab up, as root).
MARKERS = ("needs a real cloud", "needs a real cloud's inventory", "(needs root: a lab)", "(CI runs this: .ci/run)")
# Every other command of the README, run in its order in one copy of inventories/: the exit code and what
# its output holds (stdout; stderr when the code is not 0).
RUNNABLE = {
    "stackaudit --help": (0, "explain"),
    "stackaudit explain HOST-IPTABLES-V4": (0, "HOST-IPTABLES-V4: CLOUDSTACK-SERVICES rejects"),
    "stackaudit access --database": (0, "GRANT PROCESS ON *.* TO 'stackaudit'@'%';"),
    "stackaudit access --api": (0, "cmk create rolepermission roleid=$ROLE rule='*' permission=deny"),
    "stackaudit access --ssh": (0, "iptables-save"),
    "cp inventories/example.yml inventories/mycloud.yml": (0, ""),
}
# Pages the README links that other parts of issue 24 write; the link test waits for them until merged.
PENDING_PAGES = {"docs/validate.md", "docs/known-hosts.md", "docs/credentials.md"}
FENCE = re.compile(r"^ *```(\S*)$")
LINK = re.compile(r"\]\(([^)\s]+)\)")


def fenced_blocks(text: str) -> list[tuple[str, list[str]]]:
    """(language, lines) of each fenced block, its lines without the block's own indentation."""
    blocks, language, lines, indent = [], None, [], 0
    for line in text.split("\n"):
        fence = FENCE.match(line)
        if fence and language is None:
            language, lines, indent = fence.group(1), [], len(line) - len(line.lstrip())
        elif fence:
            blocks.append((language, lines))
            language = None
        elif language is not None:
            lines.append(line[indent:])
    assert language is None, "a fenced block is not closed"
    return blocks


def commands(text: str) -> list[tuple[str, str]]:
    """(command, its comment) of every line of the `sh` blocks."""
    found = []
    for language, lines in fenced_blocks(text):
        for line in lines:
            if language == "sh" and line.strip() and not line.lstrip().startswith("#"):
                command, _, comment = line.partition(" #")
                found.append((command.strip(), comment.strip()))
    return found


def test_the_readme_fits_on_a_few_screens():
    assert len(README.read_text().splitlines()) <= MAX_LINES


def test_every_fenced_block_says_whether_it_holds_commands_or_output():
    languages = {language for language, _ in fenced_blocks(README.read_text())}
    assert languages <= {"sh", "text", "yaml"}, "a block without a language: sh (commands) or text (output)"


def test_every_command_is_run_by_this_test_or_marked_as_needing_a_real_cloud():
    found = commands(README.read_text())
    unmarked = [command for command, comment in found
                if command not in RUNNABLE and not comment.endswith(MARKERS)]
    assert unmarked == []
    assert sorted(RUNNABLE) == sorted({command for command, _ in found} & set(RUNNABLE)), "RUNNABLE: not in README"
    assert [c for c, comment in found if c in RUNNABLE and comment.endswith(MARKERS)] == []


def test_the_commands_are_split_from_their_comments_as_written():
    text = "x\n```sh\nmake demo   # all of it (CI runs this)\n# a comment\n\n```\n  ```text\n  not a command\n  ```\n"
    assert commands(text) == [("make demo", "all of it (CI runs this)")]
    assert fenced_blocks(text) == [("sh", ["make demo   # all of it (CI runs this)", "# a comment", ""]),
                                   ("text", ["not a command"])]


def test_the_exit_code_table_is_the_run_s_own():
    section = README.read_text().split("\n## Exit codes\n", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| (\d+) \| (.+) \|$", section, re.M)
    assert [(int(code), meaning) for code, meaning in rows] == list(EXIT_CODES)


def test_the_profiles_are_counted_as_the_catalog_marks_them():
    text = " ".join(README.read_text().split())
    records = catalog()
    marked = {profile: [i for i, r in records.items() if profile in r.profiles]
              for profile in ("nightly", "pre_upgrade", "security")}
    not_nightly = ", ".join(i for i in records if i not in marked["nightly"])
    assert f"every check of the catalog ({len(records)})" in text
    assert f"({not_nightly}: {len(marked['nightly'])})" in text
    assert f"`pre_upgrade` the {len(marked['pre_upgrade'])} checks" in text
    assert f"`security` {len(marked['security'])}." in text


def github_anchor(heading: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation but - and _ dropped, spaces as -."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def anchors(page: Path) -> set[str]:
    """The anchors of a page's headings outside fenced blocks; a repeated heading gets -1, -2 ..."""
    found, seen, inside = set(), Counter(), False
    for line in page.read_text().split("\n"):
        if FENCE.match(line):
            inside = not inside
        elif not inside and (heading := re.match(r"^#{1,6} (.+)$", line)):
            anchor = github_anchor(heading.group(1))
            found.add(f"{anchor}-{seen[anchor]}" if seen[anchor] else anchor)
            seen[anchor] += 1
    return found


def test_anchors_are_made_as_github_makes_them():
    assert github_anchor("Database connections: TLS, and no password given away") == \
        "database-connections-tls-and-no-password-given-away"
    assert github_anchor("Run directories and summary.json") == "run-directories-and-summaryjson"
    assert github_anchor("Bounded against any answer: what a target's SSH output can do") == \
        "bounded-against-any-answer-what-a-targets-ssh-output-can-do"


def test_every_link_of_the_readme_and_of_docs_leads_to_a_page_and_heading():
    broken = []
    for page in [README, *sorted((REPO / "docs").glob("*.md"))]:
        for target in LINK.findall(page.read_text()):
            if re.match(r"[a-z]+:", target):
                continue
            path, _, anchor = target.partition("#")
            linked = (page.parent / path).resolve() if path else page
            if linked.relative_to(REPO).as_posix() in PENDING_PAGES and not linked.exists():
                continue
            if not linked.exists():
                broken.append(f"{page.relative_to(REPO)}: {target}: no such file")
            elif anchor and linked.suffix == ".md" and anchor not in anchors(linked):
                broken.append(f"{page.relative_to(REPO)}: {target}: no such heading")
    assert broken == []


@pytest.fixture(scope="module")
def readme_runs(tmp_path_factory) -> dict[str, subprocess.CompletedProcess]:
    """The runnable commands, in the README's order, in one copy of inventories/ (as a reader would:
    the inventory `cp` makes is the one later steps read)."""
    where = tmp_path_factory.mktemp("readme")
    shutil.copytree(REPO / "inventories", where / "inventories")
    runs = {}
    for command, _ in commands(README.read_text()):
        if command in RUNNABLE:
            argv = shlex.split(command)
            if argv[0] == "stackaudit":
                argv[0] = str(Path(sys.executable).parent / "stackaudit")
            runs[command] = subprocess.run(argv, cwd=where, capture_output=True, text=True, timeout=120)
            runs[command].cwd = where
    return runs


@pytest.mark.integration
@pytest.mark.parametrize("command", sorted(RUNNABLE))
def test_the_readme_s_command_runs(command, readme_runs):
    done, (code, output) = readme_runs[command], RUNNABLE[command]
    assert done.returncode == code, done.stderr
    assert output in (done.stdout if code == 0 else done.stderr)
    assert code != 0 or done.stderr == ""
    if command.startswith("cp "):
        _, source, copy = command.split()
        assert (done.cwd / copy).read_text() == (REPO / source).read_text()


SECTION_REFERENCE = re.compile(r"(?<!its )README(?:, |'s )\\?\"([^\"\\]+)")
REFERRING = ("stackaudit", "checks", "tests", "docs", "deploy", "lab", "benchmarks", "inventories")
NOT_OURS = ("tests/data/", "lab/parts/", "tests/unit/test_readme.py")


def section_references(text: str) -> list[str]:
    """The README sections a text names as `README, "Section"` or `README's "Section"`."""
    return [" ".join(name.split()) for name in SECTION_REFERENCE.findall(text)]


def test_section_references_are_read_as_written():
    text = 'a (README, "Exit codes"), b (README, \\"Bounded against\n  any\\"), its README, "PR run", README\'s "X"'
    assert section_references(text) == ["Exit codes", "Bounded against any", "X"]


def test_every_reference_to_a_readme_section_names_one_it_has():
    headings = re.findall(r"^#+ (.+)$", README.read_text(), re.M)
    files = [REPO / "Makefile", *(path for top in REFERRING for path in sorted((REPO / top).rglob("*"))
                                  if path.suffix in {".py", ".md", ".yml", ".yaml", ".json", ".sh", ".txt"})]
    stale = [f"{path.relative_to(REPO)}: README, \"{name}\""
             for path in files if not path.relative_to(REPO).as_posix().startswith(NOT_OURS)
             for name in section_references(path.read_text(errors="replace"))
             if not any(heading.startswith(name) for heading in headings)]
    assert stale == [], "the README's sections moved to docs/: name the page (docs/configuration.md, ...)"
