"""report.html: the run's Allure results, with the run's context and the nights before, as one file.

Allure 2's command-line tool (npm `allure-commandline`, pinned in package-lock.json; it needs a
Java runtime) reads a results directory and, with `--single-file`, writes one index.html that
opens from disk. Before it runs, the results directory gets what Allure reads beside the results
(Allure Report docs, "Environment", "Categories", "History and retries", allurereport.org/docs):
- environment.properties: the run's context and what changed since the previous run, shown on the
  overview;
- executor.json: what kind of run this is and a link to the previous run's report;
- categories.json: how the results are grouped (report/auditor.py);
- history/: the previous report's history, so the trend and each result's history go on.

A single-file report keeps its history inside the HTML, as `d('history/<file>','<base64>')`
calls; the next run reads it from there (`history_files`), so a run directory needs no
directory of report files to carry the history on.
"""
from __future__ import annotations

import base64
import binascii
import json
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from stackaudit.config.safe_files import private_dir, write_file
from stackaudit.report.allure_heap import heap_mib, java_options, out_of_heap, out_of_heap_reason, results_bytes
from stackaudit.report.verdict_data import PAGE_FILE as VERDICT_PAGE

REPORT_FILE = "report.html"
ALLURE_ENVIRONMENT = {"ALLURE_NO_ANALYTICS": "true"}
PROJECT = Path(__file__).resolve().parents[2]
EMBEDDED_FILE = re.compile(r"""d\('([^']+)',\s*'([A-Za-z0-9+/=]*)'\)""")
# Where a listing on the overview stops; summary.json has all.
MAX_LISTED = 20


def find_allure() -> Path | None:
    """Allure's command: $STACKAUDIT_ALLURE, the checkout's node_modules (make setup), or PATH."""
    given = os.environ.get("STACKAUDIT_ALLURE")
    if given:
        return Path(given)
    # The start script npm's `allure` (a Node.js wrapper) would run: without the wrapper, no Node.js
    # process (about 40 MB) waits beside Java (allure-commandline's index.js spawns dist/bin/allure).
    for local in (PROJECT / "node_modules" / "allure-commandline" / "dist" / "bin" / "allure",
                  PROJECT / "node_modules" / ".bin" / "allure"):
        if local.is_file():
            return local
    found = shutil.which("allure")
    return Path(found) if found else None


def embedded_files(report_html: str, folder: str) -> dict[str, bytes]:
    """The files a single-file Allure 2 report embeds directly in `folder` (name -> bytes); an entry
    that is not valid base64 is left out."""
    files = {}
    for path, encoded in EMBEDDED_FILE.findall(report_html):
        where, _, name = path.rpartition("/")
        if where != folder:
            continue
        try:
            files[name] = base64.b64decode(encoded, validate=True)
        except binascii.Error:
            continue
    return files


def history_files(report_html: str) -> dict[str, bytes]:
    """The history files a single-file Allure 2 report embeds (name -> JSON bytes)."""
    return {name: data for name, data in embedded_files(report_html, "history").items() if name.endswith(".json")}


def carry_history(previous_report: Path | None, results_dir: Path) -> list[str]:
    """Copy the previous report's history into this run's results; the names of the files copied."""
    if previous_report is None or not previous_report.is_file():
        return []
    files = history_files(previous_report.read_text(errors="replace"))
    if files:
        private_dir(results_dir / "history")
    for name, content in files.items():
        write_file(results_dir / "history" / name, content)
    return sorted(files)


def escape_property(text: str, key: bool = False) -> str:
    """A java.util.Properties value (or key): backslash, newlines and a leading blank escaped, and
    every non-ASCII character as \\uXXXX, which Properties.load reads the same from a byte stream
    (ISO 8859-1) or a reader (Java SE 17 API, java.util.Properties#load)."""
    out = []
    for index, char in enumerate(text):
        if char == "\\":
            out.append("\\\\")
        elif char in "\n\r\t\f":
            out.append({"\n": "\\n", "\r": "\\r", "\t": "\\t", "\f": "\\f"}[char])
        elif (key and char in "=: #!") or (index == 0 and char in " #!"):
            out.append("\\" + char)
        elif ord(char) > 0x7E:
            out.extend(f"\\u{unit:04x}" for unit in _utf16_units(char))
        else:
            out.append(char)
    return "".join(out)


def _utf16_units(char: str) -> list[int]:
    data = char.encode("utf-16-be")
    return [int.from_bytes(data[i:i + 2], "big") for i in range(0, len(data), 2)]


def environment_properties(entries: dict[str, str]) -> bytes:
    lines = [f"{escape_property(key, key=True)}={escape_property(value)}" for key, value in entries.items()]
    return ("\n".join(lines) + "\n").encode("ascii")


def listed(entries: list[dict], name=lambda entry: f"{entry['check_id']} {entry['target']}") -> str:
    """`CHECK target, ...` (or each entry's `name`) for the overview, at most MAX_LISTED of them."""
    names = [name(e) for e in entries]
    if not names:
        return "none"
    more = len(names) - MAX_LISTED
    return ", ".join(names[:MAX_LISTED]) + (f" and {more} more (summary.json)" if more > 0 else "")


