"""`stackaudit pdf RUN_DIR`: the verdict page printed to RUN_DIR/summary.pdf by headless Chromium.

Chromium's own printing (`--headless --print-to-pdf`, "Chrome Headless mode", developer.chrome.com,
2023, https://developer.chrome.com/docs/chromium/headless) lays the page out with its print
stylesheet: A4, each section on a page of its own (report/verdict_page.html). `--no-pdf-header-footer`
leaves out the date and file path Chromium would print on each page. The browser gets a profile of its
own, made and removed here, and no background networking, updates or sync: the page needs no network,
and it makes no connection. Running as root, Chromium refuses to start with its sandbox on.
"""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

from stackaudit.config.safe_files import write_file
from stackaudit.report.verdict_data import PAGE_FILE

PDF_FILE = "summary.pdf"
FLAGS = ("--headless", "--disable-gpu", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--disable-extensions", "--no-pdf-header-footer")


class PdfUnavailable(Exception):
    """No Chromium, or no run there: one line with the fix."""


class PdfFailed(Exception):
    """Chromium ran and wrote no PDF."""


def find_chromium() -> str | None:
    return shutil.which("chromium")


def chromium_command(chromium: str, page: Path, pdf: Path, profile: str, as_root: bool) -> list[str]:
    return [chromium, *FLAGS, *(("--no-sandbox",) if as_root else ()), f"--user-data-dir={profile}",
            f"--print-to-pdf={pdf}", page.resolve().as_uri()]


def print_pdf(run_dir: Path, timeout: float = 180) -> Path:
    """Write run_dir/summary.pdf from run_dir/summary.html."""
    if not (run_dir / "summary.json").is_file():
        raise PdfUnavailable(f"{run_dir}: not a run directory (no summary.json); give reports/runs/<UTC timestamp> "
                             "or reports/latest")
    chromium = find_chromium()
    if chromium is None:
        raise PdfUnavailable(f"chromium is not on PATH, so {run_dir / PDF_FILE} was not written; install it "
                             "(Debian: apt-get install chromium) or open "
                             f"{run_dir / PAGE_FILE} in a browser and print it")
    page = run_dir / PAGE_FILE
    if not page.is_file():
        raise PdfFailed(f"{page} is missing")
    with tempfile.TemporaryDirectory(prefix="stackaudit-chromium-") as profile:
        draft = Path(profile) / PDF_FILE
        command = chromium_command(chromium, page, draft, profile, os.geteuid() == 0)
        run_chromium(command, timeout)
        if not draft.is_file() or draft.stat().st_size == 0:
            raise PdfFailed(f"chromium wrote no PDF of {page}")
        write_file(run_dir / PDF_FILE, draft.read_bytes())
    return run_dir / PDF_FILE


def run_chromium(command: list[str], timeout: float) -> str:
    """Run Chromium and return what it printed; its whole process group ends with it (it starts helper
    processes of its own, which could outlive it)."""
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                               start_new_session=True)
    try:
        return process.communicate(timeout=timeout)[0]
    except subprocess.TimeoutExpired:
        raise PdfFailed(f"chromium did not finish within {timeout:.0f} s") from None
    finally:
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        process.wait()
