"""The database pair's VIP (DB-VIP-SINGLE-HOLDER): a real address added in the holder's namespace at
boot (`ip addr add VIP/32 dev eth0`, what keepalived does when its VRRP instance becomes MASTER);
keepalived itself is a unit state of the stand-in systemctl (lab/parts/units.py). The sessions of
CloudStack's user: lab/parts/db_sessions.py."""
from __future__ import annotations

from lab.topology import DB_VIP, Node, Topology


def holds_vip(topo: Topology, node: Node) -> bool:
    """Whether keepalived has put the VIP on this server (scenario `holds_vip`; null: the first)."""
    if len(topo.databases) != 2:
        return False
    held = node.facts["holds_vip"]
    return topo.databases.index(node) == 0 if held is None else held


def vip_setup(topo: Topology, node: Node) -> list[str]:
    """The `ip` command that puts the VIP on this server's namespace, where it holds it."""
    return [f"addr add {DB_VIP}/32 dev eth0"] if holds_vip(topo, node) else []
