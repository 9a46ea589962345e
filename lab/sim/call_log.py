"""Every call a simulator receives, one JSON line each, so a test can prove what a client did.

Only the call's name, its status and where it arrived are written: never parameters (API keys,
signatures, passwords, session refs).
"""
from __future__ import annotations

import json
import threading
import time


class CallLog:
    def __init__(self, path: str | None):
        self._path = path
        self._lock = threading.Lock()

    def record(self, **call) -> None:
        if self._path is None:
            return
        line = json.dumps({"time": round(time.time(), 3), **call}, sort_keys=True) + "\n"
        with self._lock, open(self._path, "a") as log:
            log.write(line)
