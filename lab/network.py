"""The lab's root-namespace network: one bridge, a namespace per machine, the veths between them.

All of it is made in one `ip -batch` call: hundreds of namespaces cost one process, not hundreds.
"""
from __future__ import annotations

import subprocess
from pathlib import Path

from lab.parts.common import link_local_veth, veth_name
from lab.topology import BRIDGE, BRIDGE_V4, BRIDGE_V6, Node


class NetworkError(Exception):
    pass


def bridge_exists(name: str = BRIDGE) -> bool:
    return Path(f"/sys/class/net/{name}").exists()


def interfaces_holding_lab_range() -> list[str]:
    """Interfaces other than the lab bridge with an address in the lab's range (they would steal its routes)."""
    result = subprocess.run(["ip", "-o", "-4", "addr", "show", "to", str(BRIDGE_V4.network)],
                            capture_output=True, text=True, check=True)
    return sorted({line.split()[1] for line in result.stdout.splitlines()} - {BRIDGE})


def create_network(nodes: list[Node]) -> None:
    lines = [f"link add {BRIDGE} type bridge", f"addr add {BRIDGE_V4} dev {BRIDGE}",
             f"addr add {BRIDGE_V6} dev {BRIDGE} nodad", f"link set {BRIDGE} up"]
    lines += [f"netns add {n.netns}" for n in nodes]
    for n in nodes:
        if n.kind == "systemvm":
            # The system VM's only link is to its host's cloud0 bridge: reachable from the host alone.
            lines.append(f"link add name {link_local_veth(n)} netns {n.host.netns} type veth "
                         f"peer name eth0 netns {n.netns}")
        else:
            lines += [f"link add {veth_name(n)} type veth peer name eth0 netns {n.netns}",
                      f"link set {veth_name(n)} master {BRIDGE} up"]
    run_batch(lines)


# A Linux bridge has at most 1 << BR_PORT_BITS (10) ports (net/bridge/br_private.h, BR_MAX_PORTS)
MAX_BRIDGE_PORTS = 1024
BACKLOG = Path("/proc/sys/net/core/netdev_max_backlog")
# Packets a broadcast puts on the receiving CPU's backlog: one per bridge port it floods to, and
# the rest of the traffic beside it.
BACKLOG_PER_PORT = 4


def make_room_for_floods(ports: int) -> int | None:
    """Raise net.core.netdev_max_backlog so that a broadcast flooded to every port of the lab's bridge
    fits: the bridge hands each copy to a veth, whose peer queues it on the CPU's backlog, and a copy
    beyond netdev_max_backlog (default 1000) is dropped, so past about 1,000 machines ARP requests
    go unanswered (Linux kernel documentation, "Documentation for /proc/sys/net/", netdev_max_backlog,
    https://docs.kernel.org/admin-guide/sysctl/net.html). Returns the value it replaced, for `down` to
    restore, or None if it was high enough."""
    needed = BACKLOG_PER_PORT * ports
    current = int(BACKLOG.read_text())
    if current >= needed:
        return None
    BACKLOG.write_text(f"{needed}\n")
    return current


def restore_backlog(previous: int | None) -> None:
    if previous is not None:
        BACKLOG.write_text(f"{previous}\n")


def delete_network(namespaces: list[str], bridge: str) -> None:
    """Remove what create_network made; missing pieces are not errors (down is safe to repeat)."""
    existing = {p.name for p in Path("/run/netns").glob("*")} if Path("/run/netns").exists() else set()
    # The bridge's veth ends are deleted first, by name: a namespace is freed (and its veth pair
    # with it) asynchronously, so a lab brought up right after would find the old names taken.
    ports = sorted(p.name for p in Path(f"/sys/class/net/{bridge}/brif").glob("*")) if bridge else []
    lines = [f"link del {port}" for port in ports]
    lines += [f"netns del {ns}" for ns in namespaces if ns in existing]
    if bridge and bridge_exists(bridge):
        lines.append(f"link del {bridge}")
    if lines:
        run_batch(lines, force=True)


def run_batch(lines: list[str], force: bool = False) -> None:
    command = ["ip"] + (["-force"] if force else []) + ["-batch", "-"]
    result = subprocess.run(command, input="\n".join(lines) + "\n", text=True, capture_output=True)
    if result.returncode != 0 and not force:
        first = (result.stderr.strip().splitlines() or ["no message"])[0]
        raise NetworkError(f"ip -batch failed: {first}")
