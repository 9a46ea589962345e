"""Each Allure result as an auditor reads it: title, message, description, labels, categories.

- Title `CHECK-ID · what must hold · target` (the catalog record's title says what must hold).
- Message: our own reason, never pytest's `assert ...` echo. A broken result's message names why
  the target was not checked, `not checked (<reason>): ...`, so that categories.json can split them.
- Description as HTML: Allure 2 shows a Markdown `description` as plain text. Every piece of text
  that goes into it is escaped (a docstring, a catalog field or a waiver's reason may hold `<`), its
  control characters first (report/visible.py: a target id holds a tenant's names), then HTML's.
  The title, message and trace show control characters escaped too.
- Labels: Behaviours by area (epic) and check ID (feature); Suites by target (parentSuite: the kind
  of target in words, suite: the target id) instead of allure-pytest's module-based suites.
- categories(): the content of categories.json, one category per kind of outcome.
"""
from __future__ import annotations

import html
import re
from dataclasses import dataclass

from allure_commons.model2 import Label, StatusDetails

from stackaudit.errors import ApiError, AuthenticationFailed, HostKeyRejected, Unreachable, UnparsableOutput
from stackaudit.report.visible import visible
from stackaudit.report.waiving import waiver_label

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
DISRUPTION = {"none": "none", "restart": "a restart of the service it changes",
              "downtime": "downtime of what it changes"}
# Allure 2 (2.46) sanitizes a description down to bare tags (no style, no class) and its stylesheet shows
# headings, lists and code as plain lines: sections are set apart by an empty line (<br>), list items
# carry their bullet as text, and code keeps its backticks.
GAP = "<br>"
# catalog.yml's `source`: "[KEY] citation; [KEY] citation", KEY naming a row of the README's Sources table.
CITATION = re.compile(r"\[([A-Z0-9-]+)\] (.+?)(?=; \[[A-Z0-9-]+\] |$)", re.S)
URL = re.compile(r"https?://[^\s<>\"']+[^\s<>\"'.,;:)]")


@dataclass(frozen=True)
class Verdict:
    """One result's outcome as the plugin decided it (report/outcomes.py, report/waiving.py)."""
    status: str                    # passed, failed, broken, waived, skipped
    message: str                   # the plain reason (summary.json's message)
    not_checked: str | None = None  # broken: one of REASONS
    trace: str | None = None       # broken: pytest's traceback, for the engineer
    waiver: dict | None = None     # the covering waiver's fields and "expired"


def not_checked_reason(error: BaseException | None) -> str:
    return next((reason for kind, reason in NOT_CHECKED if isinstance(error, kind)), NOT_CHECKABLE)


def not_checked_message(reason: str, message: str) -> str:
    return f"not checked ({reason}): {message}"


def title(check_id: str, what_must_hold: str, target: str | None) -> str:
    """`CHECK-ID · what must hold · target`; a result without a target (none of its kind) has no target part."""
    return " · ".join(part for part in (check_id, what_must_hold, target) if part)


def suite_labels(target: str | None, kinds: tuple[str, ...]) -> list[tuple[str, str]]:
    if target:
        return [("parentSuite", SUITES[target.split("://", 1)[0]]), ("suite", target)]
    return [("parentSuite", " / ".join(SUITES[kind] for kind in kinds)), ("suite", NO_TARGET_SUITE)]


def allure_status(verdict: Verdict) -> tuple[str, str, str | None]:
    """(Allure status, message, trace) of a result that did not pass. A waived failure is skipped
    (Allure has no "waived"); a failure's trace would only repeat its message, so it has none."""
    if verdict.status == "broken":
        return "broken", not_checked_message(verdict.not_checked or NOT_CHECKABLE, verdict.message), verdict.trace
    return ("skipped" if verdict.status == "waived" else verdict.status), verdict.message, None


# --- the description ----------------------------------------------------------------------------------
def text_html(text: str) -> str:
    """Escaped text, `code` spans as <code>, addresses as links, blank-line paragraphs as <p>."""
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", text.strip()) if p.strip()]
    return "".join(f"<p>{inline_html(' '.join(p.split()))}</p>" for p in paragraphs)


def shown_html(text: object) -> str:
    """Text as HTML: control characters shown escaped, then HTML's special characters escaped."""
    return html.escape(visible(str(text)))


def inline_html(text: str) -> str:
    text = visible(text)
    parts, last = [], 0
    for match in URL.finditer(text):
        parts.append(code_spans(html.escape(text[last:match.start()])))
        url = html.escape(match.group(), quote=True)
        parts.append(f'<a href="{url}" target="_blank" rel="noopener noreferrer">{url}</a>')
        last = match.end()
    parts.append(code_spans(html.escape(text[last:])))
    return "".join(parts)


