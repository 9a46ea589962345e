"""The lab machines' time service: stand-ins for timedatectl, chronyc and ntpq that print what the
real tools print (tests/data/recorded/SOURCES.md: chrony's manual for `chronyc tracking`, Telegraf's
recorded `ntpq -p` outputs, the CentOS 7 `timedatectl show` of Linuxfabrik's issue 605).

The lab runs no NTP daemon, and a real timedatectl in a namespace cannot reach systemd, so each
machine gets the three tools in its own /usr/bin view (a tool the scenario leaves out is hidden
there): what TIME-SYNC reads is exactly what the scenario's `clock` says.
"""
from __future__ import annotations

from lab.machine import WHITEOUT

CLOCK_VIEW = "/usr/bin"
HEADER = "#!/bin/sh\n# lab stand-in: prints what the real tool prints (lab/clock.py)\n"

# chrony's manual, "tracking", with the System time and Leap status the scenario asks for.
CHRONY_TRACKING = """\
Reference ID    : CB00710F (foo.example.net)
Stratum         : 3
Ref time (UTC)  : Fri Jan 27 09:49:17 2017
System time     : {system_time} of NTP time
Last offset     : -0.000006747 seconds
RMS offset      : 0.000035822 seconds
Frequency       : 3.225 ppm slow
Residual freq   : -0.000 ppm
Skew            : 0.129 ppm
Root delay      : 0.013639022 seconds
Root dispersion : 0.001100737 seconds
Update interval : 64.2 seconds
Leap status     : {leap}
"""
NTPQ_HEADER = ("     remote           refid      st t when poll reach   delay   offset  jitter\n"
               "==============================================================================\n")
# Telegraf's issue_2386 input (its system peer, offset as the scenario asks) and pool_when_minus
# input (no system peer).
NTPQ_PEERS = {
    "system-peer": "*SHM(0)          .PPS.                          1 u   60  64   377    0.000 {offset:>8}   1.012\n"
                   "-SHM(1)          .GPS.                          1 u   121 128  377    0.000   10.105   2.012\n",
    "no-system-peer": " 0.eu.pool.ntp.o .POOL.          16 p    -   64    0    0.000   +0.000   0.000\n"
                      " 195.201.19.162  187.182.182.166  3 u    -   64    1   12.692   +1.283   0.000\n",
}


def printing(text: str, exit_code: int = 0, to_stderr: bool = False) -> str:
    quoted = text.replace("'", "'\\''")
    return HEADER + f"printf '%s' '{quoted}'" + (" >&2" if to_stderr else "") + f"\nexit {exit_code}\n"


def timedatectl(state: str) -> str | None:
    if state == "absent":
        return WHITEOUT
    if state == "no-show":     # systemd before 239 (CentOS 7, XenServer 7 dom0)
        return printing("Unknown operation show\n", 1, to_stderr=True)
    return printing(state + "\n")


def chronyc(state: str, system_time: str) -> str | None:
    if state == "absent":
        return WHITEOUT
    if state == "stopped":
        return printing("506 Cannot talk to daemon\n", 1)
    leap = "Normal" if state == "normal" else "Not synchronised"
    return printing(CHRONY_TRACKING.format(system_time=system_time, leap=leap))


def ntpq(state: str, offset_ms: str) -> str | None:
    if state == "absent":
        return WHITEOUT
    return printing(NTPQ_HEADER + NTPQ_PEERS[state].format(offset=offset_ms))


def clock_files(clock: dict) -> tuple[dict[str, str | None], dict[str, int]]:
    """(files, modes) of the three tools in the machine's /usr/bin view, for its scenario `clock`."""
    files = {f"{CLOCK_VIEW}/timedatectl": timedatectl(clock["timedatectl"]),
             f"{CLOCK_VIEW}/chronyc": chronyc(clock["chronyc"], clock["chrony_system_time"]),
             f"{CLOCK_VIEW}/ntpq": ntpq(clock["ntpq"], clock["ntpq_offset_ms"])}
    return files, {path: 0o755 for path, content in files.items() if content is not WHITEOUT}
