"""The clock: which time service keeps it synchronised, as timedatectl, chronyc and ntpq report it."""
from __future__ import annotations

from stackaudit.collect.readings import Command, Fact
from stackaudit.parsers.timesync import parse_time_service

# The machines whose clocks CloudStack's install guide wants synchronised by NTP ("Turn on NTP for
# time synchronization"): management and database servers, hypervisor hosts (XenServer dom0 too).
TIMEKEEPING_KINDS = ("kvm-host", "xs-host", "mgmt", "db")

# Asks each tool once, read-only: `command -v` tells a tool that is not installed from one that
# fails (systemd before 239 has no `timedatectl show`; chronyc says "506 Cannot talk to daemon"
# when chronyd is stopped). Each line a tool prints is framed behind its name and `|`
# (parsers/timesync.py). ntpq lives in /usr/sbin on the RHEL family, outside a user's PATH.
TIME_TOOLS_COMMAND = r"""PATH=$PATH:/usr/sbin:/sbin
ask() {
  tool=$1
  if ! command -v "$tool" >/dev/null 2>&1; then printf '%s absent\n' "$tool"; return; fi
  out=$("$@" 2>&1 </dev/null); rc=$?
  printf '%s exit %s\n' "$tool" "$rc"
  printf '%s\n' "$out" | sed "s/^/$tool|/"
}
ask timedatectl show -p NTPSynchronized --value
ask chronyc -n tracking
ask ntpq -pn"""

FACTS = [
    Fact("time_service", TIMEKEEPING_KINDS, (Command("time_tools", TIME_TOOLS_COMMAND),),
         lambda facts: parse_time_service(facts.section("time_tools"))),
]
