"""report.html as a person sees it: Debian's Chromium, headless, opens the file from disk, runs its
scripts, and gives back the page (DOM after scripts) or a screenshot.

Flags: no sandbox (tests run as root), and no background networking, component updates or sync,
so the browser makes no connection of its own (this machine's network is closed, and the lab rule
allows none).
"""
from __future__ import annotations

import html
import json
import re
import shutil
import tempfile
from pathlib import Path

from stackaudit.report.allure_report import embedded_files
from stackaudit.report.pdf import run_chromium as run_in_group

FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--window-size=1400,1000", "--virtual-time-budget=20000")


def chromium() -> str | None:
    return shutil.which("chromium")


def run_chromium(url: str, output: list[str], timeout: float = 120) -> str:
    """Run Chromium on `url` and return what it printed; its whole process group ends with it."""
    with tempfile.TemporaryDirectory(prefix="stackaudit-chromium-") as profile:
        return run_in_group([chromium(), *FLAGS, f"--user-data-dir={profile}", *output, url], timeout)


def dom(report: Path, fragment: str = "") -> str:
    """The page's DOM once its scripts ran; `fragment` picks a page of the report (#testresult/<uid>)."""
    return run_chromium(report.resolve().as_uri() + fragment, ["--dump-dom"])


def dom_showing(report: Path, marker: str, tries: int = 3) -> str:
    """The page's DOM once it shows `marker`: Allure draws its widgets from data it loads after the
    page, and headless Chromium's virtual time can run out before a busy machine has drawn them."""
    page = ""
    for _ in range(tries):
        page = dom(report)
        if marker in page:
            break
    return page


def screenshot(report: Path, path: Path, fragment: str = "") -> Path:
    run_chromium(report.resolve().as_uri() + fragment, [f"--screenshot={path}"])
    return path


def visible_text(page: str) -> str:
    """The page's text as one line: scripts and styles out, tags out, entities read, spaces folded."""
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S | re.I)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page))).strip()


def embedded_json(report_html: str, folder: str) -> dict[str, object]:
    """The JSON files a single-file Allure report embeds under `folder` (e.g. data/test-cases)."""
    return {name: json.loads(data) for name, data in embedded_files(report_html, folder).items()
            if name.endswith(".json")}


def trend_labels(page: str) -> list[str]:
    """The x-axis labels of the overview's trend chart (one per run: #1, #2, ...)."""
    start = page.find('class="history-trend"')
    if start < 0:
        return []
    return re.findall(r"<text[^>]*>(#\d+)</text>", page[start:start + 20000])


def allure_categories(status: str, message: str | None, trace: str | None, categories: list[dict]) -> list[str]:
    """The categories Allure 2 puts a result in: every one whose statuses hold its status and whose
    regexes match its whole message and trace (Pattern.compile(regex, DOTALL).matcher(text).matches();
    a category without a regex for one of them takes any: CategoriesPlugin.matches, allure-framework/allure2)."""
    def matches(regex, text):
        return regex is None or (text is not None and re.fullmatch(regex, text, re.S) is not None)
    return [c["name"] for c in categories if status in c["matchedStatuses"]
            and matches(c.get("messageRegex"), message) and matches(c.get("traceRegex"), trace)]
