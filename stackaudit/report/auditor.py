"""Each Allure result as an auditor reads it: title, message, description, parameters, labels, categories.

- Title `CHECK-ID · target`, short enough that every tree shows the target whole: Behaviors lists a
  check's targets, Suites a target's checks. What must hold (the catalog record's title) is in the
  header line above it (fullName: area, check ID, what must hold, never pytest's `module#function`),
  in Behaviors' check heading (feature) and in the message of a result that did not pass.
- The target is the one parameter, `target`, as plain text (allure-pytest writes the fixture's name
  and the value's Python repr: `firewalled_host: 'kvm-host://zone1/kvm02'`).
- Message: the check's heading (allure_status), never pytest's `assert ...` echo. A broken result's
  names why the target was not checked, `not checked (<reason>): ...`, so that categories.json can
  split them; a failure's trace names its severity (severity_line), so that categories.json can
  order them, then the finding.
- Description: report/description.py (a broken result's fix: report/not_checked.py). The title,
  message and trace show control characters escaped.
- Labels: Behaviours by area (epic) and check (feature: `CHECK-ID · what must hold`); Suites by target (parentSuite: the kind
  of target in words, suite: the target id) instead of allure-pytest's module-based suites; Packages
  by area; the Timeline by kind of target and target, instead of the machine and the pytest process.
- categories(): the content of categories.json."""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from allure_commons.model2 import Label, Link, Parameter, StatusDetails
from allure_commons.types import Severity

from stackaudit.errors import ApiError, AuthenticationFailed, HostKeyRejected, Unreachable, UnparsableOutput
from stackaudit.report.description import description_html, ticket_url
from stackaudit.report.not_checked import fix_for
from stackaudit.report.visible import visible
from stackaudit.report.waiving import expired_note, waived_note, waiver_label

# Why a target could not be checked, by the error's type: the first match wins, so the host key comes
# before its parent (a refused login, or an AuthenticationFailed that says no more). "host key" is the
# target's identity: an SSH host key unknown or changed, or a TLS certificate (XAPI) not trusted.
NOT_CHECKED = (
    (Unreachable, "unreachable"),
    (HostKeyRejected, "host key"),
    (AuthenticationFailed, "login refused"),
    (UnparsableOutput, "unparsable"),
    (ApiError, "API error"),
)
NOT_CHECKABLE = "not checkable"     # NotCheckable (no policy value, a rule that cannot be judged), and the rest
REASONS = ("unreachable", "login refused", "host key", "unparsable", "API error", NOT_CHECKABLE)
# Each reason's family, as the Categories tab names it.
FAMILIES = {"unreachable": "network", "host key": "host key or certificate", "login refused": "credentials",
            "API error": "CloudStack API", "unparsable": "unreadable output", NOT_CHECKABLE: "policy or rule"}

SUITES = {
    "xs-pool": "XenServer pools", "xs-host": "XenServer hosts", "kvm-host": "KVM hosts",
    "ssvm": "Secondary storage VMs", "cpvm": "Console proxy VMs", "router": "Virtual routers",
    "db": "Database servers", "mgmt": "Management servers",
    "tls-frontend": "TLS front ends", "zone": "Zones", "cluster": "Clusters",
    "network": "Guest networks", "vpc": "VPCs", "vm": "Stopped user VMs",
    "cloud": "The cloud",
}
NO_TARGET_SUITE = "no target of this kind in the cloud"
ALLURE_SUITE_LABELS = ("parentSuite", "suite", "subSuite")
# allure-pytest's labels that name pytest, its modules or its process (host "vm", thread "12993-MainThread").
# The whole finding of a result that did not pass, a broken one's with why it was not checked (its
# Allure message is the check's heading: allure_status); report/summary.py's load_results reads it.
FINDING_LABEL = "finding"
REPLACED_LABELS = (FINDING_LABEL, "feature", *ALLURE_SUITE_LABELS, "severity", "package", "framework", "language", "host", "thread",
                   "testClass", "testMethod")


@dataclass(frozen=True)
class Verdict:
    """One result's outcome as the plugin decided it (report/outcomes.py, report/waiving.py)."""
    status: str                    # passed, failed, broken, waived, skipped
    message: str                   # the plain reason (summary.json's message)
    not_checked: str | None = None  # broken: one of REASONS
    trace: str | None = None       # broken: pytest's traceback, for the engineer
    waiver: dict | None = None     # the covering waiver's fields and "expired"


