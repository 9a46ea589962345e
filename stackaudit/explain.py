"""`stackaudit explain CHECK-ID`: every piece of one check, for a reader who does not know the code.

From one check ID to: its catalog record (stackaudit/catalog.yml) with its sources, the facts it
reads and how each is read (the shell command, SQL statement, XAPI class or CloudStack API call),
the rule functions and the check function with file and line, the targets it applies to, and the
lab cases that make it fail and pass. Pure functions returning text (or, for --format=json, a
dict); the command line only prints. Where each piece comes from: the check function's own
attributes (set by catalog.check), the fact declarations (collect/declarations.py), the check's
source read with `ast` (stackaudit/explain_source.py) and the lab's scenarios (lab/scenarios/).
"""
from __future__ import annotations

import difflib
import importlib.util
import inspect
import sys
import textwrap
from dataclasses import asdict, dataclass
from pathlib import Path

from stackaudit.catalog import CheckRecord, catalog
from stackaudit.collect.declarations import FACTS, closure
from stackaudit.explain_source import Calls, calls_of, place_of
from stackaudit.explain_lab import LabCases, lab_cases
from stackaudit.plugin import PACKAGE, checks_dir
from stackaudit.report.auditor import SUITES
from stackaudit.report.description import DISRUPTION, citations
from stackaudit.rules.scope import CONDITIONS

WIDTH = 100
SHORT_SOURCE_LINES = 8     # a builder without a docstring is shown whole up to this many lines
@dataclass(frozen=True)
class Reading:
    channel: str       # ssh, sql, xapi, api
    name: str          # the SSH section, query, XAPI class or settings list
    how: str           # the command line, statement or call, in words where it is built per target


@dataclass(frozen=True)
class FactReading:
    fact: str
    kinds: tuple[str, ...]          # the target kinds the check reads it on
    parsed_by: str                  # file:line of the function that turns the readings into the fact
    readings: tuple[Reading, ...]
    uses: tuple[str, ...]           # other facts its parsing reads (their readings are listed too)
    members: bool = False           # read on other targets than the check's own (a group's members)


@dataclass(frozen=True)
class Explanation:
    record: CheckRecord
    check_function: str             # qualified name
    check_place: str                # file:line of its def
    facts: tuple[FactReading, ...]
    calls: Calls
    scopes: tuple[str, ...]
    lab: LabCases | None            # None: lab/ is not in this installation


# --- the check functions --------------------------------------------------------------------------
def check_modules() -> list:
    """The check modules (checks/test_*.py), by the names the suite's own tests import them under."""
    directory = checks_dir()
    package = "stackaudit.checks" if directory.parent == PACKAGE else "checks"
    modules = []
    for path in sorted(directory.glob("test_*.py")):
        name = f"{package}.{path.stem}"
        module = sys.modules.get(name)
        if module is None:
            spec = importlib.util.spec_from_file_location(name, path)
            module = importlib.util.module_from_spec(spec)
            sys.modules[name] = module
            spec.loader.exec_module(module)
        modules.append(module)
    return modules


def check_functions() -> dict[str, object]:
    """Check ID -> the function that implements it (catalog.check marks it)."""
    return {function.stackaudit_check_id: function for module in check_modules()
            for function in vars(module).values() if hasattr(function, "stackaudit_check_id")}


# --- what the declarations say (the one place that reads them) -------------------------------------
def fact_readings(name: str, kinds: tuple[str, ...], members: bool = False) -> FactReading:
    """How fact `name` is read: its own readings and those of the facts its parsing uses."""
    names = [name, *sorted(closure([name]) - {name})]
    readings = {}
    for fact_name in names:
        for reading in FACTS[fact_name].reads:
            described = describe_reading(reading)
            readings.setdefault((described.channel, described.name), described)
    return FactReading(name, kinds, place_of(FACTS[name].parse), tuple(readings.values()),
                       tuple(names[1:]), members)


