"""summary.html, the verdict page: one self-contained page (inline CSS, no script, no network) that
an auditor reads on screen or prints (A4, each section on a page of its own).

It opens with the verdict: for a pre-upgrade gate GO or NO-GO and why (README, "Exit codes": a failed blocker or critical check, or anything not checked, blocks the upgrade); for any
other run what failed that had not failed before. Then the counts by severity and outcome, what was
audited, every failed and broken result by severity with its fix, the waivers, the changes since
the previous run, the trend and a targets-by-checks matrix (report/verdict_sections.py).

A pure function of the run's recorded data (report/verdict_data.py, PageInputs). Every text from
the cloud (target ids, messages, waiver fields) goes through `shown_html`: control characters shown
escaped, then HTML's special characters (report/auditor.py), as in report.html.
"""
from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from string import Template

from stackaudit.report.auditor import SUITES
from stackaudit.report.description import URL, shown_html
from stackaudit.report.not_checked import fix_for
from stackaudit.report.verdict_data import PageInputs
from stackaudit.report.visible import visible

TEMPLATE = Path(__file__).with_name("verdict_page.html")
SEVERITIES = ("blocker", "critical", "normal", "minor", "trivial")    # stackaudit/catalog.py's order
BLOCKING = ("blocker", "critical")
OUTCOMES = ("passed", "failed", "broken", "waived", "skipped")
GATE_PROFILE = "pre_upgrade"
# The verdict lists this many results of each kind; the findings section below has them all.
VERDICT_LISTED = 10
EXIT_MEANINGS = {
    0: "every result passed", 1: "a blocker or critical check failed",
    6: "something could not be checked, and no blocker or critical check failed",
    7: "only normal, minor or trivial checks failed; everything was checked",
    8: "the run's record could not be written in full",
}
# --- text --------------------------------------------------------------------------------------------
def text(value: object) -> str:
    return shown_html(value)


def prose(value: str) -> str:
    """A catalog text (ours, but escaped like any other): `code` spans as <code>, addresses as links."""
    raw, parts, last = visible(" ".join(str(value).split())), [], 0
    for match in URL.finditer(raw):
        parts.append(code(raw[last:match.start()]))
        url = text(match.group())
        parts.append(f'<a href="{url}">{url}</a>')
        last = match.end()
    parts.append(code(raw[last:]))
    return "".join(parts)


def code(raw: str) -> str:
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", text(raw))


