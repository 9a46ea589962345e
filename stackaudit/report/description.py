"""A result's description as Allure 2 shows it: the catalog record as headed sections, lists and
commands to copy, each source by its title and link.

Allure 2 (2.46) cleans a description with jsoup's "relaxed" safelist (allure-generator
HtmlSanitizerUtils: no style or class attribute survives) and shows it under a CSS reset (Eric
Meyer's: every heading, list and code element in the body's own font, lists without bullets). What
still reads in that page, proven by screenshots (tests/integration/test_description_rendered.py):
blocks and their order, a `<br>` between blocks as an empty line, links, `<pre>` keeping its lines,
and a table's cells with their `width` (bold, italics and monospace all inherit the body's font). So a
heading is a line in capitals after an empty line (and `<h3><b>`, for a renderer that styles them), a
list item carries its bullet as text, and a command is a `<pre>` block of its own, indented by an
empty table cell, without the catalog's backticks: selecting it copies the command and nothing else.

Every piece of text is escaped: control characters first (report/visible.py: a target id holds a
tenant's names), then HTML's (a docstring, a catalog field or a waiver's reason may hold `<`).
"""
from __future__ import annotations

import html
import re

from stackaudit.report.visible import visible

GAP = "<br>"
BULLET = "• "
INDENT = 24     # pixels before a command
DISRUPTION = {"none": "none", "restart": "a restart of the service it changes",
              "downtime": "downtime of what it changes"}
# catalog.yml's `source`: "[KEY] citation; [KEY] citation"; a citation reads `author, "title", ..., URL`.
CITATION = re.compile(r"\[([A-Z0-9-]+)\] (.+?)(?=; \[[A-Z0-9-]+\] |$)", re.S)
URL = re.compile(r"https?://[^\s<>\"']+[^\s<>\"'.,;:)]")
QUOTED_TITLE = re.compile(r"[\"“](.+?)[\"”]")
CODE_SPAN = re.compile(r"`([^`]+)`")
COMMAND = re.compile(r"[A-Za-z0-9_./-]+ \S")       # a program's name, then its arguments


def shown_html(text: object) -> str:
    """Text as HTML: control characters shown escaped, then HTML's special characters escaped."""
    return html.escape(visible(str(text)))


def link_html(url: str, text: str | None = None) -> str:
    href = html.escape(visible(url), quote=True)
    return f'<a href="{href}" target="_blank" rel="noopener noreferrer">{shown_html(text or url)}</a>'


def heading(text: str) -> str:
    return f"<h3><b>{shown_html(text.upper())}</b></h3>"


def code_block(command: str) -> str:
    return f'<table><tr><td width="{INDENT}"></td><td><pre>{shown_html(command)}</pre></td></tr></table>'


def bullet_list(items_html: list[str]) -> str:
    return "<ul>" + "".join(f"<li>{BULLET}{item}</li>" for item in items_html) + "</ul>"


def inline_html(text: str) -> str:
    """One paragraph's text: `code` spans in a monospace font (without the backticks), addresses as links."""
    text = visible(text)
    parts, last = [], 0
    for match in URL.finditer(text):
        parts.append(code_spans(html.escape(text[last:match.start()])))
        parts.append(link_html(match.group()))
        last = match.end()
    parts.append(code_spans(html.escape(text[last:])))
    return "".join(parts)


def code_spans(escaped: str) -> str:
    # Backticks survive html.escape, and the text between them is already escaped.
    return CODE_SPAN.sub(r"<code>\1</code>", escaped)


def paragraphs(text: str) -> list[str]:
    return [" ".join(p.split()) for p in re.split(r"\n\s*\n", text.strip()) if p.strip()]


def text_html(text: str) -> str:
    """Escaped text: blank-line paragraphs as <p>, code spans as <code>, addresses as links."""
    return "".join(f"<p>{inline_html(p)}</p>" for p in paragraphs(text))


def commands(text: str) -> list[str]:
    """The commands a text names, to be copied: its code spans of several words whose first is a program's
    name (`xe pool-list params=ha-enabled`), in order, each once; a single word (`true`, `host=`) or a
    setting (`timeout: 180`, `ha-config:timeout=180`) is a value, not a command."""
    found = []
    for span in CODE_SPAN.findall(" ".join(text.split())):
        if COMMAND.match(span.strip()) and span not in found:
            found.append(span)
    return found


def commands_html(text: str) -> str:
    """The text, then each command it names as a <pre> block of its own."""
    blocks = "".join(code_block(command) for command in commands(text))
    return text_html(text) + (f"<p>To copy:</p>{blocks}" if blocks else "")


# --- sources ---------------------------------------------------------------------------------------------
def citations(source: str) -> list[tuple[str, str]]:
    """[(key, citation)] of a catalog `source`; the whole text as one keyless citation if it has no key.
    The key names a row of the Sources table (docs/sources.md) (`stackaudit explain` shows it; the report does not)."""
    found = CITATION.findall(" ".join(source.split()))
    return found or [("", " ".join(source.split()))]


