"""System VMs (secondary storage, console proxy, virtual routers): reached through their host, and
the zones they serve ([NALLEY-SSVM], [CS-HEARTBLEED] in docs/sources.md)."""
from stackaudit import groups
from stackaudit.catalog import check
from stackaudit.rules import ssvm_mtu
from stackaudit.rules import system_vms as rules
from stackaudit.rules.routers import network_of, not_judged_reason, pair_note, router_findings
from stackaudit.rules.management import cloud_version


@check("SVM-LIBSSL-PATCHED", reads=("debian_release", "packages"))
def test_libssl_patched(system_vm, policy):
    """openssl and the release's libssl package are at or above the policy's fixed version for the
    VM's Debian release, compared by Debian version rules."""
    findings = rules.libssl_findings(system_vm.facts.debian_release, system_vm.facts.packages, policy.system_vms)
    assert not findings, "; ".join(findings)


@check("SVM-LIBSSL-NO-STALE", reads=("stale_mappings",))
def test_no_stale_libssl(system_vm):
    """No running process still maps a deleted or replaced libssl or libcrypto (an upgrade takes effect
    only once the processes using the library restart)."""
    findings = rules.stale_mapping_findings(system_vm.facts.stale_mappings)
    assert not findings, "; ".join(findings)


@check("SVM-VERSION-CURRENT", reads=("cloudstack_release",))
def test_system_vm_version_current(system_vm):
    """After an upgrade every system VM runs the new code: no router requires an upgrade, and each
    secondary storage and console proxy VM's agent version equals the management servers'."""
    facts = system_vm.facts
    servers = facts.api_rows("listManagementServers")
    attrs = system_vm.target.attrs
    version = cloud_version(servers)
    release = facts.cloudstack_release if rules.reads_release_file(system_vm.target.kind, version) else None
    findings = rules.version_findings(system_vm.target.kind, attrs.version, attrs.requiresupgrade,
                                      release, version, {s.version for s in servers})
    assert not findings, "; ".join(findings)


@check("SVM-PER-ZONE")
def test_system_vms_per_zone(zone):
    """Every enabled zone has at least one Running secondary storage VM and one Running console proxy VM."""
    findings = rules.per_zone_findings(zone.facts.api_rows("listSystemVms", zoneid=zone.target.attrs.id))
    assert not findings, "; ".join(findings)


@check("SVM-SSVM-OFFERING", members={"cloud": ("configurations", "ssvm_offerings")})
def test_ssvm_offering(system_vm, policy):
    """A set `secstorage.service.offering` names a system offering for secondary storage VMs and the
    SSVM runs on it; the SSVM's offering meets the policy's CPU and memory floors."""
    facts = system_vm.facts
    (row,) = facts.api_rows("listSystemVms", id=system_vm.target.attrs.id)
    setting = groups.cloud_setting(facts, rules.SSVM_OFFERING_SETTING)
    findings = rules.ssvm_offering_findings(setting, groups.cloud_fact(facts, "ssvm_offerings"), row, policy.ssvm)
    assert not findings, "; ".join(findings)


@check("SVM-ROUTER-RUNNING")
def test_network_routers_running(routed_network):
    """Each guest network or VPC a virtual router serves has its router(s) Running, and a redundant
    pair is one PRIMARY (MASTER in older releases) and one BACKUP."""
    target, facts = routed_network.target, routed_network.facts
    # the network's own row is attached as evidence (its name, state, providers); the rule reads the
    # same values as discovery kept them (network_of)
    if target.kind == "vpc":
        facts.api_rows("listVPCs", id=target.attrs.id)
        routers = facts.api_rows("listRouters", vpcid=target.attrs.id)
    else:
        facts.api_rows("listNetworks", id=target.attrs.id)
        routers = facts.api_rows("listRouters", guestnetworkid=target.attrs.id)
    network = network_of(target)
    not_judged_reason(network, target.attrs.running_vms, target.attrs.running_vms_error)  # broken if unknown
    note = pair_note(network, target.attrs.running_vms)
    if note:
        facts.attach("redundant pair not judged", note)
    findings = router_findings(network, routers, target.attrs.running_vms, target.attrs.running_vms_error)
    assert not findings, "; ".join(findings)


@check("SVM-SSVM-MTU", reads=("storage_network",), members={
    "cloud": ("configurations", "traffic_labels"), "kvm-host": ("agent_properties", "network_links"),
    "xs-pool": ("pool_hosts", "pool_networks", "pool_pifs")})
def test_ssvm_storage_mtu(system_vm, policy):
    """An SSVM with a storage network (`storageip=` in its boot line) has eth3 at the `mtu=` it booted
    with, which is the current `secstorage.vm.mtu.size`, which is the policy's `ssvm.storage_mtu` where
    that is set; the storage path of its host (a KVM bridge; a XenServer network and its PIF) carries
    frames that large. An SSVM without one has nothing to check."""
    facts = system_vm.facts
    network, setting = facts.storage_network, groups.cloud_setting(facts, ssvm_mtu.SSVM_MTU_SETTING)
    findings = ssvm_mtu.ssvm_mtu_findings(network, setting, policy.ssvm.storage_mtu,
                                          lambda: groups.ssvm_storage_host_findings(facts, network, setting))
    assert not findings, "; ".join(findings)