def change_entries(summary: dict) -> dict[str, str]:
    """What changed since the previous run, what it trusted on first use and what it left out as not
    applicable, as the overview's environment entries."""
    change = summary["changes"]
    since = summary.get("changes_since")
    return {
        "Changes since": since or "no earlier run in this reports directory",
        "New failures": listed(change["new_failures"]),
        "Fixed": listed(change["fixed"]),
        "Newly broken": listed(change["new_broken"]),
        "Still failing": str(change["still_failing"]),
        "Stale waivers": listed(summary.get("stale_waivers", [])),
        "Waivers expiring within 14 days": listed(summary.get("expiring_waivers", [])),
        "Trusted on first use (system VM keys pinned in this run, not verified)": listed(
            summary.get("first_use_pins") or [], lambda pin: f"{pin['target']} {pin['fingerprint']}"),
        # never results, so Allure counts them nowhere else (stackaudit/applicability.py)
        "Not applicable (out of scope, not collected)": listed(
            summary.get("not_applicable") or [],
            lambda n: f"{n['check_id']} {n['target'] or '(the cloud has no target of its kinds)'}"),
    }


def kind_of_run(profile: str | None) -> str:
    return "pre-upgrade gate" if profile == "pre_upgrade" else f"{profile or 'full'} compliance run"


def executor(summary: dict, build_order: int, previous_run: str | None) -> dict:
    """executor.json: the run as Allure's Executors widget shows it, linked to the previous run's
    report (a relative link: run directories sit side by side under reports/runs/)."""
    record = {"name": f"StackAudit {kind_of_run(summary.get('profile'))}", "type": "stackaudit",
              "buildOrder": build_order, "reportName": f"StackAudit: {summary['cloud']}, run {summary['run']}",
              "buildName": f"run {build_order}: {summary['run']}"}
    if previous_run:    # the widget links buildName to buildUrl
        record["buildName"] += f", previous run {previous_run}"
        record["buildUrl"] = f"../{previous_run}/{REPORT_FILE}"
    return record


def write_results_context(results_dir: Path, environment: dict[str, str], executor_record: dict,
                          categories: list[dict]) -> None:
    private_dir(results_dir)
    write_file(results_dir / "environment.properties", environment_properties(environment))
    write_file(results_dir / "executor.json", json.dumps(executor_record, indent=1) + "\n")
    write_file(results_dir / "categories.json", json.dumps(categories, indent=1) + "\n")


class ReportFailed(Exception):
    """Allure could not write the report (missing tool, Java error); the message says what to do."""


def verdict_executor(headline: str) -> dict:
    """An executor.json of its own that puts the verdict page on the overview: the Executors widget
    links an executor's buildName to its buildUrl, and only there does Allure 2 link a relative
    address (environment values link only absolute http(s) URLs). It has no buildOrder, so the trend
    keeps the run's own executor's."""
    return {"name": "Verdict page", "type": "stackaudit", "buildName": f"Verdict: {headline} (summary.html)",
            "buildUrl": VERDICT_PAGE}


def generate(allure: Path | None, results_dir: Path, report: Path, timeout: float = 900,
             verdict_headline: str | None = None) -> Path:
    """Run `allure generate --single-file` and put its index.html at `report`; with `verdict_headline`,
    the overview's Executors widget lists the verdict page first (verdict_executor), from a results
    directory holding only its executor.json."""
    if allure is None:
        raise ReportFailed("Allure's command-line tool is not installed: run `make setup` (npm ci), "
                           "or set STACKAUDIT_ALLURE to an allure 2 command")
    size = results_bytes(results_dir)
    heap = heap_mib(size)     # Java's heap capped, sized from the results (report/allure_heap.py)
    environment = java_options({**os.environ, **ALLURE_ENVIRONMENT}, heap)
    with tempfile.TemporaryDirectory(prefix=".allure-", dir=report.parent) as out:
        verdict_dir = Path(out) / "verdict"
        if verdict_headline:
            verdict_dir.mkdir()
            write_file(verdict_dir / "executor.json", json.dumps(verdict_executor(verdict_headline), indent=1) + "\n")
        command = [str(allure), "generate", "--single-file", "--clean", "-o", str(Path(out) / "report"),
                   *([str(verdict_dir)] if verdict_headline else []), str(results_dir)]
        try:
            done = subprocess.run(command, env=environment,
                                  capture_output=True, text=True, timeout=timeout)
        except (OSError, subprocess.TimeoutExpired) as err:
            raise ReportFailed(f"{allure}: {err}") from None
        index = Path(out) / "report" / "index.html"
        if done.returncode != 0 or not index.is_file():
            if out_of_heap(done.stderr + done.stdout):
                raise ReportFailed(out_of_heap_reason(environment, size))
            last = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
            raise ReportFailed(f"allure generate exited {done.returncode}: {last[0]}")
        os.replace(index, report)
    return report
