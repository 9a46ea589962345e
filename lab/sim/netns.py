"""Enter a network namespace for one thread: both simulators serve each lab machine's endpoint from
a thread of one process, inside that machine's namespace (setns(2) on /run/netns/NAME, as
`ip netns exec` does)."""
from __future__ import annotations

import ctypes
import os
from contextlib import contextmanager

CLONE_NEWNET = 0x40000000  # <sched.h>


@contextmanager
def network_namespace(path: str | None):
    """Run the body with the calling thread inside the network namespace at `path` (None: stay),
    then come back."""
    if not path:
        yield
        return
    libc = ctypes.CDLL(None, use_errno=True)

    def setns(fd: int) -> None:
        if libc.setns(fd, CLONE_NEWNET) != 0:
            err = ctypes.get_errno()
            raise OSError(err, f"setns {path}: {os.strerror(err)}")

    with open("/proc/self/ns/net") as home, open(path) as target:
        setns(target.fileno())
        try:
            yield
        finally:
            setns(home.fileno())
