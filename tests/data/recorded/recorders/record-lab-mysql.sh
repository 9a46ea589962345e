#!/bin/sh
# Records the lab's compliant /etc/mysql (lab/parts/database.py: Debian 12's files, 50-server.cnf's
# bind-address commented out, conf.d/cloudstack.cnf) as the suite collects it and as MariaDB's own
# reader takes it. Run as root on Debian 12 with mariadb-server installed, from the repository root:
#     sh tests/data/recorded/recorders/record-lab-mysql.sh OUTDIR
# The tree is seen at /etc/mysql through a bind mount in a private mount namespace; nothing is changed.
set -eu
out=$(realpath "$1")
work=$(mktemp -d /tmp/stackaudit-rec.XXXXXX)
.venv/bin/python -c "import sys; sys.path.insert(0, '.'); from stackaudit.parsers.mycnf import CNF_FILES_COMMAND as c; print(c)" \
    > "$work/cnf.sh"
.venv/bin/python - "$work/mysql" <<'PY'
import sys
from pathlib import Path
sys.path.insert(0, ".")
from lab.parts.database import DatabaseFacts, database_machine_files
files, _ = database_machine_files(DatabaseFacts("db1", "198.18.0.100", 1))
for path, text in files.items():
    if path.startswith("/etc/mysql/"):
        target = Path(sys.argv[1]) / path.removeprefix("/etc/mysql/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
PY
groups="mysqld server mysqld-10.11 mariadb mariadb-10.11 mariadbd mariadbd-10.11 client-server galera"
unshare --mount --propagation private sh -c '
    mount --bind "$1" /etc/mysql
    dash "$2" > "$3/mysql-cnf-files-lab.txt"
    my_print_defaults --defaults-file=/etc/mysql/my.cnf $4 > "$3/mariadb-print-defaults-lab.txt"' \
    sh "$work/mysql" "$work/cnf.sh" "$out" "$groups"
rm -rf "$work"