def not_checked_reason(error: BaseException | None) -> str:
    error = getattr(error, "members_error", None) or error    # a group's result: its members' reason
    return next((reason for kind, reason in NOT_CHECKED if isinstance(error, kind)), NOT_CHECKABLE)


def not_checked_message(reason: str, message: str) -> str:
    return f"not checked ({reason}): {message}"


def title(check_id: str, what_must_hold: str, target: str | None) -> str:
    """`CHECK-ID · target`; a result without a target (none of its kind) says what must hold instead."""
    return f"{check_id} · {target or what_must_hold}"


def check_heading(check_id: str, what_must_hold: str) -> str:
    return f"{check_id} · {what_must_hold}"


def suite_labels(target: str | None, kinds: tuple[str, ...]) -> list[tuple[str, str]]:
    if target:
        return [("parentSuite", SUITES[target.split("://", 1)[0]]), ("suite", target)]
    return [("parentSuite", " / ".join(SUITES[kind] for kind in kinds)), ("suite", NO_TARGET_SUITE)]


def allure_status(verdict: Verdict, check_id: str, what_must_hold: str, severity: str,
                  target: str | None) -> tuple[str, str, str]:
    """(Allure status, message, trace) of a result that did not pass. The message is a short heading
    that every target with the same outcome of the check shares: Allure's Categories tab groups a
    category's results by their whole message, so a finding there (fingerprints, paths, numbers) would
    make a heading per target. The finding itself comes first in the trace, the description (FOUND)
    and the `finding` label. A waived failure is skipped (Allure has no "waived"); a failure's trace
    starts with its severity (severity_line), for the categories to sort by."""
    check = check_heading(check_id, what_must_hold)
    if verdict.status == "broken":
        return ("broken", not_checked_message(verdict.not_checked or NOT_CHECKABLE, check),
                "\n\n".join(part for part in (verdict.message, verdict.trace) if part))
    if verdict.status == "waived":
        return "skipped", f"{waived_note(verdict.waiver)}: {check}", verdict.message
    expired = f" {expired_note(verdict.waiver)}" if verdict.waiver and verdict.waiver.get("expired") else ""
    return verdict.status, check + expired, f"{severity_line(severity, check_id, target)}\n\n{verdict.message}"


# --- the Allure result ------------------------------------------------------------------------------------
def present(test_result, record, docstring: str | None, target: str | None, severity: str,
            verdict: Verdict | None, ticket_pattern: str = "{}") -> None:
    """Rewrite allure-pytest's TestResult of one (check, target) as the auditor reads it. Its historyId
    and testCaseId stay allure-pytest's (a hash of the test's module path, function and parameter
    values: allure_pytest/listener.py and utils.get_history_id), so each result's history goes on
    from the runs before; only what is shown changes. `ticket_pattern`: allure-pytest's link pattern
    for issues, which makes a waiver's ticket a link (description.ticket_url)."""
    waived = verdict is not None and verdict.status == "waived"
    # Allure has no "waived": the status says skipped, so the title says waived, in every tree
    test_result.name = visible(("Waived · " if waived else "") + title(record.id, record.title, target))
    test_result.fullName = visible(f"{record.area} · {check_heading(record.id, record.title)}")
    test_result.titlePath = [record.area, record.id]
    test_result.parameters = [Parameter(name="target", value=visible(target))] if target else []
    broken = verdict is not None and verdict.status == "broken"
    reason = (verdict.not_checked or NOT_CHECKABLE) if broken else None
    waiver = dict(verdict.waiver) if verdict is not None and verdict.waiver else None
    if waiver:
        waiver["ticket_url"] = ticket_url(str(waiver.get("ticket", "")), ticket_pattern)
        if waiver["ticket_url"]:
            test_result.links = [Link(type="issue", url=waiver["ticket_url"], name=visible(waiver["ticket"]))]
    test_result.description = None
    finding = verdict.message if verdict is not None and verdict.status in ("failed", "broken", "waived") else None
    if finding is None and waiver is None:
        test_result.descriptionHtml = rule_description(record, docstring, severity)
    else:
        test_result.descriptionHtml = description_html(record, docstring, severity, waiver,
                                                       (reason, fix_for(reason)) if broken else None, finding)
    test_result.labels = labels(test_result.labels, record, target, severity, verdict)
    if finding is not None:
        test_result.status, message, trace = allure_status(verdict, record.id, record.title, severity, target)
        test_result.statusDetails = StatusDetails(message=visible(message, multiline=True),
                                                  trace=visible(trace, multiline=True))
        if broken:
            finding = not_checked_message(reason, finding)
        test_result.labels.append(Label(name=FINDING_LABEL, value=visible(finding, multiline=True)))


