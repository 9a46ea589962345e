"""The pre-upgrade gate: N+1 capacity per cluster, fresh backups ([CSC-WIKI] in docs/sources.md)."""
from __future__ import annotations

import fnmatch

from stackaudit.errors import UnparsableOutput
from stackaudit.parsers.api_rows import HostRow
from stackaudit.parsers.numbers import read_api_number


def present(row: HostRow, name: str):
    value = getattr(row, name)
    if value is None:
        raise KeyError(name)
    return value


def first_present(row: HostRow, *names: str, default=None):
    return next((getattr(row, n) for n in names if getattr(row, n) is not None), default)


def host_capacity(row: HostRow) -> tuple[float, float, float, float]:
    """(cpu MHz with overprovisioning, cpu MHz allocated, memory bytes with overprovisioning, memory allocated)."""
    where = f"listHosts {row.name}: capacity"
    try:
        cpu_total = read_api_number(present(row, "cpuwithoverprovisioning"), where)
        cpu_used = read_api_number(first_present(row, "cpuallocatedvalue", default=0), where)
        memory_total = read_api_number(row.memorywithoverprovisioning or present(row, "memorytotal"), where)
        memory_used = read_api_number(first_present(row, "memoryallocatedbytes", "memoryallocated", default=0), where)
    except KeyError as err:
        raise UnparsableOutput(f"listHosts {row.name}: capacity field missing or not a number ({err})") from None
    return cpu_total, cpu_used, memory_total, memory_used


def capacity_findings(hosts: list[HostRow]) -> list[str]:
    """GATE-CAPACITY-N1: the other Up and Enabled hosts can take the largest host's allocation."""
    if len(hosts) < 2:
        return [f"the cluster has {len(hosts)} host(s): none can be put into maintenance without downtime"]
    capacity = {h.name: host_capacity(h) for h in hosts}
    usable = {h.name for h in hosts if h.state == "Up" and h.resourcestate == "Enabled"}
    findings = []
    for label, total_at, used_at, unit, scale in (("CPU", 0, 1, "MHz", 1), ("memory", 2, 3, "MiB", 1024 ** 2)):
        largest = max(capacity, key=lambda n: (capacity[n][used_at], n))
        need = capacity[largest][used_at]
        free = sum(max(0.0, capacity[n][total_at] - capacity[n][used_at]) for n in usable - {largest})
        if free < need:
            findings.append(f"{label}: {largest} has {need / scale:.0f} {unit} allocated; the other Up and Enabled "
                            f"hosts have {free / scale:.0f} {unit} free")
    return findings


def backup_findings(files, clock: int, globs: tuple[str, ...], max_age_hours: int) -> list[str]:
    findings = []
    for pattern in globs:
        matching = [f for f in files if fnmatch.fnmatchcase(f.path, pattern)]
        if not matching:
            findings.append(f"no file matches {pattern}")
            continue
        newest = max(matching, key=lambda f: f.mtime)
        age = (clock - newest.mtime) / 3600
        if age > max_age_hours:
            findings.append(f"the newest {pattern} is {newest.path}, {age:.0f} h old; the policy wants one newer "
                            f"than {max_age_hours} h")
        elif newest.size == 0:
            findings.append(f"the newest {pattern} is {newest.path}, and it is empty")
    return findings


# A target clock further off than this from the auditor's is reported with the backups' ages: the
# ages are judged on the target's own clock (its files carry its times), so the skew explains them.
CLOCK_SKEW_TOLERANCE_SECONDS = 300


def clock_skew_note(target_clock: int, auditor_clock: float) -> str | None:
    """One line when the target's clock is off by more than the tolerance, else None."""
    skew = target_clock - auditor_clock
    if abs(skew) <= CLOCK_SKEW_TOLERANCE_SECONDS:
        return None
    hours = abs(skew) / 3600
    amount = f"{hours:.1f} h" if hours >= 1 else f"{abs(skew) / 60:.0f} min"
    return (f"the target's clock is {amount} {'ahead of' if skew > 0 else 'behind'} the auditor's; "
            "backup ages are judged on the target's clock")
