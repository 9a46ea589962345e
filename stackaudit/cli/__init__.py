"""The `stackaudit` command, one module per command (parser.py has them all, with their help).

pytest stays the interface: `run` only adds defaults and passes every other argument through
(run_command.py); the other commands read a run directory, the catalog or the checks' declarations.
"""
from __future__ import annotations

import os

from stackaudit.cli import (access_command, known_hosts_command, merge_command, run_command, small_commands,
                            validate_command)
from stackaudit.cli.parser import build_parser
from stackaudit.config.safe_files import use_private_umask

COMMANDS = {"run": run_command.run, "merge": merge_command.merge, "summary": small_commands.summary,
            "explain": small_commands.explain, "pdf": small_commands.pdf, "access": access_command.access,
            "known-hosts": known_hosts_command.known_hosts, "validate": validate_command.validate}


def main(argv: list[str] | None = None) -> int:
    before = use_private_umask()     # before anything is written: the evidence is for its owner only
    try:
        args, rest = build_parser().parse_known_args(argv)
        return COMMANDS[args.command](args, rest)
    finally:
        os.umask(before)    # called in-process (tests, a wrapper), the caller's own umask comes back
