"""KVM-BRIDGES: the bridge names a KVM host must have, and whether a link is administratively up.

The names come from two places: agent.properties (`private.network.device`, `public.network.device`,
`guest.network.device`) and the zone's traffic labels (listTrafficTypes `kvmnetworklabel`, Apache
CloudStack api/.../response/TrafficTypeResponse.java). Both are text a host or an API hands us, so a
name is used in a command or a path only when Linux itself would accept it as an interface name.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from stackaudit.errors import UnparsableOutput
from stackaudit.parsers.traffic_labels import TrafficLabel

AGENT_BRIDGE_KEYS = ("private.network.device", "public.network.device", "guest.network.device")
IFNAMSIZ = 16          # include/uapi/linux/if.h; a name holds at most IFNAMSIZ - 1 characters


def valid_interface_name(name: str) -> bool:
    """Whether Linux accepts `name` for a network device (net/core/dev.c, dev_valid_name): not empty,
    shorter than IFNAMSIZ, not "." or "..", and no '/', ':' or white space. Only such a name is put
    into /sys/class/net/<name>/ or a command line."""
    try:
        size = len(name.encode("utf-8"))
    except UnicodeEncodeError:          # a lone surrogate from JSON: no device is called that
        return False
    return (0 < size < IFNAMSIZ and name not in (".", "..")
            and not any(character in "/:" or character.isspace() or character == "\0" for character in name))


# Guest and public traffic may name a device that is no bridge: the agent then makes a bridge per
# VLAN on it (Apache CloudStack, BridgeVifDriver.getPifs and createVnetBr: "This addresses the
# unnecessary requirement of someone to create an unused bridge just for traffic label").
DEVICE_ALLOWED_KEYS = ("public.network.device", "guest.network.device")
DEVICE_ALLOWED_TRAFFIC = ("Guest", "Public")


@dataclass(frozen=True)
class NamedBridge:
    """A bridge the host must have, and where its name was read (for the evidence)."""
    name: str
    named_by: str            # "agent.properties private.network.device", "zone traffic label Guest", ...
    device_allowed: bool = False    # a Linux bridge's host may name a plain device instead


def agent_bridges(properties: dict[str, str]) -> list[NamedBridge]:
    """The bridges agent.properties names. A key that is absent or empty is not checked."""
    return [NamedBridge(properties[key].strip(), f"agent.properties {key}", key in DEVICE_ALLOWED_KEYS)
            for key in AGENT_BRIDGE_KEYS if properties.get(key, "").strip()]


def label_bridges(zone_labels: dict[str, tuple[TrafficLabel, ...]]) -> list[NamedBridge]:
    """The bridges the zone's KVM traffic labels name. An unset label means the agent's own default,
    which agent.properties names (or `cloudbr0` when that is unset too)."""
    return [NamedBridge(label.kvm, f"zone traffic label {traffictype} ({label.physical_network})",
                        traffictype in DEVICE_ALLOWED_TRAFFIC)
            for traffictype, labels in zone_labels.items() for label in labels if label.kvm]


# `ip -o link show dev NAME`: "2: br529: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 ... state UNKNOWN ..."
# A VLAN device prints as "bond0.3000@bond0"; the name is what precedes the '@'.
LINK_LINE = re.compile(r"(?P<index>[0-9]+): (?P<name>[^\s:@]+)(?:@[^\s:]+)?: <(?P<flags>[A-Z0-9_,-]*)> "
                       r"mtu (?P<mtu>[0-9]{1,10})(?: .*)?")


@dataclass(frozen=True)
class Link:
    """A device as `ip -o link show` lists it: its name, the flags between < and >, its MTU."""
    name: str
    flags: frozenset[str]
    mtu: int

    @property
    def administratively_up(self) -> bool:
        # IFF_UP in the <...> flags is what `ip link set NAME up` sets. The "state" word is the
        # operational state: a bridge without ports that is up prints "state UNKNOWN" or "DOWN".
        return "UP" in self.flags


def parse_link_flags(text: str, name: str) -> Link:
    """The one line `ip -o link show dev NAME` prints for device `name`."""
    links = parse_link_listing(text, f"ip -o link show dev {name}")
    if len(links) != 1:
        raise UnparsableOutput(f"ip -o link show dev {name}: expected one line, got {len(links)}")
    if name not in links:
        raise UnparsableOutput(f"ip -o link show dev {name}: the line is about {next(iter(links))!r}")
    return links[name]


def parse_link_listing(text: str, command: str = "ip -o link show") -> dict[str, Link]:
    """Every device `ip -o link show` lists, one a line, by name. Linux refuses white space in a
    name, so a line cannot hide another device's."""
    links = {}
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        match = LINK_LINE.fullmatch(line.strip())
        if match is None:
            raise UnparsableOutput(f"{command} line {number}: expected '<index>: <name>: <FLAGS> mtu <MTU> ...', "
                                   f"got {line.strip()[:80]!r}")
        links[match["name"]] = Link(match["name"], frozenset(f for f in match["flags"].split(",") if f),
                                    int(match["mtu"]))
    return links


SYS_BRIDGE = re.compile(r"/sys/class/net/(?P<name>[^/]+)/bridge")


def parse_sys_bridges(text: str) -> frozenset[str]:
    """The Linux bridges of `for d in /sys/class/net/*/bridge; do [ -d "$d" ] && echo "$d"; done`:
    the kernel makes a `bridge` directory for each bridge device (net/bridge/br_sysfs_br.c)."""
    names = set()
    for number, line in enumerate(text.splitlines(), 1):
        match = SYS_BRIDGE.fullmatch(line.strip()) if line.strip() else None
        if line.strip() and (match is None or not valid_interface_name(match["name"])):
            raise UnparsableOutput(f"bridge directories line {number}: expected /sys/class/net/<name>/bridge, "
                                   f"got {line.strip()[:80]!r}")
        if match:
            names.add(match["name"])
    return frozenset(names)


def parse_ovs_bridges(text: str) -> frozenset[str]:
    """`ovs-vsctl list-br`: every Open vSwitch bridge, real or fake (VLAN), one a line (the agent's
    OvsVifDriver lists them the same way)."""
    names = set()
    for number, line in enumerate(text.splitlines(), 1):
        if line.strip():
            if not valid_interface_name(line.strip()):
                raise UnparsableOutput(f"ovs-vsctl list-br line {number}: {line.strip()[:80]!r} is no bridge name")
            names.add(line.strip())
    return frozenset(names)
