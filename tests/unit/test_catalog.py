"""The metadata self-test: every check ID has exactly one complete record and one implementation."""
from __future__ import annotations

import importlib
import re
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


def test_every_check_has_a_docstring_stating_its_rule():
    assert [f.__qualname__ for _, f in implementations() if len((f.__doc__ or "").split()) < 5] == []


def test_every_record_is_complete_and_cites_a_source_the_project_names():
    for record in catalog().values():
        assert all(part.strip() for part in (record.title, record.rationale, record.remediation, record.verify))
        assert all(s.strip().startswith(("seeds/0", "reference")) for s in record.source.split(",")), record.id


def test_a_record_with_a_missing_field_is_refused_with_its_id_and_key():
    raw = yaml.safe_load(CATALOG_FILE.read_text())
    first = next(iter(raw))
    del raw[first]["remediation"]
    with pytest.raises(SchemaError) as error:
        MapOf(RECORD).check(raw, "catalog.yml:")
    assert str(error.value).startswith(f"catalog.yml: {first}.remediation: missing")


def test_catalog_ids_are_upper_case_and_stable_in_form():
    assert all(cid.replace("-", "").isalnum() and cid == cid.upper() for cid in catalog())


def test_the_catalog_covers_every_id_of_the_shared_check_catalog():
    """The project keeps its own catalog; this proves it has every ID of ../shared/CHECKS.md."""
    shared = CHECKS_DIR.parent.parent / "shared" / "CHECKS.md"
    if not shared.is_file():
        pytest.skip(f"{shared} is not beside this repository (a developer's checkout has it)")
    ids = set(re.findall(r"^\| ([A-Z][A-Z0-9]+(?:-[A-Z0-9]+)+) \|", shared.read_text(), re.M))
    assert len(ids) >= 32
    assert sorted(ids - set(catalog())) == []


def test_every_record_is_in_the_profiles_of_the_shared_catalog():
    shared = CHECKS_DIR.parent.parent / "shared" / "CHECKS.md"
    if not shared.is_file():
        pytest.skip(f"{shared} is not beside this repository (a developer's checkout has it)")
    rows = re.findall(r"^\| ([A-Z][A-Z0-9]+(?:-[A-Z0-9]+)+) \| (\w+) \| ([\w, ]+) \|", shared.read_text(), re.M)
    assert len(rows) >= 32
    for check_id, severity, profiles in rows:
        record = catalog()[check_id]
        assert (record.severity, set(record.profiles)) == (severity, set(profiles.replace(" ", "").split(","))), check_id
