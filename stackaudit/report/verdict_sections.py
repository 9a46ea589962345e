"""The verdict page's later sections: waivers, changes since the previous run, the trend over
earlier runs and the targets-by-checks matrix (report/verdict_page.py has the first ones)."""
from __future__ import annotations

from collections import defaultdict

from stackaudit.report.auditor import SUITES
from stackaudit.report.verdict_data import PageInputs
from stackaudit.report.verdict_page import OUTCOMES, check_name, section, table, text

WAIVER_FIELDS = ("reason", "approver", "ticket", "expires")
# Past this many targets the matrix keeps only targets with a result that did not pass (summary.json
# has every result): a thousand rows help no one on paper.
MATRIX_ROWS = 150
MARKS = {"passed": "✓", "failed": "✗", "broken": "!", "waived": "W", "skipped": "–"}


# --- waivers -------------------------------------------------------------------------------------------------
def waiver_rows(entries: list[dict], target_key: str = "target") -> list[list[str]]:
    return [[text(e.get("check_id") or e.get("check")), text(e.get(target_key)),
             *(text(e.get(name, "")) for name in WAIVER_FIELDS)] for e in entries]


def waivers_section(inputs: PageInputs) -> str:
    summary = inputs.summary
    results = summary.get("results") or []
    active = [{**r["waiver"], "check_id": r["check_id"], "result": r["target"]}
              for r in results if r.get("waiver") and not r["waiver"].get("expired")]
    expired = [{**r["waiver"], "check_id": r["check_id"], "result": r["target"]}
               for r in results if r.get("waiver") and r["waiver"].get("expired")]
    headers = ["check", "target", *WAIVER_FIELDS]
    with_result = ["check", "result's target", *WAIVER_FIELDS, "waiver's target"]
    parts = []
    for title, entries, note in (
            ("Active: the failure is waived and does not count", active, None),
            ("Expired: the failure counts again", expired, None),
            ("Expiring within 14 days", summary.get("expiring_waivers"), None),
            ("Stale: matched no failure in this run", summary.get("stale_waivers"),
             "the night's <code>stackaudit merge</code> decides" if summary.get("shard") else None)):
        if entries is None:
            parts.append(f"<h3>{title}</h3><p>Not known for this run: {note}.</p>")
        elif not entries:
            parts.append(f"<h3>{title}</h3><p>None.</p>")
        elif entries is active or entries is expired:
            rows = [row + [text(e.get("target"))] for row, e in zip(waiver_rows(entries, "result"), entries)]
            parts.append(f"<h3>{title} ({len(entries)})</h3>" + table(with_result, rows, "waivers"))
        else:
            parts.append(f"<h3>{title} ({len(entries)})</h3>" + table(headers, waiver_rows(entries), "waivers"))
    return section("waivers", "Waivers", "".join(parts))


# --- changes ---------------------------------------------------------------------------------------------------
def changes_section(inputs: PageInputs) -> str:
    summary = inputs.summary
    change = summary.get("changes")
    if change is None:
        return section("changes", "Changes since the previous run",
                       f"<p>This run is shard {text(summary.get('shard'))}: <code>stackaudit merge</code> says what changed "
                       "over the whole night.</p>")
    since = summary.get("changes_since")
    intro = (f"<p>Against run {text(since)}.</p>" if since else
             "<p>No earlier run in this reports directory: every failure and broken result is new.</p>")
    rows = []
    for label, key in (("new failure", "new_failures"), ("newly broken", "new_broken"), ("fixed", "fixed")):
        rows += [[text(label), check_name(inputs, e["check_id"]), text(e.get("target") or "the cloud")]
                 for e in change.get(key) or []]
    listing = table(["change", "check", "target"], rows, "changes") if rows else "<p>No new failure, nothing fixed, " \
                                                                                  "nothing newly broken.</p>"
    return section("changes", "Changes since the previous run",
                   f"{intro}{listing}<p>Still failing from before: {int(change.get('still_failing') or 0)}.</p>")


# --- trend -------------------------------------------------------------------------------------------------------
def bar(counts: dict) -> str:
    """The run's outcomes as one bar of CSS widths (printable; no script, no image)."""
    total = sum(int(counts.get(o) or 0) for o in OUTCOMES) or 1
    return '<div class="bar">' + "".join(
        f'<span class="{o}" style="width:{100 * int(counts.get(o) or 0) / total:.2f}%"></span>'
        for o in OUTCOMES if counts.get(o)) + "</div>"


def trend_section(inputs: PageInputs) -> str:
    summary = inputs.summary
    runs = [(summary.get("run"), summary.get("started"), summary.get("profile"), summary.get("exit_code"),
             summary.get("counts") or {}, True)]
    runs += [(e.run, e.started, e.profile, e.exit_code, e.counts, False) for e in inputs.earlier]
    rows = [[f"<b>{text(run)}</b> (this run)" if this else text(run), text(started or "?"), text(profile or "all"),
             text(code), *(str(int(counts.get(o) or 0)) for o in ("passed", "failed", "broken", "waived")),
             bar(counts)] for run, started, profile, code, counts, this in runs]
    note = "" if inputs.earlier else "<p>No earlier run in this reports directory.</p>"
    return section("trend", "Trend over earlier runs",
                   table(["run", "started (UTC)", "profile", "exit", "passed", "failed", "broken", "waived", ""],
                         rows, "trend") + note)


# --- matrix ---------------------------------------------------------------------------------------------------------
def matrix_section(inputs: PageInputs) -> str:
    results = inputs.summary.get("results") or []
    by_kind: dict[str, dict[str, dict[str, str]]] = defaultdict(lambda: defaultdict(dict))
    for r in results:
        target = r.get("target") or ""
        kind = target.split("://", 1)[0] if "://" in target else "cloud"
        by_kind[kind][target][r["check_id"]] = r["status"]
    total = sum(len(targets) for targets in by_kind.values())
    only_bad = total > MATRIX_ROWS
    parts, left_out = [], 0
    for kind in sorted(by_kind, key=lambda k: list(SUITES).index(k) if k in SUITES else len(SUITES)):
        targets = by_kind[kind]
        checks = sorted({c for statuses in targets.values() for c in statuses})
        shown = sorted(t for t, s in targets.items() if not only_bad or set(s.values()) - {"passed"})
        left_out += len(targets) - len(shown)
        if not shown:
            continue
        head = "".join(f'<th class="check"><span>{text(c)}</span></th>' for c in checks)
        body = "".join(f"<tr><th>{text(t or 'the cloud')}</th>" + "".join(mark(targets[t].get(c)) for c in checks)
                       + "</tr>" for t in shown)
        parts.append(f"<h3>{text(SUITES.get(kind, kind))}</h3>"
                     f'<table class="matrix"><thead><tr><th>target</th>{head}</tr></thead><tbody>{body}</tbody></table>')
    legend = ("<p>" + ", ".join(f'<span class="m {s}">{m}</span> {s}' for s, m in MARKS.items())
              + ", empty: no result (not applicable, or not in this run's profile).</p>")
    if left_out:
        legend += (f"<p>{left_out} targets where every check passed are left out (more than {MATRIX_ROWS} "
                   "targets); summary.json lists every result.</p>")
    return section("matrix", "Targets by checks", legend + ("".join(parts) or "<p>No result.</p>"))


def mark(status: str | None) -> str:
    if status is None:
        return "<td></td>"
    return f'<td class="m {text(status)}" title="{text(status)}">{MARKS.get(status, "?")}</td>'

