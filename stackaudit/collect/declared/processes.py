"""What runs and listens: libvirtd's command line, the management programs' processes, processes
that still map a replaced TLS library, listening TCP sockets.

Only what the rules read is collected, never every command line (`ps -eo args` carried any
process's `mysql -pX` or `-Djavax.net.ssl.keyStorePassword=X` into the evidence). `ps -C` selects
by process name; it and pgrep exit 1 when nothing matches.
"""
from __future__ import annotations

from stackaudit.collect.readings import Command, Fact, shell
from stackaudit.parsers.jvm import COMM_PREFIX, parse_jvm_heap
from stackaudit.parsers.net import parse_ss_listening, parse_ss_listening_processes
from stackaudit.parsers.procs import (MANAGEMENT_PROGRAMS, USER_COLUMNS, ProgramProcesses, parse_pids, parse_ps,
                                      parse_ps_names, parse_stale_mappings)
from stackaudit.parsers.setting_edits import START_ONLY_FILES, parse_server_start
from stackaudit.targets import TLS_KINDS

# For each process, the libssl*/libcrypto* files that /proc/PID/maps shows as " (deleted)": the
# library was replaced on disk (dpkg renames the new file over the old one) but the process still
# runs the old code. The maps fields before the path are "addr perms offset dev inode" and
# padding. A process that exits mid-scan, or a maps file that cannot be read, is skipped.
STALE_LIBRARY_COMMAND = r"""for maps in /proc/[0-9]*/maps; do
  found=$(grep -E '/lib(ssl|crypto)[^/]* \(deleted\)$' "$maps" 2>/dev/null) || continue
  dir=${maps%/maps}
  comm=$(cat "$dir/comm" 2>/dev/null) || continue
  printf '%s\n' "$found" | sed -E 's/^([^ ]+ +){5}//; s/ \(deleted\)$//' | sort -u |
  while IFS= read -r path; do printf '%s\t%s\t%s\n' "${dir#/proc/}" "$comm" "$path"; done
done"""
# KVM-LIBVIRTD-LISTEN: libvirtd's own command line.
LIBVIRTD_PROCESS = Command("libvirtd_process", shell("ps", "-C", "libvirtd", "-o", f"user:{USER_COLUMNS},pid,args",
                                                     "--no-headers"), ok_exit_codes=(0, 1))
# MS-RUNS-AS-CLOUD: user, pid and name of the management programs' processes, and the PIDs whose
# command line holds one of the server's markers (pgrep -f prints PIDs only, never the command
# lines: they carry -D...Password=).
MANAGEMENT_PROCESS_MARKERS = ("org.apache.cloudstack.ServerDaemon", "cloudstack-management",
                              "com.cloud.utils.server")
# The markers as one POSIX extended regular expression, for `pgrep -f` on the server.
MANAGEMENT_MARKERS_ERE = "|".join(m.replace(".", r"\.") for m in MANAGEMENT_PROCESS_MARKERS)
PROGRAM_PROCESSES = Command("program_processes", shell("ps", "-C", ",".join(MANAGEMENT_PROGRAMS), "-o",
                                                       f"user:{USER_COLUMNS},pid,comm", "--no-headers"),
                            ok_exit_codes=(0, 1))
SERVER_PIDS = Command("server_pids", shell("pgrep", "-f", MANAGEMENT_MARKERS_ERE), ok_exit_codes=(0, 1))

# MS-JVM-HEAP: the heap options of the JVM systemd runs as cloudstack-management, never its whole
# command line (it can carry -D...Password=), and its process name: the heap options are arguments
# of their own only when the main process is the JVM, as the packaged unit's `ExecStart=/usr/bin/java
# $JAVA_OPTS ...` runs it (an `sh -c` wrapper would hold them inside one argument). `systemctl show
# -p MainPID` prints "MainPID=0" for a unit without a running main process; --value is left out
# (systemd 230 added it; CentOS 7 has 219).
# A command line that cannot be read ends the program with the failure's status (broken).
HEAP_COMMAND = r"""main=$(systemctl show -p MainPID cloudstack-management) || exit
printf '%s\n' "$main"
pid=${main#MainPID=}
case $pid in ''|0|*[!0-9]*) exit 0;; esac
comm=$(cat "/proc/$pid/comm") || exit
args=$(tr '\0' '\n' < "/proc/$pid/cmdline") || exit
printf '""" + COMM_PREFIX + r"""%s\n' "$comm"
printf '%s\n' "$args" | grep -E '^-(Xmx|XX:MaxHeapSize=)' || true"""

# MS-CONFIG-ACTIVE: when cloudstack-management's main process started (the target's clock less the
# process's age, so no time zone is involved: `ps -o etimes=`, procps-ng 3.3 and later) and when each
# file the server reads only at start was last modified (`stat -c %Y`, or absent). A process or file
# that cannot be read ends the program with the failure's status (broken).
START_COMMAND = r"""main=$(systemctl show -p MainPID cloudstack-management) || exit
printf '%s\n' "$main"
pid=${main#MainPID=}
case $pid in ''|0|*[!0-9]*) exit 0;; esac
now=$(date +%s) || exit
elapsed=$(ps -o etimes= -p "$pid") || exit
printf 'now %s\netimes %s\n' "$now" "$elapsed"
for file in """ + " ".join(START_ONLY_FILES) + r"""; do
  if [ -e "$file" ]; then
    mtime=$(stat -c %Y -- "$file") || exit
    printf 'mtime %s %s\n' "$mtime" "$file"
  else
    printf 'absent %s\n' "$file"
  fi
done"""


def program_processes(facts) -> ProgramProcesses:
    """The management programs' processes and the PIDs marked as the server's (rules/management.py
    tells which of them is the server)."""
    return ProgramProcesses(parse_ps_names(facts.section("program_processes")),
                            parse_pids(facts.section("server_pids")))


FACTS = [
    Fact("libvirtd_process", ("kvm-host",), (LIBVIRTD_PROCESS,),
         lambda facts: parse_ps(facts.section("libvirtd_process"))),
    Fact("management_processes", ("mgmt",), (PROGRAM_PROCESSES, SERVER_PIDS), program_processes),
    Fact("management_heap", ("mgmt",), (Command("management_heap", HEAP_COMMAND),),
         lambda facts: parse_jvm_heap(facts.section("management_heap"))),
    Fact("management_start", ("mgmt",), (Command("management_start", START_COMMAND),),
         lambda facts: parse_server_start(facts.section("management_start"))),
    Fact("stale_mappings", TLS_KINDS, (Command("stale_libraries", STALE_LIBRARY_COMMAND),),
         lambda facts: parse_stale_mappings(facts.section("stale_libraries"))),
    # -l listening, -t TCP, -n numeric addresses and ports. No -H: iproute2 added it in 4.13 and
    # CentOS 7 ships 4.11 ("ss: invalid option -- 'H'"); the header line is skipped instead.
    Fact("listeners", ("db", "kvm-host", "mgmt"), (Command("listening", shell("ss", "-ltn")),),
         lambda facts: parse_ss_listening(facts.section("listening"))),
    # MS-TLS-LIBSSL-PATCHED: the same, with the processes holding each socket (-p; root sees them all)
    Fact("listening_processes", ("tls-frontend",), (Command("listening_processes", shell("ss", "-ltnp")),),
         lambda facts: parse_ss_listening_processes(facts.section("listening_processes"))),
]
