"""The clock's time service, as three tools report it: `timedatectl show`, `chronyc tracking` and
`ntpq -p`, asked in one command (collect/declared/clock.py) whose output frames each tool's answer.

Offsets are read as the tools print them, with C's printf: `%.9f` seconds (chrony, client.c
print_report) and milliseconds with three decimals (ntpq), ASCII digits only. They are kept as
Decimal: a float of "0.000001234" is not 1.234 microseconds.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from stackaudit.errors import UnparsableOutput
from stackaudit.parsers.numbers import shown

TIME_TOOLS = ("timedatectl", "chronyc", "ntpq")
FIXED_POINT = re.compile(r"[+-]?[0-9]{1,12}\.[0-9]{1,12}")   # `\d` would also match "١"
ANSWER_HEAD = re.compile(r"(timedatectl|chronyc|ntpq) (absent|exit ([0-9]{1,3}))")


@dataclass(frozen=True)
class ToolAnswer:
    """One tool's answer: not installed (`installed` False), or its exit code and its output (stdout
    and stderr together, as the tool printed them)."""
    tool: str
    installed: bool
    exit_code: int | None = None
    text: str = ""

    @property
    def first_line(self) -> str:
        """Its first line, for a message: cut at 200 characters (a target's output is bounded where it is shown)."""
        lines = self.text.strip().splitlines()
        return (lines[0][:200] + " ..." if len(lines[0]) > 200 else lines[0]) if lines else "(no output)"


def parse_time_tools(text: str) -> dict[str, ToolAnswer]:
    """The framed answers of the three tools, in the order asked:

        timedatectl exit 0
        timedatectl|yes
        chronyc absent
        ntpq exit 1
        ntpq|ntpq: read: Connection refused

    Every line a tool printed begins with its own name and `|`, so no output forges another tool's.
    """
    answers: dict[str, ToolAnswer] = {}
    current: str | None = None
    lines: dict[str, list[str]] = {}
    given = text.split("\n")      # not splitlines(): a tool's "\u2028" must not end its line
    if given[-1] == "":
        given.pop()
    for number, line in enumerate(given, 1):
        if current is not None and line.startswith(current + "|"):
            lines[current].append(line[len(current) + 1:])
            continue
        head = ANSWER_HEAD.fullmatch(line)
        if head is None or head[1] in answers:
            raise UnparsableOutput(f"time tools line {number}: expected a tool's answer, got {shown(line)}")
        tool = head[1]
        answers[tool] = ToolAnswer(tool, head[2] != "absent", None if head[3] is None else int(head[3]))
        lines[tool] = []
        current = tool if answers[tool].installed else None
    if tuple(answers) != TIME_TOOLS:
        raise UnparsableOutput(f"time tools: expected answers of {', '.join(TIME_TOOLS)}, got "
                               f"{', '.join(answers) or 'none'}")
    return {tool: ToolAnswer(a.tool, a.installed, a.exit_code, "\n".join(lines[tool])) for tool, a in answers.items()}


def parse_ntp_synchronized(text: str) -> bool:
    """`timedatectl show -p NTPSynchronized --value` (systemd 239 and later): `yes` or `no`."""
    value = text.strip()
    if value not in ("yes", "no"):
        raise UnparsableOutput(f"timedatectl NTPSynchronized: expected yes or no, got {shown(value)}")
    return value == "yes"


# The leap status chronyc prints ([CHRONY-DOC], "tracking"): every value but the last is
# a synchronised clock; Insert and Delete second announce a leap second.
CHRONY_LEAP_STATUSES = ("Normal", "Insert second", "Delete second", "Not synchronised")
CHRONY_SYSTEM_TIME = re.compile(r"([0-9]{1,12}\.[0-9]{1,12}) seconds (slow|fast) of NTP time")


@dataclass(frozen=True)
class ChronyTracking:
    leap_status: str
    offset_seconds: Decimal       # the System time line: positive when the clock is fast

    @property
    def synchronised(self) -> bool:
        return self.leap_status != "Not synchronised"


def parse_chronyc_tracking(text: str) -> ChronyTracking:
    """`chronyc -n tracking`: `Name : value` lines, of which two are read.

        System time     : 0.000006523 seconds slow of NTP time
        Leap status     : Normal
    """
    fields = {}
    for line in text.splitlines():
        name, colon, value = line.partition(":")
        if colon:
            fields.setdefault(name.strip(), value.strip())
    leap, system_time = fields.get("Leap status"), fields.get("System time")
    if leap is None or system_time is None:
        missing = " and ".join(n for n, v in (("Leap status", leap), ("System time", system_time)) if v is None)
        raise UnparsableOutput(f"chronyc tracking: no {missing} line")
    if leap not in CHRONY_LEAP_STATUSES:
        raise UnparsableOutput(f"chronyc tracking: Leap status {shown(leap)}; expected one of "
                               f"{', '.join(CHRONY_LEAP_STATUSES)}")
    offset = CHRONY_SYSTEM_TIME.fullmatch(system_time)
    if offset is None:
        raise UnparsableOutput(f"chronyc tracking: System time {shown(system_time)}; expected "
                               "'<seconds> seconds slow|fast of NTP time'")
    seconds = Decimal(offset[1])
    return ChronyTracking(leap, seconds if offset[2] == "fast" else -seconds)


# ntpq's tally codes ([NTPQ-DOC], "peers"): `*` the system peer, `o` the system peer
# through PPS; the others (` x . - + #`) are peers not selected.
NTPQ_SYSTEM_PEER = "*o"
NTPQ_TALLY = " x.-+#*o"
NTPQ_NO_PEERS = "No association ID's returned"


@dataclass(frozen=True)
class NtpPeer:
    tally: str
    remote: str
    offset_ms: Decimal

    @property
    def selected(self) -> bool:
        return self.tally in NTPQ_SYSTEM_PEER


def parse_ntpq_peers(text: str) -> list[NtpPeer]:
    """`ntpq -pn`: a header, a rule of `=`, then one line a peer: its tally code in the first
    column, the offset (milliseconds) the next to last field.

             remote           refid      st t when poll reach   delay   offset  jitter
        ==============================================================================
        *SHM(0)          .PPS.          1 u   60  64   377    0.000    0.045   1.012
    """
    lines = [line for line in text.splitlines() if line.strip()]
    if len(lines) == 1 and lines[0].strip() == NTPQ_NO_PEERS:
        return []
    if len(lines) < 2 or lines[0].split()[-2:] != ["offset", "jitter"] or lines[0].split()[0] != "remote" \
            or set(lines[1]) != {"="}:
        raise UnparsableOutput(f"ntpq -p: expected its header 'remote ... offset jitter' and a rule of '=', got "
                               f"{shown(lines[0] if lines else '')}")
    peers = []
    for number, line in enumerate(lines[2:], 3):
        words = line[1:].split()
        if line[0] not in NTPQ_TALLY or len(words) < 10 or not FIXED_POINT.fullmatch(words[-2]):
            raise UnparsableOutput(f"ntpq -p line {number}: expected a tally code, ten fields and an offset, "
                                   f"got {shown(line)}")
        peers.append(NtpPeer(line[0], words[0], Decimal(words[-2])))
    return peers


@dataclass(frozen=True)
class TimeService:
    """What each tool said: its framed answer, and, where it answered (exit 0), the parsed value."""
    answers: dict[str, ToolAnswer]
    ntp_synchronized: bool | None = None      # timedatectl's NTPSynchronized
    chrony: ChronyTracking | None = None
    ntp_peers: list[NtpPeer] | None = None


def parse_time_service(text: str) -> TimeService:
    """The three answers (parse_time_tools), each tool's output parsed where the tool answered."""
    answers = parse_time_tools(text)

    def answered(tool: str, parse):
        answer = answers[tool]
        return parse(answer.text) if answer.installed and answer.exit_code == 0 else None

    return TimeService(answers, answered("timedatectl", parse_ntp_synchronized),
                       answered("chronyc", parse_chronyc_tracking), answered("ntpq", parse_ntpq_peers))
