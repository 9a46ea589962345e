"""KVM-BRIDGES: every bridge agent.properties and the zone's traffic labels name exists on the host
and is administratively up.

How the agent itself looks (Apache CloudStack, plugins/hypervisors/kvm, https://github.com/apache/cloudstack):
with `network.bridge.type=openvswitch` in agent.properties a network name must be an Open vSwitch
bridge (LibvirtComputingResource.checkOvsNetwork: `ovs-vsctl br-exists`; OvsVifDriver lists them with
`ovs-vsctl list-br`); otherwise a Linux bridge, a device with a `bridge` directory in sysfs
(BridgeVifDriver.getPifs). Guest and public traffic may name a plain device instead, on which the
agent makes a bridge per VLAN (bridges.DEVICE_ALLOWED_*). A bridge that exists but is down passes
no traffic: its IFF_UP flag is read from `ip -o link show`.
"""
from __future__ import annotations

import shlex
from dataclasses import dataclass

from stackaudit.parsers.bridges import (Link, NamedBridge, agent_bridges, label_bridges,
                                        valid_interface_name)
from stackaudit.parsers.traffic_labels import TrafficLabel

OPENVSWITCH = "openvswitch"


def bridge_type(properties: dict[str, str]) -> str:
    """agent.properties `network.bridge.type`: `native` (Linux bridges) unless it says openvswitch."""
    value = properties.get("network.bridge.type", "").strip().lower()
    return OPENVSWITCH if value == OPENVSWITCH else "native"


def wanted_bridges(properties: dict[str, str], zone_labels: dict[str, tuple[TrafficLabel, ...]]) -> dict[str, list[NamedBridge]]:
    """Each bridge name the host must have, with everything that names it, in the order first named."""
    wanted: dict[str, list[NamedBridge]] = {}
    for bridge in agent_bridges(properties) + label_bridges(zone_labels):
        wanted.setdefault(bridge.name, []).append(bridge)
    return wanted


@dataclass(frozen=True)
class HostDevices:
    """What the host has: every link and its flags, its Linux bridges and, on an Open vSwitch host,
    its OVS bridges."""
    links: dict[str, Link]
    linux_bridges: frozenset[str]
    ovs_bridges: frozenset[str] | None = None      # None: a host whose agent uses Linux bridges


def bridge_findings(wanted: dict[str, list[NamedBridge]], devices: HostDevices) -> list[str]:
    findings = []
    for name, named in wanted.items():
        why = " and ".join(bridge.named_by for bridge in named)
        problem = bridge_problem(name, all(bridge.device_allowed for bridge in named), devices)
        if problem:
            findings.append(f"{name!r} ({why}) {problem}")
    return findings


def bridge_problem(name: str, device_allowed: bool, devices: HostDevices) -> str | None:
    if not valid_interface_name(name):
        return "is no Linux interface name (at most 15 bytes, no '/', ':' or white space): no device can have it"
    link = devices.links.get(name)
    if devices.ovs_bridges is not None:
        if name not in devices.ovs_bridges:
            return ("is no Open vSwitch bridge (`ovs-vsctl list-br` does not list it) and agent.properties "
                    "says network.bridge.type=openvswitch")
    elif name not in devices.linux_bridges:
        if link is None:
            return "does not exist on the host (no such device in `ip -o link show`)"
        if not device_allowed:
            return "is a device but no Linux bridge (no /sys/class/net/<name>/bridge)"
    if link is None:
        return "has no device in `ip -o link show`, so it cannot be up"
    if not link.administratively_up:
        return f"is down (flags <{','.join(sorted(link.flags))}> without UP): `ip link set {shlex.quote(name)} up`"
    return None
