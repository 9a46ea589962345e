"""`stackaudit access [--api|--database|--ssh] [--format text|json]`: what the suite's API key, database
user and SSH user need (stackaudit/access_needs.py), as commands to run; docs/accounts.md says the same."""
from __future__ import annotations

import json

from stackaudit.cli.output import say
from stackaudit.config.files import shown
from stackaudit.report.outcomes import EXIT_CONFIG, EXIT_OK

PARTS = ("api", "database", "ssh")


def access(args, rest: list[str]) -> int:
    # here, not at the top: access_needs imports every fact declaration, which other commands never need
    from stackaudit.access_document import as_json, text
    if rest:
        say(f"access: unrecognized arguments {shown(' '.join(rest))}; access takes --api, --database, --ssh "
            "and --format")
        return EXIT_CONFIG
    part = next((name for name in PARTS if getattr(args, name)), None)
    if args.format == "json":
        document = as_json()
        print(json.dumps(document if part is None else {part: document[part]}, indent=2))
    else:
        print(text(part), end="")
    return EXIT_OK
