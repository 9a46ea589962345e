"""The cloud's inventory as the API lists it: zones, pods, clusters, hosts and their storage, and
what each cluster's hosts say of themselves ([CS-API], [CS-CODE], [XAPI], [SHAPEBLUE-HOWTO] in the
docs/sources.md)."""
from stackaudit import groups
from stackaudit.catalog import check
from stackaudit.rules import cloud_inventory as rules
from stackaudit.rules import cluster_homogeneous as rules_homogeneous


@check("CLOUD-HOST-NAME-UNIQUE")
def test_host_names_unique(zone):
    """No two hypervisor hosts of a zone share a name (listHosts type=Routing, compared
    case-insensitively)."""
    findings = rules.duplicate_host_names(zone.facts.api_rows("listHosts", zoneid=zone.target.attrs.id))
    assert not findings, "; ".join(findings)


@check("CLOUD-ALLOCATION-ENABLED", reads=("pods",))
def test_allocation_enabled(cloud):
    """Every zone, pod and cluster has allocation state Enabled, and every cluster is Managed
    (listZones, listPods, listClusters)."""
    facts = cloud.facts
    findings = rules.allocation_findings(facts.api_rows("listZones"), facts.pods, facts.api_rows("listClusters"))
    assert not findings, "; ".join(findings)


@check("CLOUD-ZONE-RESOURCES", members={"cloud": ("storage_pools", "image_stores")})
def test_zone_resources(zone):
    """An enabled zone has a primary storage pool that is Up, an image store that is not read-only and
    a hypervisor host that is Up and Enabled."""
    facts, zone_id = zone.facts, zone.target.attrs.id
    hosts = facts.api_rows("listHosts", zoneid=zone_id)
    pools = [p for p in groups.cloud_fact(facts, "storage_pools") if p.zoneid == zone_id]
    stores = [s for s in groups.cloud_fact(facts, "image_stores") if s.zoneid == zone_id]
    facts.attach("the zone's primary pools and image stores", {
        "listStoragePools": [{"name": p.name, "state": p.state} for p in pools],
        "listImageStores": [{"name": s.name, "readonly": s.readonly} for s in stores]}, as_json=True)
    findings, judged = rules.zone_resource_findings(pools, stores, hosts)
    facts.attach("judged", judged, as_json=True)
    assert not findings, "; ".join(findings)


@check("CLUSTER-HOMOGENEOUS", members={"kvm-host": ("cpuinfo",), "xs-pool": ("pool_cpus",)})
def test_cluster_homogeneous(cluster, policy):
    """The hosts of a cluster report the same hypervisor version, the same OS (KVM: Host.OS and its
    version) and, by policy cluster.cpu_match, the same CPU vendor and model, so a VM can live-migrate
    between any two of them."""
    rows = cluster.facts.api_rows("listHosts", clusterid=cluster.target.attrs.id)
    profiles, gathered = groups.cluster_hosts(cluster.facts, rows, policy.cluster.cpu_match)
    cluster.facts.attach("hosts compared", rules_homogeneous.profiles_evidence(profiles), as_json=True)
    findings = groups.findings_or_not_checked(
        rules_homogeneous.homogeneity_findings(profiles, policy.cluster.cpu_match), gathered)
    assert not findings, "; ".join(findings)
