"""A KVM host's network devices: every link with its flags, its Linux bridges and its Open vSwitch
bridges (KVM-BRIDGES). Each is one fixed command: no command or path is built from a name the host
or the API gave, so a hostile name cannot reach a shell."""
from __future__ import annotations

from stackaudit.collect.readings import Command, Fact, shell
from stackaudit.parsers.bridges import parse_link_listing, parse_ovs_bridges, parse_sys_bridges

# The kernel gives each bridge device a `bridge` directory (net/bridge/br_sysfs_br.c), which the
# agent's BridgeVifDriver.getPifs looks for. `if` (not `&&`) so that a last entry that is no
# directory, or a glob that matched nothing, does not become the exit status.
SYS_BRIDGES = 'for d in /sys/class/net/*/bridge; do if [ -d "$d" ]; then echo "$d"; fi; done'
# The agent lists Open vSwitch bridges the same way (OvsVifDriver.getOvsPifs); --timeout: an
# ovsdb-server that does not answer ends the command instead of the host's batch.
OVS_BRIDGES = shell("ovs-vsctl", "--timeout=5", "list-br")

FACTS = [
    Fact("network_links", ("kvm-host",), (Command("ip_links", shell("ip", "-o", "link", "show")),),
         lambda facts: parse_link_listing(facts.section("ip_links"))),
    Fact("linux_bridges", ("kvm-host",), (Command("sys_bridges", SYS_BRIDGES),),
         lambda facts: parse_sys_bridges(facts.section("sys_bridges"))),
    # read only where agent.properties says network.bridge.type=openvswitch; elsewhere it may fail
    # (no ovs-vsctl) without consequence
    Fact("ovs_bridges", ("kvm-host",), (Command("ovs_bridges", OVS_BRIDGES),),
         lambda facts: parse_ovs_bridges(facts.section("ovs_bridges"))),
]
