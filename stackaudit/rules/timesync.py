"""TIME-SYNC: a time service keeps the clock synchronised, within the policy's offset.

The tools are asked in the order of the rule (timedatectl, then chronyc, then ntpq); any one that
reports a synchronised clock is enough, and every offset a tool reports (chrony's System time, the
system peer's offset in ntpq) must be within the policy. A tool that is installed but cannot answer
(systemd before 239 has no `timedatectl show`; a stopped daemon) gives way to the next; when none
can tell, the result is not checked (broken), never passed.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from stackaudit.errors import NotCheckable
from stackaudit.parsers.timesync import TIME_TOOLS, TimeService, ToolAnswer

NO_TIME_SERVICE = f"no time service: none of {', '.join(TIME_TOOLS)} is installed"


@dataclass(frozen=True)
class ToolVerdict:
    tool: str
    synchronised: bool | None       # None: installed, but it could not tell
    says: str                       # what it said, for the message
    offset_ms: Decimal | None = None   # positive: the clock is fast
    offset_from: str = ""


def failed_answer(answer: ToolAnswer) -> str:
    if answer.tool == "timedatectl" and answer.first_line.startswith(("Unknown operation", "Unknown command verb")):
        return f"timedatectl has no `show` (systemd older than 239): {answer.first_line}"
    return f"{answer.tool} failed (exit {answer.exit_code}): {answer.first_line}"


def verdicts(service: TimeService) -> list[ToolVerdict]:
    """What each installed tool says about the clock, in the rule's order."""
    found = []
    for tool in TIME_TOOLS:
        answer = service.answers[tool]
        if not answer.installed:
            continue
        if answer.exit_code != 0:
            found.append(ToolVerdict(tool, None, failed_answer(answer)))
        elif tool == "timedatectl":
            found.append(ToolVerdict(tool, service.ntp_synchronized,
                                     f"timedatectl: NTPSynchronized={'yes' if service.ntp_synchronized else 'no'}"))
        elif tool == "chronyc":
            chrony = service.chrony
            found.append(ToolVerdict(tool, chrony.synchronised, f"chronyc: Leap status {chrony.leap_status}",
                                     chrony.offset_seconds * 1000, "chronyc's System time"))
        else:
            selected = [peer for peer in service.ntp_peers if peer.selected]
            if selected:
                found.append(ToolVerdict(tool, True, f"ntpq: system peer {selected[0].remote}",
                                         selected[0].offset_ms, f"ntpq's system peer {selected[0].remote}"))
            else:
                found.append(ToolVerdict(tool, False, f"ntpq: no peer marked '*' among {len(service.ntp_peers)}"))
    return found


def time_sync_findings(service: TimeService, max_offset_ms: int) -> list[str]:
    """What violates TIME-SYNC on one machine; raises NotCheckable when no installed tool could tell."""
    said = verdicts(service)
    if not said:
        return [NO_TIME_SERVICE]
    findings = []
    if not any(v.synchronised for v in said):
        if not any(v.synchronised is False for v in said):
            raise NotCheckable("no time tool could tell whether the clock is synchronised: "
                               + "; ".join(v.says for v in said))
        findings.append("the clock is not synchronised: " + "; ".join(v.says for v in said))
    for verdict in said:
        if verdict.offset_ms is not None and abs(verdict.offset_ms) > max_offset_ms:
            direction = "fast" if verdict.offset_ms > 0 else "slow"
            findings.append(f"the clock is {abs(verdict.offset_ms):.3f} ms {direction} by {verdict.offset_from}, "
                            f"over the policy's time.max_offset_ms of {max_offset_ms}")
    return findings
