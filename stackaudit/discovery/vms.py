"""Stopped user VMs as targets (CLOUD-VMS-RESTARTED): one per `listVirtualMachines listall=true
state=Stopped` row, named by its uuid, since tenants name their VMs and two may share a name. A row
the suite cannot read is a note, not a target."""
from __future__ import annotations

from stackaudit.targets import Target

STOPPED_VMS = ("listVirtualMachines", {"listall": "true", "state": "Stopped"})


def stopped_vm_targets(rows: list[dict], notes: list[str]) -> list[Target]:
    targets = []
    for number, row in enumerate(rows, 1):
        if not isinstance(row, dict) or not isinstance(row.get("id"), str) or not row["id"]:
            notes.append(f"CloudStack API: listVirtualMachines state=Stopped: row {number} has no id; not a target")
            continue
        if row.get("state") != "Stopped":
            continue    # a VM started while the listing was paged
        text = {k: row[k] if isinstance(row.get(k), str) else None
                for k in ("name", "instancename", "account", "domain")}
        targets.append(Target("vm", row["id"], row.get("zonename") if isinstance(row.get("zonename"), str) else None,
                              attrs={"id": row["id"], "haenable": row.get("haenable") is True, **text}))
    return targets