def describe_reading(reading) -> Reading:
    """A Command, Query, Records or ApiCall in words, from its attributes."""
    kind = type(reading).__name__
    if kind == "Command":
        line = reading.line
        if reading.after_query:
            how = (f"built per target from the answer of SQL query {reading.after_query!r} by "
                   f"{built_by(line)}")
        elif callable(line):
            how = f"built per target (from the policy and the target's kind) by {built_by(line)}"
        else:
            how = line
        notes = (["a missing file means the fact is absent"] if reading.absent_if_missing_file else []) + \
                ([f"exit codes {', '.join(map(str, reading.ok_exit_codes))} are complete output"]
                 if tuple(reading.ok_exit_codes) != (0,) else [])
        return Reading("ssh", reading.name, how + "".join(f"\n  ({note})" for note in notes))
    if kind == "Query":
        if callable(reading.statement):
            how = f"chosen from the policy by {built_by(reading.statement)}"
        else:
            how = reading.statement or (f"chosen per target from the answer of {', '.join(reading.after)} by "
                                        f"{built_by(reading.statement_of)}")
        if reading.after:
            how += f"\n  (asked after {', '.join(reading.after)})"
        return Reading("sql", reading.name, how)
    if kind == "Records":
        return Reading("xapi", reading.name, f"{reading.xapi_class}.get_all_records on the pool master")
    if kind == "ApiCall":
        return Reading("api", reading.name, reading.calls + (f" ({reading.rows})" if reading.rows else ""))
    raise TypeError(f"no description of a {kind} reading")


def built_by(function) -> str:
    """The function's name and place, and its docstring's summary (or, without one, its short source)."""
    doc = inspect.getdoc(function) or ""
    summary = " ".join(doc.split("\n\n", 1)[0].split())
    if summary:
        return f"{function.__qualname__} ({place_of(function)}): {summary}"
    source = textwrap.dedent(inspect.getsource(function)).rstrip().splitlines()
    shown = "".join(f"\n    {line}" for line in source) if len(source) <= SHORT_SOURCE_LINES else ""
    return f"{function.__qualname__} ({place_of(function)}){shown}"


def check_reads(function, record: CheckRecord) -> tuple[FactReading, ...]:
    """The facts the check declares: its own (on its target kinds), then its members' (a fact read on
    several kinds of member once, with those kinds)."""
    own, members = function.stackaudit_reads
    member_kinds: dict[str, list[str]] = {}
    for kind, names in members.items():
        for name in names:
            member_kinds.setdefault(name, []).append(kind)
    return tuple([fact_readings(name, record.targets) for name in own] +
                 [fact_readings(name, tuple(kinds), members=True) for name, kinds in member_kinds.items()])


def scope_conditions(record: CheckRecord) -> tuple[str, ...]:
    """The conditions (the record's `scope`, rules/scope.py) under which the check applies to a target of
    its kinds: each one's name, where it is decided, and whether it is judged on the cloud's version."""
    found = []
    for key in record.scope:
        condition = CONDITIONS[key]
        decided = condition.out_of_scope
        found.append(f"{condition.name} (decided by {decided.__qualname__}, {place_of(decided)})"
                     + ("; judged on the versions listManagementServers reports, as discovered"
                        if condition.needs_cloud_version else ""))
    return tuple(found)


# --- one check, and the catalog ---------------------------------------------------------------------
class UnknownCheck(LookupError):
    pass


def explain(check_id: str) -> Explanation:
    records = catalog()
    if check_id not in records:
        close = difflib.get_close_matches(check_id.upper(), list(records), n=3, cutoff=0.5)
        hint = f"; did you mean {', '.join(close)}?" if close else "; `stackaudit explain` lists every ID"
        raise UnknownCheck(f"explain: no check {check_id!r} in the catalog (stackaudit/catalog.yml){hint}")
    function = check_functions().get(check_id)
    if function is None:
        raise UnknownCheck(f"explain: {check_id} is in the catalog but no check function implements it "
                           f"(@check({check_id!r}) in {checks_dir()})")
    record = records[check_id]
    return Explanation(record, f"{function.__module__}.{function.__qualname__}", place_of(function), check_reads(function, record),
                       calls_of(function), scope_conditions(record), lab_cases(check_id))


def listing() -> str:
    """Every check ID with its title, in catalog order."""
    records = catalog().values()
    width = max(len(record.id) for record in records)
    return "\n".join(f"{record.id:<{width}}  {record.title}" for record in records)


def as_json(explanation: Explanation) -> dict:
    return asdict(explanation)


# --- the text -----------------------------------------------------------------------------------------
def text(explanation: Explanation) -> str:
    sections = [record_text(explanation.record), facts_text(explanation), code_text(explanation),
                targets_text(explanation), lab_text(explanation.lab)]
    return "\n\n".join(sections) + "\n"


