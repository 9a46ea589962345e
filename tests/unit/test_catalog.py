"""The metadata self-test: every check ID has exactly one complete record and one implementation."""
from __future__ import annotations

import ast
import importlib
import inspect
import os
import re
import textwrap
from collections import Counter
from pathlib import Path

import pytest
import yaml

from stackaudit.catalog import CATALOG_FILE, RECORD, catalog
from stackaudit.config.schema import MapOf, SchemaError

CHECKS_DIR = Path(__file__).resolve().parent.parent.parent / "checks"


def implementations() -> list[tuple[str, object]]:
    found = []
    for path in sorted(CHECKS_DIR.glob("test_*.py")):
        module = importlib.import_module(f"checks.{path.stem}")
        for name, value in vars(module).items():
            if name.startswith("test_") and callable(value):
                found.append((getattr(value, "stackaudit_check_id", None), value))
    return found


def test_every_check_function_implements_a_catalog_record():
    assert [f.__qualname__ for check_id, f in implementations() if check_id is None] == []


def test_every_record_has_exactly_one_implementation():
    counts = Counter(check_id for check_id, _ in implementations())
    assert {cid: counts[cid] for cid in catalog()} == {cid: 1 for cid in catalog()}


def test_every_check_can_fail():
    """A check's own body asserts or raises: one that only computes its findings (a lost `assert`,
    as a merge once left SVM-ROUTER-RUNNING) passes whatever it finds."""
    silent = []
    for _, function in implementations():
        body = ast.parse(textwrap.dedent(inspect.getsource(function)))
        if not any(isinstance(node, (ast.Assert, ast.Raise)) for node in ast.walk(body)):
            silent.append(function.__qualname__)
    assert silent == []


def test_every_check_has_a_docstring_stating_its_rule():
    assert [f.__qualname__ for _, f in implementations() if len((f.__doc__ or "").split()) < 5] == []


SOURCES = CHECKS_DIR.parent / "docs" / "sources.md"
WHAT_IT_CHECKS = CHECKS_DIR.parent / "docs" / "what-it-checks.md"
CITATION = re.compile(r"\[([A-Z0-9-]+)\] (.+?)(?=; \[[A-Z0-9-]+\] |$)")
# The documents this project started from (../shared/seeds/NNN_*.txt, which users never have, and
# which ../shared/CHECKS.md's "source" column names by number), and the Sources keys (docs/sources.md) that
# cite each one publicly. One seed file is a blog archive page holding several posts.
SEED_SOURCES = {
    "000": {"BERGSMA-OPS"},                                        # blog.remibergsma.com, front page
    "001": {"BERGSMA-XS-HA", "BERGSMA-XS-UUID", "BERGSMA-OPS"},    # blog.remibergsma.com, howto archive
    "002": {"NALLEY-SSVM"},                                        # ke4qqq.wordpress.com
    "003": {"CS-HEARTBLEED", "SHAPEBLUE-HOWTO"},                   # shapeblue.com, CloudStack How-To tag
    "004": {"CSC-WIKI"},                                           # wiki.csclub.uwaterloo.ca/CloudStack
}


def sources_table() -> dict[str, str]:
    """The Sources table of docs/sources.md: key -> citation."""
    section = SOURCES.read_text()
    return dict(re.findall(r"^\| \[([A-Z0-9-]+)\] \| ([^|]+?) \|", section, re.M))


def cited(record) -> dict[str, str]:
    return dict(CITATION.findall(record.source))


def test_every_record_is_complete_and_cites_public_sources_of_the_sources_table():
    sources = sources_table()
    for record in catalog().values():
        assert all(part.strip() for part in (record.title, record.rationale, record.remediation, record.verify))
        citations = cited(record)
        assert citations and "; ".join(f"[{k}] {v}" for k, v in citations.items()) == record.source, record.id
        assert {key: sources.get(key) for key in citations} == citations, record.id
        assert all("https://" in text for text in citations.values()), record.id


def test_nothing_a_user_reads_names_the_project_s_internal_documents():
    internal = re.compile(r"seeds?[ /]0|interfaces\.md|\.\./shared|\b00[0-4]\b|§")
    for record in catalog().values():
        for part in (record.title, record.source, record.rationale, record.remediation, record.verify):
            assert not internal.search(part), (record.id, internal.search(part).group())


def test_every_seed_maps_to_sources_of_the_sources_table():
    assert set().union(*SEED_SOURCES.values()) <= set(sources_table())


