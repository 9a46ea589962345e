"""Every fact a check can read, registered in one table: its name, the target kinds it is read on,
how it is read (collect/readings.py: a shell command, an SQL statement, an XAPI class, a CloudStack
API call), what counts as "absent" rather than "broken", and how what was collected becomes the
typed value a check sees.

The facts are declared one module per family under collect/declared/ (as pytest-testinfra keeps one
module per kind of fact, its command and parsing together: testinfra/modules/), each a list
`FACTS`; DECLARED joins them in the order of FAMILIES. The collector runs, per target, only the
readings of the facts the selected checks declare (`readings_of`); `Facts` (facts.py) resolves
`target.facts.<name>` to the declaration here. Shell commands are built from argv lists quoted with
shlex.quote; the few that are small shell programs are written out once, whole, in their family.
"""
from __future__ import annotations

from stackaudit.collect.declared import (api, backups, cgroups, clock, database, db_accounts, files, firewall,
                                         kvm_user, mgmt_host, names, network_devices, packages, processes,
                                         storage_network, unit_states, xapi)
from stackaudit.collect.readings import CHANNELS, ApiCall, Command, Fact, Query, Reading, Records, shell

__all__ = ["ApiCall", "CHANNELS", "Command", "DECLARED", "FACTS", "FAMILIES", "Fact", "Query", "Reading", "Records",
           "SECRET_READERS", "all_facts_of", "closure", "command_reading", "readings_of", "shell"]

FAMILIES = (firewall, files, names, processes, unit_states, packages, database, db_accounts, backups, xapi, api, clock,
            cgroups, network_devices, storage_network, kvm_user, mgmt_host)
DECLARED: list[Fact] = [fact for family in FAMILIES for fact in family.FACTS]
FACTS: dict[str, Fact] = {fact.name: fact for fact in DECLARED}
# (channel, SSH section or SQL query) -> how the secret values of what it reads are found
# (collect/target_secrets.py)
SECRET_READERS = {(CHANNELS[type(reading)], reading.name): reading.secrets for fact in DECLARED for reading in fact.reads
                  if isinstance(reading, (Command, Query)) and reading.secrets is not None}


def closure(names) -> set[str]:
    """These facts and every fact their parsing reads."""
    found, pending = set(), list(names)
    while pending:
        name = pending.pop()
        if name not in found:
            found.add(name)
            pending += FACTS[name].uses
    return found


def readings_of(names, kind: str) -> list[Reading]:
    """The readings of these facts (and the facts they use) on a target of `kind`, in declaration order."""
    wanted = {name for name in closure(names) if kind in FACTS[name].kinds}
    readings: dict[tuple[str, str], Reading] = {}
    for fact in DECLARED:
        if fact.name in wanted:
            for reading in fact.reads:
                readings.setdefault((CHANNELS[type(reading)], reading.name), reading)
    return list(readings.values())


def all_facts_of(kind: str) -> set[str]:
    return {fact.name for fact in DECLARED if kind in fact.kinds}


def command_reading(name: str) -> Command:
    """The declaration of SSH section `name` (how its absence is told from a failure)."""
    for fact in DECLARED:
        for reading in fact.reads:
            if isinstance(reading, Command) and reading.name == name:
                return reading
    raise KeyError(name)
