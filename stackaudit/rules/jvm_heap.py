"""MS-JVM-HEAP: the management server's JVM may grow its heap to at least the policy's size."""
from __future__ import annotations

from stackaudit.errors import CollectionFailed
from stackaudit.parsers.jvm import JvmHeap
from stackaudit.parsers.procs import MANAGEMENT_PROGRAMS

MIB = 1 << 20


def heap_findings(heap: JvmHeap, min_heap_mb: int, unit: str = "cloudstack-management") -> list[str]:
    """Findings for the heap limit of the unit's main process; a unit that is not running cannot be judged."""
    if heap.main_pid is None:
        raise CollectionFailed(f"{unit} has no running main process (MainPID=0): its heap cannot be read")
    if heap.process not in MANAGEMENT_PROGRAMS:
        raise CollectionFailed(f"the main process of {unit} (PID {heap.main_pid}) is {heap.process!r}, not a JVM: "
                               "its heap options cannot be told apart from its other arguments")
    limit = heap.limit
    if limit is None:
        return [f"no explicit heap limit (-Xmx) on the command line of {unit} (PID {heap.main_pid}): "
                f"the JVM default applies; set -Xmx{min_heap_mb}m or more"]
    if limit.bytes < min_heap_mb * MIB:
        return [f"{unit} (PID {heap.main_pid}) runs with {limit.text} ({limit.bytes / MIB:g} MiB), "
                f"below the policy's {min_heap_mb} MiB"]
    return []