def table(headers: list[str], rows: list[list[str]], cls: str = "") -> str:
    """An HTML table of cells already HTML."""
    head = "".join(f"<th>{h}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in rows)
    return f'<table class="{cls}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def section(anchor: str, title: str, body: str) -> str:
    return f'<section id="{anchor}"><h2>{title}</h2>{body}</section>'


def status_badge(status: str) -> str:
    return f'<span class="badge {status}">{text(status)}</span>'


def plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def check_name(inputs: PageInputs, check_id: str) -> str:
    info = inputs.checks.get(check_id)
    title = f'<div class="title">{text(info.title)}</div>' if info else ""
    return f"<b>{text(check_id)}</b>{title}"


# --- the verdict -----------------------------------------------------------------------------------------
def results_with(summary: dict, *statuses: str) -> list[dict]:
    return [r for r in summary.get("results") or [] if r.get("status") in statuses]


def listed_results(inputs: PageInputs, results: list[dict]) -> str:
    items = "".join(f"<li>{text(r['check_id'])} · {text(r['target'] or 'the cloud')} ({text(r.get('severity', ''))})"
                    f"{': ' + text(r['message']) if r.get('message') else ''}</li>" for r in results[:VERDICT_LISTED])
    if len(results) > VERDICT_LISTED:
        items += f'<li>and {len(results) - VERDICT_LISTED} more (<a href="#findings">failed and broken results</a>)</li>'
    return f"<ul>{items}</ul>" if items else ""


def verdict(inputs: PageInputs) -> tuple[str, str, list[str]]:
    """(the headline, its CSS class go/nogo/warn, the reasons as HTML paragraphs)."""
    summary = inputs.summary
    code_ = summary.get("exit_code")
    meaning = EXIT_MEANINGS.get(code_, "the run did not finish")
    failed = results_with(summary, "failed")
    blocking = [r for r in failed if r.get("severity") in BLOCKING]
    broken = results_with(summary, "broken")
    nothing = not summary.get("results") and (inputs.discovery_failure or code_ not in (0, None))
    why_nothing = (f"Nothing was checked: StackAudit could not list the cloud's targets. "
                   f"{text(inputs.discovery_failure or 'summary.json holds no result.')}")
    exit_line = f"Exit code {text(code_)}: {text(meaning)}."
    if summary.get("profile") == GATE_PROFILE:
        if nothing:
            return "NO-GO", "nogo", [why_nothing, exit_line]
        if blocking:
            return "NO-GO", "nogo", [f"{plural(len(blocking), 'blocker or critical result')} failed: do not "
                                     f"upgrade until fixed.{listed_results(inputs, blocking)}", exit_line]
        if broken:
            return "NO-GO", "nogo", [f"{plural(len(broken), 'result')} could not be checked: a gate that could "
                                     f"not check everything cannot clear.{listed_results(inputs, broken)}", exit_line]
        if code_ not in (0, 7):     # interrupted (2), or a code this page does not know: never a GO
            return "NO-GO", "nogo", ["The run did not finish: its results cannot clear the gate.", exit_line]
        if failed:
            return "GO", "warn", [f"No blocker or critical check failed and everything was checked; "
                                  f"{plural(len(failed), 'lower-severity failure')} to review (warning).", exit_line]
        return "GO", "go", [f"Every result passed ({len(results_with(summary, 'waived'))} waived).", exit_line]
    if nothing:
        return "NOTHING CHECKED", "nogo", [why_nothing, exit_line]
    return nightly_verdict(inputs, failed, broken, exit_line)


def nightly_verdict(inputs: PageInputs, failed: list[dict], broken: list[dict], exit_line: str):
    summary = inputs.summary
    change = summary.get("changes")
    cls = "go" if summary.get("exit_code") == 0 else "nogo" if summary.get("exit_code") in (1, 6) else "warn"
    if change is None:      # a shard (report/changes.py as_shard)
        return (plural(len(failed), "failure").upper(), cls,
                [f"This run is shard {text(summary.get('shard'))}; <code>stackaudit merge</code> says what "
                 "changed over the whole night.", exit_line])
    by_key = {(r["check_id"], r["target"]): r for r in summary.get("results") or []}
    new_failed = [by_key.get((c["check_id"], c["target"]), {**c, "severity": "", "message": ""})
                  for c in change.get("new_failures") or []]
    new_broken = [by_key.get((c["check_id"], c["target"]), {**c, "severity": "", "message": ""})
                  for c in change.get("new_broken") or []]
    since = summary.get("changes_since")
    against = f"since run {text(since)}" if since else "(no earlier run in this reports directory: all are new)"
    reasons = []
    if new_failed:
        reasons.append(f"New failures {against}:{listed_results(inputs, new_failed)}")
    if new_broken:
        reasons.append(f"Newly broken {against}:{listed_results(inputs, new_broken)}")
    reasons.append(f"In all: {plural(len(failed), 'failure')} ({change.get('still_failing', 0)} still failing from "
                   f"before), {len(broken)} broken. {exit_line}")
    headline = plural(len(new_failed), "new failure").upper() if new_failed else "NO NEW FAILURES"
    return headline, cls, reasons


# --- counts and what was audited --------------------------------------------------------------------------
def counts_section(inputs: PageInputs) -> str:
    results = inputs.summary.get("results") or []
    by = Counter((r.get("severity"), r.get("status")) for r in results)
    rows = []
    for severity in SEVERITIES:
        if any(by[(severity, o)] for o in OUTCOMES):
            rows.append([text(severity), *(cell(by[(severity, o)], o) for o in OUTCOMES),
                         str(sum(by[(severity, o)] for o in OUTCOMES))])
    totals = Counter(r.get("status") for r in results)
    rows.append(["<b>all</b>", *(cell(totals[o], o) for o in OUTCOMES), f"<b>{len(results)}</b>"])
    not_applicable = len(inputs.summary.get("not_applicable") or [])
    return section("counts", "Counts by severity and outcome",
                   table(["severity", *OUTCOMES, "total"], rows, "counts")
                   + f"<p>{not_applicable} (check, target) pairs not applicable (out of the check's scope, or no "
                     "target of its kinds): never results, listed in summary.json.</p>")


def cell(count: int, outcome: str) -> str:
    return f'<span class="n {outcome}">{count}</span>' if count else '<span class="zero">0</span>'


def versions(targets: list[dict]) -> str:
    """The versions discovery listed for these targets (all of one kind), each with how many have it."""
    found = Counter()
    for target in targets:
        attrs = target.get("attrs") or {}
        for member in attrs.get("software") or ():      # a XenServer pool: each member's product
            found[f"{member.get('product_brand') or ''} {member.get('product_version') or '?'}".strip()] += 1
        if attrs.get("version"):
            found[f"CloudStack {attrs['version']}"] += 1
        for version in attrs.get("versions") or ():     # the cloud: its management servers'
            found[f"CloudStack {version}"] += 1
    return ", ".join(f"{text(v)} ({n})" for v, n in sorted(found.items())) or "not listed"


def audited_section(inputs: PageInputs) -> str:
    summary = inputs.summary
    inputs_read = summary.get("inputs") or {}
    facts = [("Cloud", text(summary.get("cloud"))),
             ("CloudStack version", text(summary.get("cloudstack_version") or "unknown")),
             ("Profile", text(summary.get("profile") or "all checks")),
             ("Run", f"{text(summary.get('run'))}, {text(summary.get('started'))} to {text(summary.get('finished'))}")]
    for name in ("inventory", "policy"):
        entry = inputs_read.get(name)
        facts.append((name.capitalize(), f"{text(entry['path'])} (SHA-256 <code>{text(entry['sha256'])}</code>)"
                      if entry else ("built-in defaults" if name == "policy" else "not recorded")))
    if summary.get("insecure_channels"):
        facts.append(("TLS not verified", text(", ".join(summary["insecure_channels"]))))
    by_kind: dict[str, list[dict]] = {}
    for target in inputs.targets:
        by_kind.setdefault(str(target.get("kind")), []).append(target)
    rows = [[text(SUITES.get(kind, kind)), str(len(found)), versions(found)]
            for kind, found in sorted(by_kind.items(), key=lambda kv: list(SUITES).index(kv[0])
                                      if kv[0] in SUITES else len(SUITES))]
    listing = "".join(f"<tr><th>{name}</th><td>{value}</td></tr>" for name, value in facts)
    targets = table(["targets", "how many", "versions (how many)"], rows) if rows else \
        "<p>No target was listed (targets.json was not written).</p>"
    return section("audited", "What was audited", f'<table class="facts">{listing}</table>{targets}')


# --- failed and broken results ----------------------------------------------------------------------------
def fix(inputs: PageInputs, result: dict) -> str:
    if result["status"] == "broken":
        reason = inputs.not_checked.get((result["check_id"], result["target"] or ""), "not checkable")
        return f"<b>Not checked ({text(reason)})</b>: {prose(fix_for(reason))}"
    info = inputs.checks.get(result["check_id"])
    return prose(info.remediation) if info else "See the check's description in report.html."


def findings_section(inputs: PageInputs) -> str:
    found = results_with(inputs.summary, "failed", "broken")
    if not found:
        return section("findings", "Failed and broken results", "<p>None: every result passed or was waived.</p>")
    parts = []
    for severity in (*SEVERITIES, None):
        group = [r for r in found if (r.get("severity") if r.get("severity") in SEVERITIES else None) == severity]
        if not group:
            continue
        rows = [[check_name(inputs, r["check_id"]), text(r["target"] or "the cloud"), status_badge(r["status"]),
                 text(r.get("message") or ""), fix(inputs, r)]
                for r in sorted(group, key=lambda r: (r["status"] != "failed", r["check_id"], r["target"] or ""))]
        parts.append(f"<h3>{text(severity or 'no severity')} ({len(group)})</h3>"
                     + table(["check", "target", "outcome", "what was found", "the fix"], rows, "findings"))
    return section("findings", "Failed and broken results, by severity", "".join(parts))


def render(inputs: PageInputs) -> str:
    from stackaudit.report.verdict_sections import changes_section, matrix_section, trend_section, waivers_section
    summary = inputs.summary
    headline, cls, reasons = verdict(inputs)
    title = f"StackAudit verdict: {summary.get('cloud')}, run {summary.get('run')}"
    head = (f'<header class="verdict {cls}"><p class="kind">{text(title)}</p><h1>{text(headline)}</h1>'
            + "".join(f"<p>{reason}</p>" for reason in reasons) + "</header>")
    body = "".join([head, counts_section(inputs), audited_section(inputs), findings_section(inputs),
                    waivers_section(inputs), changes_section(inputs), trend_section(inputs), matrix_section(inputs)])
    return Template(TEMPLATE.read_text()).substitute(title=text(title), body=body)