def test_a_record_with_a_missing_field_is_refused_with_its_id_and_key():
    raw = yaml.safe_load(CATALOG_FILE.read_text())
    first = next(iter(raw))
    del raw[first]["remediation"]
    with pytest.raises(SchemaError) as error:
        MapOf(RECORD).check(raw, "catalog.yml:")
    assert str(error.value).startswith(f"catalog.yml: {first}.remediation: missing")


def test_catalog_ids_are_upper_case_and_stable_in_form():
    assert all(cid.replace("-", "").isalnum() and cid == cid.upper() for cid in catalog())


SHARED_CATALOGS = ("CHECKS.md", "CHECKS-WAVE2.md")


def shared_catalog_rows(columns: str, name: str = "CHECKS.md") -> list:
    """The rows of a shared check catalog (a developer's checkout keeps it beside the repository):
    the check ID, then what `columns` (a pattern of the following cells) captures."""
    shared = CHECKS_DIR.parent.parent / "shared" / name
    if not shared.is_file():
        missing = f"{shared} is not beside this repository (a developer's checkout has it)"
        if os.environ.get("CI") == "true":       # CI checks out ../shared: missing there is a failure
            pytest.fail(missing)
        pytest.skip(missing)
    rows = re.findall(r"^\| ([A-Z][A-Z0-9]+(?:-[A-Z0-9]+)+) \|" + columns, shared.read_text(), re.M)
    assert len(rows) >= {"CHECKS.md": 32, "CHECKS-WAVE2.md": 37}[name]
    return rows


def built_rows(columns: str, name: str) -> list:
    """The shared rows the catalog has a record for: CHECKS.md's all (the test above), the second
    wave's as each is built."""
    return [row for row in shared_catalog_rows(columns, name) if row[0] in catalog()]


def test_the_catalog_covers_every_id_of_the_shared_check_catalog():
    """The project keeps its own catalog; this proves it has every ID of the shared CHECKS.md."""
    ids = {row[0] for row in shared_catalog_rows(r"( )")}
    assert sorted(ids - set(catalog())) == []


@pytest.mark.parametrize("name", SHARED_CATALOGS)
def test_every_record_is_in_the_profiles_of_the_shared_catalog(name):
    rows = built_rows(r" (\w+) \| ([\w, ]+) \|", name)
    for check_id, severity, profiles in rows:
        record = catalog()[check_id]
        assert (record.severity, set(record.profiles)) == (severity, set(profiles.replace(" ", "").split(","))), check_id


@pytest.mark.parametrize("name", SHARED_CATALOGS)
def test_every_record_cites_the_documents_the_shared_catalog_names(name):
    """The shared catalogs name their sources by seed number; the record cites each seed publicly."""
    for check_id, source_column in built_rows(r".*\| ([^|]*) \|$", name):
        keys = set(cited(catalog()[check_id]))
        for seed in re.findall(r"\b00[0-4]\b", source_column):
            assert keys & SEED_SOURCES[seed], (check_id, seed)


def wave2_part_ids(part: int) -> set[str]:
    """The IDs CHECKS-WAVE2.md lists under its "Part N" heading (each part is built as a whole)."""
    shared = CHECKS_DIR.parent.parent / "shared" / "CHECKS-WAVE2.md"
    shared_catalog_rows(r"( )", "CHECKS-WAVE2.md")        # skips (or fails on CI) where it is not beside us
    listing = re.search(rf"^- \*\*Part {part}:[^(]*\((\d+)\): (.*?)\.\n", shared.read_text(), re.M | re.S)
    ids = set(re.findall(r"[A-Z][A-Z0-9]+(?:-[A-Z0-9]+)+", listing.group(2)))
    assert len(ids) == int(listing.group(1))
    return ids


def test_the_catalog_covers_every_id_of_the_second_wave_s_first_part():
    assert sorted(wave2_part_ids(1) - set(catalog())) == []


def test_what_it_checks_counts_the_catalog_s_checks_and_lists_the_gate_s():
    text = WHAT_IT_CHECKS.read_text()
    assert f"\nThe {len(catalog())} checks of the catalog" in text
    gate = re.search(r"^The upgrade gate .*?runs these checks: (.+?)\.\n", text, re.M | re.S)
    listed = re.findall(r"[A-Z0-9]+(?:-[A-Z0-9]+)+", gate.group(1))
    assert listed == [i for i, record in catalog().items() if "pre_upgrade" in record.profiles]


def test_the_catalog_covers_every_id_of_the_second_wave_s_second_part():
    assert sorted(wave2_part_ids(2) - set(catalog())) == []
