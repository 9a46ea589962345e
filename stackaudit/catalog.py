"""The check catalog (catalog.yml): one record of metadata per check ID, and the @check decorator
that ties a check function to its record (markers for the profiles, Allure labels). What an auditor
reads of the record beside each result is rendered by stackaudit/report/auditor.py."""
from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import allure
import pytest
import yaml

from stackaudit.collect.declarations import FACTS
from stackaudit.config.schema import REQUIRED, Enum, ListOf, MapOf, Record, Str, f
from stackaudit.rules.scope import CONDITIONS
from stackaudit.targets import KINDS

CATALOG_FILE = Path(__file__).with_name("catalog.yml")
SEVERITIES = ("blocker", "critical", "normal", "minor", "trivial")
PROFILES = ("nightly", "pre_upgrade", "security")
RECORD = Record({
    "title": f(Str(), REQUIRED), "area": f(Str(), REQUIRED), "targets": f(ListOf(Enum(*KINDS)), REQUIRED),
    "scope": f(ListOf(Enum(*CONDITIONS)), list),
    "severity": f(Enum(*SEVERITIES), REQUIRED), "profiles": f(ListOf(Enum(*PROFILES)), REQUIRED),
    "source": f(Str(), REQUIRED), "rationale": f(Str(), REQUIRED), "remediation": f(Str(), REQUIRED),
    "disruption": f(Enum("none", "restart", "downtime"), REQUIRED), "verify": f(Str(), REQUIRED),
})


@dataclass(frozen=True)
class CheckRecord:
    id: str
    title: str
    area: str
    targets: tuple[str, ...]
    scope: tuple[str, ...]      # conditions of rules/scope.py: where, among its targets, the check applies
    severity: str
    profiles: tuple[str, ...]
    source: str
    rationale: str
    remediation: str
    disruption: str
    verify: str


@cache
def catalog() -> dict[str, CheckRecord]:
    raw = yaml.safe_load(CATALOG_FILE.read_text())
    records = MapOf(RECORD).check(raw, f"{CATALOG_FILE}:")
    return {cid: CheckRecord(id=cid, **{k: tuple(v) if isinstance(v, list) else v for k, v in rec.items()})
            for cid, rec in records.items()}


def check_kinds() -> dict[str, tuple[str, ...]]:
    """Check ID -> the target kinds it runs on (what a waiver's target may name)."""
    return {check_id: record.targets for check_id, record in catalog().items()}


# A result's severity when its check raised it above the record's (set during the test call).
ESCALATED = pytest.StashKey[str]()


def escalate(request, severity: str) -> None:
    """This result is more severe than its check's record says (e.g. a normal check's critical case)."""
    request.node.stash[ESCALATED] = severity
    allure.dynamic.severity(allure.severity_level(severity))


def validate_reads(record: CheckRecord, reads, members) -> None:
    """Each fact a check declares is declared (collect/declarations.py) for every kind it is read on."""
    wanted = [(name, kind) for name in reads for kind in record.targets]
    wanted += [(name, kind) for kind, names in members.items() for name in names]
    for name, kind in wanted:
        if name not in FACTS:
            raise ValueError(f"{record.id}: reads fact {name!r}, which no declaration names")
        if kind not in FACTS[name].kinds:
            raise ValueError(f"{record.id}: reads fact {name!r} on a {kind}; it is declared for "
                             f"{', '.join(FACTS[name].kinds)}")


def check(check_id: str, reads: tuple[str, ...] = (), members: dict[str, tuple[str, ...]] | None = None):
    """Mark a check function as the implementation of catalog record `check_id`.

    reads: the facts it reads on its own target; members: those it reads on other targets, by kind
    (a group check reading every host, a host check reading the cloud's settings). A run collects
    only the facts its selected checks declare, and a check reading an undeclared fact is broken.
    Where it applies (target kinds, scope conditions) is its record's: stackaudit/applicability.py."""
    record = catalog()[check_id]
    members = {kind: tuple(names) for kind, names in (members or {}).items()}
    validate_reads(record, reads, members)

    def decorate(function):
        marks = [pytest.mark.check_id(check_id), *(getattr(pytest.mark, p) for p in record.profiles),
                 allure.label("check_id", check_id), allure.severity(record.severity), allure.epic(record.area),
                 allure.feature(check_id)]     # title, description, suites: per result (report/auditor.py)
        for mark in marks:
            function = mark(function)
        function.stackaudit_check_id = check_id
        function.stackaudit_reads = (tuple(reads), members)
        return function
    return decorate