def code_spans(escaped: str) -> str:
    # Backticks survive html.escape and the text between them is already escaped.
    return re.sub(r"`([^`]+)`", r"<code>`\1`</code>", escaped)


def citations(source: str) -> list[tuple[str, str]]:
    """[(key, citation)] of a catalog `source`; the whole text as one keyless citation if it has no key."""
    found = CITATION.findall(" ".join(source.split()))
    return found or [("", source)]


def sources_html(source: str) -> str:
    items = "".join(f"<li>• {f'<b>[{html.escape(key)}]</b> ' if key else ''}{inline_html(citation)}</li>"
                    for key, citation in citations(source))
    return f"<p><b>Sources</b> (keys of the README's Sources table):</p><ul>{items}</ul>"


def waiver_html(waiver: dict) -> str:
    state = ("expired: the failure counts again" if waiver.get("expired")
             else "in force: the failure is waived and does not count")
    fields = "".join(f"<p><b>{name}</b>: {shown_html(waiver.get(name, ''))}</p>"
                     for name in ("check", "target", "reason", "approver", "ticket", "expires"))
    return f"<h3>Waiver</h3><p>{state}</p>{fields}"


def description_html(record, docstring: str | None, severity: str, waiver: dict | None = None) -> str:
    """The record (stackaudit.catalog.CheckRecord) beside one result: the rule, severity, why with its
    sources, remediation with its disruption, how to verify by hand, and the waiver if one covers it."""
    severity_text = html.escape(severity)
    if severity != record.severity:
        severity_text += f" (for this result; the check's own severity is {html.escape(record.severity)})"
    disruption = DISRUPTION.get(record.disruption, record.disruption)
    sections = [
        f"<h3>{html.escape(record.id)}: the rule</h3>{text_html(docstring or record.title)}",
        f"<p><b>Severity</b>: {severity_text}</p>",
        f"<h3>Why</h3>{text_html(record.rationale)}{sources_html(record.source)}",
        f"<h3>Remediation</h3><p><b>Disruption</b>: {html.escape(disruption)}</p>{text_html(record.remediation)}",
        f"<h3>Verify by hand</h3>{text_html(record.verify)}",
    ]
    if waiver:
        sections.append(waiver_html(waiver))
    return GAP.join(sections)


# --- the Allure result ------------------------------------------------------------------------------------
def present(test_result, record, docstring: str | None, target: str | None, severity: str,
            verdict: Verdict | None) -> None:
    """Rewrite allure-pytest's TestResult of one (check, target) as the auditor reads it."""
    test_result.name = visible(title(record.id, record.title, target))
    test_result.description = None
    test_result.descriptionHtml = description_html(record, docstring, severity, verdict.waiver if verdict else None)
    labels = [label for label in test_result.labels
              if label.name not in ALLURE_SUITE_LABELS and label.name != "severity"]
    labels += [Label(name=name, value=value) for name, value in suite_labels(target, record.targets)]
    labels.append(Label(name="severity", value=severity))
    if verdict is not None and verdict.waiver:
        labels.append(Label(name="waiver", value=waiver_label(verdict.waiver)))
    test_result.labels = labels
    if verdict is not None and verdict.status in ("failed", "broken", "waived"):
        test_result.status, message, trace = allure_status(verdict)
        test_result.statusDetails = StatusDetails(message=visible(message, multiline=True),
                                                  trace=trace and visible(trace, multiline=True))


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
    """categories.json: violated, expired waiver, not checked by reason, waived."""
    found = [
        {"name": "Expired waiver", "matchedStatuses": ["failed"], "messageRegex": f"(?s){EXPIRED_WAIVER}"},
        {"name": "Violated", "matchedStatuses": ["failed"], "messageRegex": f"(?s)(?!{EXPIRED_WAIVER}$).*"},
    ]
    for reason in REASONS:
        if reason == NOT_CHECKABLE:     # NotCheckable, and every broken result that names no other reason
            regex = rf"(?s)(?!not checked \(({NAMED_REASONS})\): ).*"
        else:
            regex = rf"(?s)not checked \({reason}\): .*"
        found.append({"name": f"Not checked: {reason}", "matchedStatuses": ["broken"], "messageRegex": regex})
    found.append({"name": "Waived", "matchedStatuses": ["skipped"], "messageRegex": "(?s)waived until .*"})
    return found
