"""The backups the policy names: the files matching its globs on each target, and the target's clock."""
from __future__ import annotations

import shlex

from stackaudit.collect.readings import Command, Fact, shell
from stackaudit.parsers.files import parse_epoch, parse_stat_lines

STAT_FORMAT = "%Y %s %n"    # modification time (epoch seconds), size in bytes, name as given
EPOCH_COMMAND = shell("date", "+%s")


def backup_listing_command(globs: tuple[str, ...]) -> str:
    """`stat` of every file matching the policy's globs (validated: absolute, no shell syntax, and
    left unquoted: the shell expands them)."""
    # -L: a "latest" symlink is judged by the dump it points to, not by when the link was made
    return " ".join(["for f in", *globs, '; do [ -e "$f" ] && stat -L -c', shlex.quote(STAT_FORMAT),
                     '"$f"; done; true'])


def backup_listing(policy, kind: str) -> str | None:
    globs = policy.backups.locations.get(kind, ()) if policy is not None else ()
    return backup_listing_command(globs) if globs else None


def backup_clock(policy, kind: str) -> str | None:
    return EPOCH_COMMAND if backup_listing(policy, kind) else None


def backup_files(facts):
    """(files matching the policy's globs, the target's clock), or None if the policy names none."""
    if facts.reading("ssh", "backups") is None:
        return None
    return parse_stat_lines(facts.section("backups")), parse_epoch(facts.section("clock"))


FACTS = [
    Fact("backup_files", ("db", "mgmt", "kvm-host"),
         (Command("backups", backup_listing), Command("clock", backup_clock)), backup_files),
]
