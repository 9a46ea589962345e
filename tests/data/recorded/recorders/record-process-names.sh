#!/bin/sh
# Re-records the outputs of the process commands of stackaudit/collect/declarations.py
# (LIBVIRTD_PROCESS, PROGRAM_PROCESSES, SERVER_PIDS). Run as root on Debian 12, from the repository root:
#     sh tests/data/recorded/recorders/record-process-names.sh OUTDIR
# Processes run in a private PID namespace: stand-ins named java and libvirtd (shell scripts, as in
# the lab), one java with the management server's marker as nobody, one without it as root, and
# a `sh -c` whose command line names cloudstack-management (an operator's journalctl, say).
set -eu
out=$(realpath "$1")
work=$(mktemp -d /tmp/stackaudit-rec.XXXXXX) && chmod 755 "$work"
py() { .venv/bin/python -c "import sys; sys.path.insert(0, '.'); from $1 import $2 as c; print(c.line)"; }
py stackaudit.collect.declarations LIBVIRTD_PROCESS > "$work/libvirtd.sh"
py stackaudit.collect.declarations PROGRAM_PROCESSES > "$work/programs.sh"
py stackaudit.collect.declarations SERVER_PIDS > "$work/pids.sh"
for name in java libvirtd; do
  printf '#!/bin/sh\nwhile :; do sleep 3600; done\n' > "$work/$name"
  chmod 755 "$work/$name"
done
unshare --pid --fork --mount-proc sh -c '
w=$1; out=$2
setpriv --reuid=nobody --regid=nogroup --clear-groups "$w/java" -Djavax.net.ssl.keyStorePassword=not-recorded \
  -cp /usr/share/cloudstack-management/lib/x.jar org.apache.cloudstack.ServerDaemon &
"$w/java" -jar other.jar &
sh -c "sleep 60; : cloudstack-management" &
"$w/libvirtd" --listen &
sleep 1
sh "$w/libvirtd.sh" > "$out/ps-libvirtd-debian12.txt"
sh "$w/programs.sh" > "$out/ps-programs-debian12.txt"
sh "$w/pids.sh" > "$out/pgrep-server-debian12.txt"
kill $(jobs -p) 2>/dev/null || true' sh "$work" "$out"
rm -rf "$work"
