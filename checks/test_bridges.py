"""KVM hosts' network bridges: those agent.properties and the zone's traffic labels name exist and
are up ([CS-CODE], [CS-DOCS-KVM] in docs/sources.md)."""
from stackaudit import groups
from stackaudit.catalog import check
from stackaudit.errors import NotCheckable
from stackaudit.rules import bridges as rules


@check("KVM-BRIDGES", reads=("agent_properties", "network_links", "linux_bridges", "ovs_bridges"),
       members={"cloud": ("traffic_labels",)})
def test_kvm_bridges(kvm_host):
    """Every bridge agent.properties (`private`, `public`, `guest.network.device`) and the zone's KVM
    traffic labels name exists on the host, as a Linux bridge or, with
    `network.bridge.type=openvswitch`, an Open vSwitch bridge, and is administratively up."""
    facts = kvm_host.facts
    properties = facts.agent_properties
    if properties is None:     # a KVM host CloudStack lists runs an agent: without its file, not checked
        raise NotCheckable(f"{kvm_host.id}: /etc/cloudstack/agent/agent.properties does not exist")
    wanted = rules.wanted_bridges(properties, groups.zone_traffic_labels(facts))
    ovs = rules.bridge_type(properties) == rules.OPENVSWITCH
    devices = rules.HostDevices(facts.network_links, facts.linux_bridges, facts.ovs_bridges if ovs else None)
    facts.attach("bridges named, and by what", {name: [b.named_by for b in named] for name, named in wanted.items()},
                 as_json=True)
    findings = rules.bridge_findings(wanted, devices)
    assert not findings, "; ".join(findings)
