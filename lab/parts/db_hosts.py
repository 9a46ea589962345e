"""CloudStack's host table and host details in the lab database (KVM-CS-USER): one row per KVM host,
with the `username` and `password` details its KVM discoverer saves (LibvirtServerDiscoverer). The
tables keep create-schema.sql's names and the columns read here (apache/cloudstack,
setup/db/create-schema.sql); `guid` is left out, since lab scenarios clone hosts with one agent guid,
which CloudStack's UNIQUE guid would refuse. Run by lab/parts/db.py's setup as root over the socket, with
sql_log_bin = 0 (each server gets the same rows).
"""
from __future__ import annotations

from lab.topology import Topology

HOST_TABLE = """\
CREATE TABLE IF NOT EXISTS `cloud`.`host` (
  `id` bigint unsigned NOT NULL UNIQUE AUTO_INCREMENT,
  `name` varchar(255) NOT NULL,
  `uuid` varchar(40),
  `type` varchar(32) NOT NULL,
  `hypervisor_type` varchar(32),
  `removed` datetime COMMENT 'date removed if not null',
  PRIMARY KEY (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8"""
HOST_DETAILS_TABLE = """\
CREATE TABLE IF NOT EXISTS `cloud`.`host_details` (
  `id` bigint unsigned NOT NULL auto_increment,
  `host_id` bigint unsigned NOT NULL COMMENT 'host id',
  `name` varchar(255) NOT NULL,
  `value` varchar(255) NOT NULL,
  PRIMARY KEY (`id`),
  CONSTRAINT `fk_host_details__host_id` FOREIGN KEY (`host_id`) REFERENCES `host`(`id`) ON DELETE CASCADE,
  CONSTRAINT UNIQUE KEY `uk_host_id_name` (`host_id`, `name`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8"""
# What addHost was given as the host's SSH password: stored beside the user, never read by the suite
# (the lab's read-only test looks for it in every output).
HOST_PASSWORD = "lab-addhost-password-{name}"


def host_rows(topo: Topology) -> list[dict]:
    """Each KVM host's row: its database id (agent.properties' LibvirtComputingResource.id), its API
    id as uuid, and the user the scenario says CloudStack added it with (null: no username row)."""
    return [{"id": topo.hosts.index(node) + 1, "uuid": node.id, "name": node.name, "username": node.facts["ssh_user"]}
            for node in topo.hosts if node.kind == "kvm-host"]


def prepare_hosts(cur, rows: list[dict]) -> None:
    cur.execute(HOST_TABLE)
    cur.execute(HOST_DETAILS_TABLE)
    cur.execute("DELETE FROM `cloud`.`host_details`")
    cur.execute("DELETE FROM `cloud`.`host`")
    for row in rows:
        cur.execute("INSERT INTO `cloud`.`host` (`id`, `name`, `uuid`, `type`, `hypervisor_type`) "
                    "VALUES (%s, %s, %s, 'Routing', 'KVM')", (row["id"], row["name"], row["uuid"]))
        if row["username"] is not None:
            cur.execute("INSERT INTO `cloud`.`host_details` (`host_id`, `name`, `value`) VALUES (%s, 'username', %s), "
                        "(%s, 'password', %s)", (row["id"], row["username"], row["id"],
                                                 HOST_PASSWORD.format(name=row["name"])))