def cited(citation: str) -> tuple[str, str | None, str]:
    """(title, URL, the rest) of one citation. The title is the quoted one, else the citation's text
    before its address; the rest is what stays (author, kind, year), without the title and the address."""
    url_match = URL.search(citation)
    url = url_match.group() if url_match else None
    text = URL.sub("", citation)
    quoted = QUOTED_TITLE.search(text)
    if quoted:
        title, rest = quoted.group(1), text[:quoted.start()] + text[quoted.end():]
    elif url:
        title, rest = citation[:url_match.start()], citation[url_match.end():]
    else:
        title, rest = text, ""
    return tidy(title), url, tidy(rest)


def tidy(part: str) -> str:
    """A piece of a citation without the commas and brackets left where its title or address was."""
    part = re.sub(r",\s*\(", " (", re.sub(r"\s*,(\s*,)+", ",", part)).strip(" ,;")
    return part[1:-1] if part.startswith("(") and part.endswith(")") and part.count("(") == 1 else part


def source_html(citation: str) -> str:
    title, url, rest = cited(citation)
    shown = link_html(url, title) if url else f"<b>{shown_html(title)}</b>"
    return shown + (f" ({inline_html(rest)})" if rest else "")


def sources_html(source: str) -> str:
    return f"<p><b>Sources</b></p>{bullet_list([source_html(c) for _, c in citations(source)])}"


# --- the waiver, the reason a result was not checked ---------------------------------------------------
def ticket_url(ticket: str, pattern: str = "{}") -> str | None:
    """The ticket's address: allure-pytest's link pattern for issues (`--allure-link-pattern=
    issue:https://tracker.example/browse/{}`) applied to it as allure-pytest applies it (utils.py
    format_allure_link: str.format); None unless that makes an http(s) address."""
    try:
        url = pattern.format(ticket.strip())
    except (KeyError, IndexError, ValueError):
        return None
    return url if URL.fullmatch(url) else None


def ticket_html(waiver: dict) -> str:
    """The waiver's ticket, as a link when it has an address (`ticket_url`, or the ticket is one)."""
    ticket = str(waiver.get("ticket", ""))
    url = waiver.get("ticket_url") or ticket_url(ticket)
    return link_html(url, ticket) if url else shown_html(ticket)


def waiver_html(waiver: dict) -> str:
    """Who waived it, until when, the ticket, why: first, so that an auditor sees it at once."""
    by = f"by {shown_html(waiver.get('approver', ''))}, ticket {ticket_html(waiver)}"
    if waiver.get("expired"):
        state = f"Waived {by}, expired on {shown_html(waiver.get('expires', ''))}: the failure counts again."
    else:
        state = f"Waived {by}, until {shown_html(waiver.get('expires', ''))}: the failure does not count."
    rows = [("Approved by", shown_html(waiver.get("approver", ""))), ("Ticket", ticket_html(waiver)),
            ("Expires", shown_html(waiver.get("expires", ""))), ("Reason", shown_html(waiver.get("reason", ""))),
            ("Covers", shown_html(waiver.get("target", "")))]
    table = "".join(f"<tr><td><b>{name}</b>:&nbsp;</td><td>{value}</td></tr>" for name, value in rows)
    return f"{heading('Waiver')}<p>{state}</p><table>{table}</table>"


def not_checked_html(reason: str, fix: str, finding: str | None = None) -> str:
    """A broken result: why it was not checked and what lets it be checked (not the rule's remediation,
    which is for a violation, and nothing was judged)."""
    return (f"{heading(f'Not checked: {reason}')}{finding_html(finding or '')}<p>Nothing was judged on this "
            f"target: the result is neither passed nor failed.</p>{heading('To let it be checked')}{commands_html(fix)}")


def finding_html(finding: str) -> str:
    """What the target gave, as plain escaped lines: it is the target's text, so never a link or code."""
    return "".join(f"<p>{shown_html(line)}</p>" for line in finding.splitlines() if line.strip())


# --- the description -------------------------------------------------------------------------------------
def description_html(record, docstring: str | None, severity: str, waiver: dict | None = None,
                     not_checked: tuple[str, str] | None = None, finding: str | None = None) -> str:
    """The record (stackaudit.catalog.CheckRecord) beside one result: a waiver, then what was found (or
    why it could not be checked) first, then the rule, its severity, why with its sources, the
    remediation with its disruption (not for a result that was not checked), and how to verify by hand.
    `not_checked`: (reason, fix) of a broken result (report/not_checked.py); `finding`: the result's
    own message, for one that did not pass."""
    severity_text = shown_html(severity)
    if severity != record.severity:
        severity_text += f" (for this result; the check's own severity is {shown_html(record.severity)})"
    sections = []
    if waiver:
        sections.append(waiver_html(waiver))
    if not_checked:
        sections.append(not_checked_html(*not_checked, finding))
    elif finding:
        sections.append(f"{heading('Found')}{finding_html(finding)}")
    sections += [
        f"{heading(f'{record.id}: the rule')}{text_html(docstring or record.title)}"
        f"<p><b>Severity</b>: {severity_text}</p>",
        f"{heading('Why')}{text_html(record.rationale)}{sources_html(record.source)}",
    ]
    if not not_checked:
        disruption = DISRUPTION.get(record.disruption, record.disruption)
        sections.append(f"{heading('Remediation')}<p><b>Disruption</b>: {shown_html(disruption)}</p>"
                        f"{commands_html(record.remediation)}")
    sections.append(f"{heading('Verify by hand')}{commands_html(record.verify)}")
    return GAP.join(sections)
