"""The run's outputs read as their real consumers read them: summary.json against its shipped JSON
Schema (jsonschema), junit.xml against the Jenkins xUnit plugin's JUnit schema (tests/data/junit/,
lxml), metrics.prom by the Prometheus client library's own text parser, results.csv by the csv module."""
from __future__ import annotations

import csv
import io
from functools import cache
from pathlib import Path

import jsonschema
from lxml import etree
from prometheus_client.parser import text_string_to_metric_families

from stackaudit.report.summary_fields import summary_schema

JUNIT_XSD = Path(__file__).resolve().parent.parent / "data" / "junit" / "junit-10.xsd"


@cache
def summary_validator() -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(summary_schema(), format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)


def summary_problems(summary: dict) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path)) or '(top)'}: {e.message}"
            for e in summary_validator().iter_errors(summary)]


@cache
def junit_schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(JUNIT_XSD)))


def junit_problems(xml: bytes) -> list[str]:
    schema = junit_schema()
    document = etree.fromstring(xml)
    return [] if schema.validate(document) else [str(error) for error in schema.error_log]


def metric_samples(text: str) -> dict[tuple[str, tuple], float]:
    """(sample name, sorted labels) -> value, as Prometheus reads the file; raises on a malformed one."""
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def csv_rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text, newline="")))
