"""The commands that read what is already there: `summary`, `explain`, `pdf`."""
from __future__ import annotations

import json
from pathlib import Path

from stackaudit.cli.output import say
from stackaudit.cli.run_command import verdict_checks
from stackaudit.config.files import shown
from stackaudit.report.outcomes import EXIT_CONFIG, EXIT_NOT_RECORDED, EXIT_OK
from stackaudit.report.pdf import PdfFailed, PdfUnavailable, print_pdf
from stackaudit.report.summary import load_results, summary_lines
from stackaudit.report.verdict_data import PAGE_FILE, write_verdict_page
from stackaudit.report.visible import visible


def summary(args, rest: list[str]) -> int:
    """`stackaudit summary [RESULTS_DIR]`: the per-check table of an Allure results directory."""
    if rest:
        say(f"summary: unrecognized arguments {shown(' '.join(rest))}; summary takes one results directory")
        return EXIT_CONFIG
    results = load_results(Path(args.results))
    if not results:
        say(f"no StackAudit results in {args.results}")
        return EXIT_CONFIG
    print("\n".join(summary_lines(results)))
    return EXIT_OK


def pdf(args, rest: list[str]) -> int:
    """`stackaudit pdf RUN_DIR`: one line naming summary.pdf, or why it was not written."""
    run_dir = args.run_dir
    if rest:
        say(f"pdf: unrecognized arguments {shown(' '.join(rest))}; pdf takes one run directory")
        return EXIT_CONFIG
    try:
        if (run_dir / "summary.json").is_file() and not (run_dir / PAGE_FILE).is_file():
            write_verdict_page(run_dir, verdict_checks())     # a run recorded before the page existed
        written = print_pdf(run_dir)
    except (PdfUnavailable, ValueError) as err:     # no Chromium, no run there, a summary.json not ours
        say(str(err))
        return EXIT_CONFIG
    except (PdfFailed, OSError) as err:
        say(f"pdf: {err}")
        return EXIT_NOT_RECORDED
    print(f"Verdict page printed: {visible(str(written.resolve()))}")
    return EXIT_OK


def explain(args, rest: list[str]) -> int:
    """`stackaudit explain [CHECK-ID]`: the text (or JSON) stackaudit/explain.py makes of the check."""
    # here, not at the top: explain imports the plugin and every fact declaration, which a run that stops
    # at a bad input file (exit 4) never needs
    from stackaudit.explain import UnknownCheck, as_json as explanation_json, explain as explanation_of, \
        listing as explain_listing, text as explanation_text
    if rest:
        say(f"explain: unrecognized arguments {shown(' '.join(rest))}; explain takes a check ID and --format")
        return EXIT_CONFIG
    if args.check_id is None:
        print(explain_listing())
        return EXIT_OK
    try:
        explanation = explanation_of(args.check_id)
    except UnknownCheck as err:
        say(str(err))
        return EXIT_CONFIG
    if args.format == "json":
        print(json.dumps(explanation_json(explanation), indent=2))
    else:
        print(visible(explanation_text(explanation), multiline=True), end="")
    return EXIT_OK
