"""The CloudStack user's sessions on the database servers (DB-VIP-SINGLE-HOLDER; the VIP itself:
lab/parts/db_vip.py). A session is a real one: the `cloud` account (a random
password, made here, in no scenario) logged in over TCP from a management server's namespace to a
server's address, held open by a small process (lab/sim/db_session.py) until `down` ends it.
"""
from __future__ import annotations

import json
import secrets
import time
from pathlib import Path

from lab.parts.db import admin_connection
from lab.sim.process import start_simulator, wait_ready
from lab.state import record_process
from lab.topology import Topology

CLOUD_USER = "cloud"
READY_SECONDS = 30.0


def open_sessions(topo: Topology, machine_pids: dict[str, int], state_dir: Path, state) -> int:
    """Sessions of `cloud` from the management servers each database's `cloud_sessions` names;
    returns how many. The process holding them is recorded in `state`, so `down` ends it."""
    wanted = [(db, ms) for db in topo.databases for name in db.facts["cloud_sessions"]
              for ms in topo.management if ms.name == name]
    if not wanted:
        return 0
    password = secrets.token_urlsafe(24)
    for db in {db.name: db for db, _ in wanted}.values():
        conn = admin_connection(machine_pids[db.name])
        try:
            with conn.cursor() as cur:
                cur.execute("SET SESSION sql_log_bin = 0")
                cur.execute("CREATE OR REPLACE USER %s@'%%' IDENTIFIED BY %s", (CLOUD_USER, password))
                cur.execute("GRANT ALL ON `cloud`.* TO %s@'%%'", (CLOUD_USER,))
        finally:
            conn.close()
    sim_dir = state_dir / "sim"
    sim_dir.mkdir(exist_ok=True)
    config = sim_dir / "db_session.json"
    ready = sim_dir / "db_session.ready"
    ready.unlink(missing_ok=True)
    config.touch(mode=0o600)
    config.write_text(json.dumps({"user": CLOUD_USER, "password": password, "ready_file": str(ready),
                                  "sessions": [{"netns": f"/run/netns/{ms.netns}", "host": db.address}
                                               for db, ms in wanted]}))
    proc = start_simulator("db_session", config, sim_dir / "db_session.log")
    state.processes.append(record_process("sim/db_session", proc.pid))
    state.save(state_dir)
    if not wait_ready(proc, ready, time.monotonic() + READY_SECONDS):
        log = (sim_dir / "db_session.log").read_text(errors="replace").strip().splitlines()
        raise RuntimeError(f"the cloud sessions did not open: {(log or ['no output'])[-1]}")
    return len(wanted)
