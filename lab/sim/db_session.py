"""Holds sessions of CloudStack's database user open, each from a management server's namespace
(setns, as `ip netns exec` does), as a management server's connection pool holds them; writes its
ready file once every session is open, then waits to be ended (lab/parts/db_sessions.py).

    python -m lab.sim.db_session CONFIG.json
"""
from __future__ import annotations

import json
import signal
import sys
from pathlib import Path

import pymysql

from lab.sim.netns import network_namespace


def main(config_path: str) -> None:
    config = json.loads(Path(config_path).read_text())
    connections = []
    for session in config["sessions"]:
        # The socket stays in the namespace it was made in after the thread comes back.
        with network_namespace(session["netns"]):
            connections.append(pymysql.connect(host=session["host"], port=3306, user=config["user"],
                                               password=config["password"], database="cloud", connect_timeout=10))
    Path(config["ready_file"]).write_text(json.dumps(len(connections)))
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    while True:
        signal.pause()


if __name__ == "__main__":
    main(sys.argv[1])
