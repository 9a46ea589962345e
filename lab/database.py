"""The lab's database servers: scenario facts -> lab.parts.database, plus sshd like every machine."""
from __future__ import annotations

import time

from lab import files
from lab.build import Keys, backup_files, common_files
from lab.machine import MachineSpec
from lab.parts.database import (DatabaseFacts, database_machine_files, database_ready, database_services,
                                database_views, setup_databases)
from lab.topology import Node, Topology


def database_facts(topo: Topology, node: Node) -> DatabaseFacts:
    f = node.facts
    position = topo.databases.index(node) + 1
    rows = f["version_rows"]
    if rows is None:
        rows = [{"version": "4.0.0", "step": "Complete"}, {"version": topo.scenario["cloudstack_version"],
                                                            "step": "Complete"}]
    return DatabaseFacts(
        name=node.name, address=node.address, server_id=f["server_id"] or position,
        auto_increment_increment=f["auto_increment_increment"],
        auto_increment_offset=f["auto_increment_offset"] or position, log_bin=f["log_bin"],
        binlog_format=f["binlog_format"], bind_address=f["bind_address"], cnf_overrides=f["cnf"],
        replicate=f["replicate"], version_rows=[(r["version"], r["step"]) for r in rows], runtime=f["runtime"],
        connection_name=f["connection_name"], source_host=f["source_host"], io_thread=f["io_thread"],
        host_names={name: db.address for db in topo.databases
                    for name in (db.name, *db.facts["aliases"], *db.facts["unlisted_names"])})


def database_spec(topo: Topology, node: Node, keys: Keys) -> MachineSpec:
    facts = database_facts(topo, node)
    content, modes = common_files(node, keys)
    db_files, opaque = database_machine_files(facts)
    backups, mtimes = backup_files(("cloud", "cloud_usage"), ".sql.gz", node.facts["backup_age_hours"])
    content.update({"/etc/os-release": files.os_release_debian("12"), **db_files, **backups})
    return MachineSpec(
        name=node.name, kind=node.kind, netns=node.netns, ssh_address=node.address, address6=node.address6,
        views=(*database_views(), "/var/backups"), files=content, modes=modes, opaque_dirs=opaque, mtimes=mtimes,
        services=database_services(facts),
        network_setup=[f"addr add {node.address}/15 dev eth0", f"addr add {node.address6}/64 dev eth0 nodad",
                       "link set eth0 up"])


def setup_lab_databases(topo: Topology, machine_pids: dict[str, int], secrets, timeout: float = 60.0) -> None:
    """Waits for both servers to accept connections, then sets up schema, users and replication."""
    pids = [machine_pids[n.name] for n in topo.databases]
    deadline = time.monotonic() + timeout
    while not all(database_ready(pid) for pid in pids):
        if time.monotonic() > deadline:
            waiting = [n.name for n, pid in zip(topo.databases, pids) if not database_ready(pid)]
            raise DatabaseStartError(f"database servers not accepting connections after {timeout:.0f}s: "
                                     f"{', '.join(waiting)} (see machines/NAME/console.log)")
        time.sleep(0.1)
    setup_databases([database_facts(topo, n) for n in topo.databases], secrets.db_audit_user,
                    secrets.db_audit_password, secrets.db_replication_password, pids)


class DatabaseStartError(Exception):
    pass
