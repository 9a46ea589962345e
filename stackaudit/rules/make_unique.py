"""XS-HOST-NO-MAKE-UNIQUE: nothing of the XenServer first-boot uniquifier
(remibergsma/uniqueXenServer, [BERGSMA-UNIQUE-XS]) is left to run at the next boot."""
from __future__ import annotations

import re

from stackaudit.parsers.boot_scripts import (MAKE_UNIQUE_INIT_SCRIPT, MAKE_UNIQUE_SCRIPT, RC_LOCAL_FIX,
                                             MakeUniqueLeftovers)

WHAT_IT_DOES = ("new host and dom0 UUIDs, xapi's state.db deleted, networking reset to DHCP")
# rc runs a link named S<NN><name> when it enters the runlevel (K<NN>: when it leaves, with `stop`).
START_LINK = re.compile(r"/etc/rc\.d/rc[0-6]\.d/S[0-9]*xenserver_make_unique")


def make_unique_findings(leftovers: MakeUniqueLeftovers) -> list[str]:
    """What would run the uniquifier at the next boot."""
    findings = []
    if MAKE_UNIQUE_INIT_SCRIPT in leftovers.paths.present:
        findings.append(f"{MAKE_UNIQUE_INIT_SCRIPT} is present: `chkconfig xenserver_make_unique on` or an rc "
                        f"link runs it at boot ({WHAT_IT_DOES})")
    links = [p for p in leftovers.paths.present if START_LINK.fullmatch(p)]
    if links:
        findings.append(f"rc start link(s) {', '.join(links)} run xenserver_make_unique at boot ({WHAT_IT_DOES})")
    for path, runs in leftovers.rc_local_runs.items():
        findings += [f"{path} line {run.line_number} runs {RC_LOCAL_FIX} at boot (it renames the host and "
                     f"reboots): {run.line!r}" for run in runs]
    return findings


def make_unique_notes(leftovers: MakeUniqueLeftovers) -> list[str]:
    """Leftovers that run nothing by themselves, for the evidence."""
    notes = []
    if MAKE_UNIQUE_SCRIPT in leftovers.paths.present:
        notes.append(f"{MAKE_UNIQUE_SCRIPT} is present; only the init script runs it, so it can be removed at leisure")
    if RC_LOCAL_FIX in leftovers.paths.present:
        notes.append(f"{RC_LOCAL_FIX} is present; it runs only from a line in rc.local")
    stops = [p for p in leftovers.paths.present if p.startswith("/etc/rc.d/") and not START_LINK.fullmatch(p)]
    if stops:
        notes.append(f"stop link(s) {', '.join(stops)} left by `chkconfig xenserver_make_unique off`; they run "
                     "the init script only with `stop`, which does nothing")
    return notes