def wrapped(label: str, value: str) -> str:
    return textwrap.fill(" ".join(value.split()), width=WIDTH, initial_indent=f"  {label + ':':<12} ",
                         subsequent_indent=" " * 15, break_on_hyphens=False, break_long_words=False)


def record_text(record: CheckRecord) -> str:
    lines = [f"{record.id}: {record.title}", "", "CATALOG RECORD (stackaudit/catalog.yml)",
             wrapped("severity", record.severity), wrapped("profiles", ", ".join(record.profiles)),
             wrapped("area", record.area), wrapped("targets", ", ".join(record.targets)),
             wrapped("rationale", record.rationale), wrapped("remediation", record.remediation),
             wrapped("disruption", DISRUPTION.get(record.disruption, record.disruption)),
             wrapped("verify", record.verify), "  sources:"]
    lines += [textwrap.fill(f"[{key}] {citation}" if key else citation, width=WIDTH, initial_indent="    ",
                            subsequent_indent="      ", break_on_hyphens=False, break_long_words=False)
              for key, citation in citations(record.source)]
    return "\n".join(lines)


def facts_text(explanation: Explanation) -> str:
    lines = ["FACTS IT READS (collected over one SSH exec, SQL, XAPI or the API before the check runs)"]
    if not explanation.facts:
        lines.append("  none declared")
    for fact in explanation.facts:
        uses = f"; its parsing also reads {', '.join(fact.uses)}" if fact.uses else ""
        on = f"every {', '.join(fact.kinds)} of the cloud" if fact.members else ", ".join(fact.kinds)
        lines.append(f"  {fact.fact} on {on} (parsed by {fact.parsed_by}{uses})")
        for reading in fact.readings:
            how = reading.how.replace("\n", "\n      ")
            lines.append(f"    {reading.channel} {reading.name}:\n      {how}")
    rows = explanation.calls.api_rows
    lines.append("API ROWS IT READS (listed once by discovery, before any check runs)")
    lines += [f"  {call}" for call in rows] or ["  none"]
    return "\n".join(lines)


def code_text(explanation: Explanation) -> str:
    calls = explanation.calls
    lines = ["CODE (paths from the checkout)", f"  check function: {explanation.check_function} ({explanation.check_place})"]
    lines += [f"  helper:         {name} ({place})" for name, place in calls.helpers]
    lines += [f"  rule function:  {name} ({place})" for name, place in calls.rules] or ["  rule function:  none (the check judges its facts itself)"]
    return "\n".join(lines)


def targets_text(explanation: Explanation) -> str:
    lines = ["TARGETS IT APPLIES TO (one result per target of these kinds where its scope holds)"]
    lines += [f"  {kind} ({SUITES.get(kind, kind)})" for kind in explanation.record.targets]
    lines += [f"  only where: {name}" for name in explanation.scopes]
    lines.append("  (which targets a cloud has is found when a run starts: discovery lists them over the API; database\n"
                 "  servers, management servers' addresses and TLS front ends come from the inventory)")
    return "\n".join(lines)


def lab_text(lab: LabCases | None) -> str:
    if lab is None:
        return "LAB CASES\n  lab cases: not in this installation (lab/ ships in the checkout only)"
    lines = ["LAB CASES THAT MAKE IT FAIL (seeded: in lab/scenarios)"]
    lines += [f"  {case.scenario} {case.case}: {case.outcome} on {', '.join(case.targets)}"
              + "".join(f"\n    message names: {text}" for text in case.mentions) for case in lab.failing] or ["  none"]
    if lab.other:
        lines.append("LAB CASES WHERE IT IS NOT CHECKED OR OUT OF SCOPE")
        lines += [f"  {case.scenario} {case.case}: {case.outcome} on {', '.join(case.targets)}" for case in lab.other]
    lines.append("LAB SCENARIOS WHERE IT PASSES (on every target of its kinds they have)")
    lines += [f"  {scenario}" for scenario in lab.passing]
    lines.append("TESTS THAT RUN THESE SCENARIOS (need root and the lab: `make test`)")
    lines += [textwrap.fill(f"{module}: {', '.join(scenarios)}", width=WIDTH, initial_indent="  ",
                            subsequent_indent="    ") for module, scenarios in lab.tests.items()] or ["  none found"]
    return "\n".join(lines)
