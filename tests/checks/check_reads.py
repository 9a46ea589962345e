"""Which checks a broken channel breaks, from the catalog and the fact declarations, so that the fault
and unreachable-host tests name every check that reads what a fault takes away, new checks included.

A check is listed for a target kind and a channel ("ssh", "sql", "xapi", "api") when a fact it declares
(`@check(reads=..., members=...)`) is read over that channel: on the target itself, or on the members of
another kind it declares (a KVM host's check reading the cloud's settings)."""
from __future__ import annotations

from stackaudit.catalog import catalog
from stackaudit.collect.declarations import CHANNELS, readings_of
from stackaudit.explain import check_functions

# Declared, but not read where the lab's system VMs run: SVM-VERSION-CURRENT reads the release file
# only for system VMs whose version the API does not give (rules/scope.py `reads_release_file`).
NOT_READ_IN_LAB = {("ssvm", "SVM-VERSION-CURRENT"), ("cpvm", "SVM-VERSION-CURRENT"),
                   ("router", "SVM-VERSION-CURRENT")}


def checks_reading(kind: str, channel: str, on: str | None = None) -> tuple[str, ...]:
    """The IDs of the checks run on targets of `kind` that read over `channel`: on the target itself,
    or (with `on`) on the targets of kind `on` they declare as members."""
    records, found = catalog(), []
    for check_id, function in check_functions().items():
        if kind not in records[check_id].targets or (kind, check_id) in NOT_READ_IN_LAB:
            continue
        own, members = function.stackaudit_reads
        names, read_on = (own, kind) if on is None else (members.get(on, ()), on)
        if any(CHANNELS[type(reading)] == channel for reading in readings_of(names, read_on)):
            found.append(check_id)
    return tuple(sorted(found))
