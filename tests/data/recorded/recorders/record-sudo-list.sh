#!/bin/sh
# Re-records the `sudo -l -U cloudstack` outputs read by tests/unit/test_sudo_list.py.
# Run as root on Debian 12 with sudo installed, from the repository root:
#     sh tests/data/recorded/recorders/record-sudo-list.sh OUTDIR
# It only reads the system: each sudoers file, and a passwd and group that add the user cloudstack,
# are bind-mounted in a private mount namespace over /etc/sudoers, /etc/passwd and /etc/group.
# Each is recorded plainly (`sudo -n -l -U cloudstack`) and through the command the suite runs
# (stackaudit/collect/declared/kvm_user.py: plain, then under script(1)'s pty where root's own sudo
# says it must have a tty), as sudo-l-U-CASE-debian12.txt and sudo-l-U-CASE-suite-debian12.txt.
set -eu
out=$(realpath "$1")
work=$(mktemp -d /tmp/stackaudit-rec.XXXXXX)
.venv/bin/python -c "import sys; sys.path.insert(0, '.')
from types import SimpleNamespace as N
from stackaudit.collect.declared.kvm_user import sudo_list_line
print(sudo_list_line(N(kvm=N(ssh_user='cloudstack')), 'kvm-host'))" > "$work/suite.sh"
cp /etc/passwd "$work/passwd"; echo 'cloudstack:x:1600:1600::/var/lib/cloudstack:/bin/sh' >> "$work/passwd"
cp /etc/group "$work/group"; echo 'cloudstack:x:1600:' >> "$work/group"
cp /etc/shadow "$work/shadow"; echo 'cloudstack:!:20000:0:99999:7:::' >> "$work/shadow"
debian='Defaults	env_reset
Defaults	mail_badpass
Defaults	secure_path="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
Defaults	use_pty
root	ALL=(ALL:ALL) ALL
%sudo	ALL=(ALL:ALL) ALL
'
write() { printf '%s%s\n' "$debian" "$2" > "$work/$1"; chmod 0440 "$work/$1"; }
# the source's two lines (Debian's file, then theirs)
write compliant 'cloudstack ALL=(ALL) NOPASSWD:ALL
Defaults:cloudstack !requiretty'
# EL's requiretty, no NOPASSWD: root's own sudo needs a tty for the listing
write requiretty "Defaults    requiretty
cloudstack ALL=(ALL) ALL"
# through its group, with requiretty on for all and off for the user, and a long Defaults list
write group-negated 'Defaults    requiretty
Defaults:cloudstack !requiretty, env_keep += "http_proxy https_proxy no_proxy LANG LC_ALL", timestamp_timeout=0
%cloudstack ALL=(ALL:ALL) NOPASSWD: ALL'
# the user's !requiretty before the global requiretty: the global one is in force
write negated-first 'Defaults:cloudstack !requiretty
Defaults    requiretty
cloudstack ALL=(ALL) NOPASSWD: ALL'
# only the setup command, without a password
write one-command 'cloudstack ALL=(root) NOPASSWD: /usr/bin/cloudstack-setup-agent, /usr/bin/cloudstack-setup-agent *'
# no rule for the user at all
write not-allowed ''
# in_view CASE COMMAND: COMMAND's output with CASE's sudoers, and the user, in a private mount view
in_view() {
    unshare --mount --propagation private sh -c '
        mount --bind "$1/passwd" /etc/passwd; mount --bind "$1/group" /etc/group
        mount --bind "$1/shadow" /etc/shadow; mount --bind "$1/$2" /etc/sudoers
        sh -c "$3" </dev/null 2>&1 || true' rec "$work" "$1" "$2"
}
# What sudo then does: the user runs `sudo -n id -un` with no tty, as CloudStack's SSH session does.
for case in compliant requiretty group-negated negated-first one-command not-allowed; do
    in_view "$case" "sudo -n -l -U cloudstack" > "$out/sudo-l-U-$case-debian12.txt"
    in_view "$case" "sh $work/suite.sh" > "$out/sudo-l-U-$case-suite-debian12.txt"
    in_view "$case" "setpriv --reuid=1600 --regid=1600 --init-groups sudo -n id -un; echo exit \$?" \
        > "$out/sudo-as-cloudstack-no-tty-$case-debian12.txt"
done
# a user that does not exist
sudo -n -l -U nosuchuser </dev/null > "$out/sudo-l-U-unknown-user-debian12.txt" 2>&1 || true
rm -r "$work"
