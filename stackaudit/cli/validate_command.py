"""`stackaudit validate`: every mistake of the inventory, its policy and the waivers at once
(stackaudit/configuration.py, check_configuration); with --connect, each channel tried read-only
(docs/validate.md).

`run` stops at the first mistake, before anything connects; `validate` lists them all, each in the
line `run` would give, so one edit round fixes them.
"""
from __future__ import annotations

from pathlib import Path

from stackaudit.cli.output import say
from stackaudit.config.files import shown, shown_path
from stackaudit.configuration import check_configuration
from stackaudit.report.outcomes import EXIT_BROKEN, EXIT_CONFIG, EXIT_OK
from stackaudit.report.visible import visible


def validate(args, rest: list[str]) -> int:
    if rest:
        say(f"validate: unrecognized arguments {shown(' '.join(rest))}; validate takes --inventory, --waivers, "
            "--connect and --reports-dir")
        return EXIT_CONFIG
    checked = check_configuration(Path(args.inventory), Path(args.waivers) if args.waivers else None)
    files = ", ".join(shown_path(path) for path in checked.files)
    if checked.problems:
        for line in checked.problems:
            print(visible(line))
        count = len(checked.problems)
        print(visible(f"{count} problem{'s' if count > 1 else ''} in {files}"))
        return EXIT_CONFIG
    print(visible(f"configuration valid: {files}"))
    if not args.connect:
        return EXIT_OK
    # here, not at the top: the transports and discovery, only once the files are good
    from stackaudit.collect.probe import probe
    results = probe(checked.configuration, database_needs(checked.configuration.policy), Path(args.reports))
    for result in results:
        print(visible(result.line))
    failed = sum(result.problem is not None for result in results)
    print(visible(f"{len(results) - failed} channel{'s' if len(results) - failed != 1 else ''} ok, {failed} failed"))
    return EXIT_BROKEN if failed else EXIT_OK


def database_needs(policy):
    """What the checks need of the audit user on a server, for this policy: stackaudit/access_needs.py's
    list (generated from the fact declarations), as the probe compares it with SHOW GRANTS."""
    from stackaudit.access_needs import database_grants_needed
    from stackaudit.parsers.mysql_grants import GrantNeed

    def needs(server, user: str) -> tuple[GrantNeed, ...]:
        account = f"'{user}'@'%'"
        return tuple(GrantNeed(g.privilege, g.on, g.columns, g.statement(account).rstrip(";"))
                     for g in database_grants_needed(server, policy))
    return needs
