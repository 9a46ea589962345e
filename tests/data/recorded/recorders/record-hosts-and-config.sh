#!/bin/sh
# Re-records the outputs read by tests/unit/test_parsers_hosts.py and test_parsers_config.py.
# Run as root on Debian 12 with mariadb-server and a JDK installed, from the repository root:
#     sh tests/data/recorded/recorders/record-hosts-and-config.sh OUTDIR
# It only reads the system: processes are started in a private PID namespace, and edited copies
# of /etc/mysql are seen through a bind mount in a private mount namespace (no network namespace).
# It needs the network only for `apt-get download libvirt-daemon-system` (libvirt is not installed).
set -eu
out=$(realpath "$1")
here=$(dirname "$(realpath "$0")")
py() { .venv/bin/python -c "import sys; sys.path.insert(0, '.'); from $1 import $2 as c; print(c)"; }
work=$(mktemp -d /tmp/stackaudit-rec.XXXXXX)
py stackaudit.parsers.procs STALE_LIBRARY_COMMAND > "$work/stale.sh"
py stackaudit.parsers.mycnf CNF_FILES_COMMAND > "$work/cnf.sh"
groups="mysqld server mysqld-10.11 mariadb mariadb-10.11 mariadbd mariadbd-10.11 client-server galera"

# libvirtd.conf and /etc/default/libvirtd as Debian ships them, and with CloudStack's settings
(cd "$work" && apt-get download libvirt-daemon-system >/dev/null 2>&1 && dpkg-deb -x libvirt-daemon-system_*.deb pkg)
cp "$work/pkg/etc/libvirt/libvirtd.conf" "$out/libvirtd.conf-debian12.txt"
sed -e 's/^#listen_tls = 0$/listen_tls = 0/' -e 's/^#listen_tcp = 1$/listen_tcp = 1/' \
    -e 's/^#tcp_port = "16509"$/tcp_port = "16509"/' -e 's/^#auth_tcp = "sasl"$/auth_tcp = "none"/' \
    "$work/pkg/etc/libvirt/libvirtd.conf" > "$out/libvirtd.conf-cloudstack.txt"
cp "$work/pkg/etc/default/libvirtd" "$out/default-libvirtd-debian12.txt"
sed -e 's/^#LIBVIRTD_ARGS="--listen"$/LIBVIRTD_ARGS="--listen"/' \
    "$work/pkg/etc/default/libvirtd" > "$out/default-libvirtd-cloudstack.txt"

# STALE_LIBRARY_COMMAND: none, then two processes mapping copies of libcrypto/libssl replaced by rename
unshare --pid --fork --mount-proc sh "$here/record-stale-libraries.sh" "$work" "$out"

# PS_COMMAND, with processes of four users and a zombie
unshare --pid --fork --mount-proc sh -c '
python3 -c "import time; time.sleep(60)" "an argument with  two spaces" --flag=x &
setpriv --reuid=nobody --regid=nogroup --clear-groups sleep 60 &
setpriv --reuid=systemd-timesync --regid=systemd-timesync --clear-groups sleep 61 &
setpriv --reuid=mysql --regid=mysql --clear-groups sh -c "sleep 0 & exec sleep 62" &
sleep 1
ps -eo user:32,pid,args --no-headers > "$1/ps-debian12.txt"' sh "$out"

# LISTEN_COMMAND, filtered to the sockets of listeners.py (the machine's other listeners left out)
python3 "$here/listeners.py" 30 > "$work/ready" &
listeners=$!
while ! grep -q ready "$work/ready" 2>/dev/null; do sleep 0.1; done
ss -Hltn '( sport = :16509 or sport = :3306 or sport = :8250 or sport = :53 or sport = :9090 )' \
    > "$out/ss-listening-debian12.txt"
kill "$listeners"

# stat -c '%Y %s %n' (a name with spaces, a time before 1970, a missing file) and date +%s
d="$work/stat" && mkdir -p "$d/agent"
printf 'guid=x\n' > "$d/agent/agent.properties"
head -c 1835 /dev/zero > "$d/agent/cloud.jks"
: > "$d/agent/name with  spaces.log"
touch -d '2023-11-14 22:13:20 UTC' "$d/agent/agent.properties" "$d/agent/cloud.jks"
touch -d '@1700086400' "$d/agent/name with  spaces.log"
touch -d '1969-12-31 23:59:00 UTC' "$d/agent"
stat -c '%Y %s %n' "$d/agent" "$d/agent/agent.properties" "$d/agent/cloud.jks" \
    "$d/agent/name with  spaces.log" "$d/agent/missing.pem" \
    > "$out/stat-debian12.stdout" 2> "$out/stat-debian12.stderr" || true
date +%s > "$out/date-epoch-debian12.txt"

# CNF_FILES_COMMAND and my_print_defaults (the server's own reader): this machine's /etc/mysql,
# a copy with CloudStack's block, and a layout of corner cases
dash "$work/cnf.sh" > "$out/mysql-cnf-files-debian12.txt"
my_print_defaults --defaults-file=/etc/mysql/my.cnf $groups > "$out/mariadb-print-defaults-debian12.txt"
cp -a /etc/mysql "$work/mysql-cloudstack"
cp "$here/cloudstack.cnf" "$work/mysql-cloudstack/conf.d/cloudstack.cnf"
cp -a "$here/mysql-edge" "$work/mysql-edge"
for layout in cloudstack edge; do
    unshare --mount --propagation private sh -c '
        mount --bind "$1" /etc/mysql
        dash "$2" > "$3/mysql-cnf-files-$4.txt"
        my_print_defaults --defaults-file=/etc/mysql/my.cnf $5 > "$3/mariadb-print-defaults-$4.txt"' \
        sh "$work/mysql-$layout" "$work/cnf.sh" "$out" "$layout" "$groups"
done

# java.util.Properties: what store() writes (as the agent persists agent.properties), what load() reads
java "$here/StoreAgent.java" "$out/agent-properties-stored.properties"
java "$here/DumpProperties.java" "$out/agent-properties-stored.properties" > "$out/agent-properties-stored.java-load.json"
python3 "$here/write-properties-edge.py" "$out/properties-edge.properties"
java "$here/DumpProperties.java" "$out/properties-edge.properties" > "$out/properties-edge.java-load.json"
rm -rf "$work"