@lru_cache(maxsize=1024)
def rule_description(record, docstring: str | None, severity: str) -> str:
    """The description of a result with no finding or waiver (a passed one): the same for every target
    of the check, so made once per process, not once per result (thousands at a thousand hosts)."""
    return description_html(record, docstring, severity)


def labels(found: list, record, target: str | None, severity: str, verdict: Verdict | None) -> list:
    """allure-pytest's labels with ours: no pytest module (package), framework or process; the
    Timeline's rows by target (host: the kind of target, thread: the target); Packages by area."""
    kept = [label for label in found if label.name not in REPLACED_LABELS]
    kept += [Label(name=name, value=value) for name, value in suite_labels(target, record.targets)]
    kept += [Label(name="severity", value=severity), Label(name="package", value=record.area),
             Label(name="feature", value=check_heading(record.id, record.title)),
             Label(name="host", value=suite_labels(target, record.targets)[0][1]),
             Label(name="thread", value=visible(target or NO_TARGET_SUITE))]
    if verdict is not None and verdict.waiver:
        kept.append(Label(name="waiver", value=waiver_label(verdict.waiver)))
    return kept


def severity_line(severity: str, check_id: str, target: str | None) -> str:
    """A failure's trace: its severity, for categories.json to sort the violations by (Allure matches a
    category on status, message and trace only, never on a label)."""
    return f"Severity {severity}: {check_id} does not hold on {target or 'the cloud'}."


# --- categories.json -------------------------------------------------------------------------------------
# Allure 2 matches messageRegex against the whole message, with DOTALL (Pattern.compile(regex,
# Pattern.DOTALL).matcher(message).matches()), and puts a result in EVERY category it matches
# (allure-framework/allure2, CategoriesPlugin.java, addCategoriesForResults and matches,
# https://github.com/allure-framework/allure2). So the patterns exclude each other, and the list is
# in reading order besides. The expired waiver's text is report/waiving.py's.
DATE = r"\d{4}-\d{2}-\d{2}"
EXPIRED_WAIVER = rf".* \(waiver .*, expired on {DATE}: a failure again since {DATE}\)"
NAMED_REASONS = "|".join(reason for reason in REASONS if reason != NOT_CHECKABLE)    # words: no escaping


def categories() -> list[dict]:
    """categories.json, in reading order: violations by severity (blocker first; failures' traces name
    their severity: severity_line), expired waivers, not checked by the family of its reason, waived.
    Allure's Categories tab sorts its groups by name, lower-cased, as plain strings (allure-generator
    2.46's tree sorters compare names even under "order"), so each name starts with its rank: 1 to 8,
    the families of "not checked" sharing rank 7."""
    not_expired = f"(?s)(?!{EXPIRED_WAIVER}$).*"
    found = [{"name": f"{rank} · {severity.value.capitalize()} violations", "matchedStatuses": ["failed"],
              "messageRegex": not_expired, "traceRegex": f"(?s)Severity {severity.value}: .*"}
             for rank, severity in enumerate(Severity, 1)]     # Allure's scale, in its order: blocker first
    found.append({"name": "6 · Expired waivers", "matchedStatuses": ["failed"], "messageRegex": f"(?s){EXPIRED_WAIVER}"})
    for reason in REASONS:
        if reason == NOT_CHECKABLE:     # NotCheckable, and every broken result that names no other reason
            regex = rf"(?s)(?!not checked \(({NAMED_REASONS})\): ).*"
        else:
            regex = rf"(?s)not checked \({reason}\): .*"
        found.append({"name": f"7 · Not checked: {FAMILIES[reason]}", "matchedStatuses": ["broken"],
                      "messageRegex": regex})
    found.append({"name": "8 · Waived", "matchedStatuses": ["skipped"], "messageRegex": "(?s)waived until .*"})
    return found
