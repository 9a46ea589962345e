"""The cloud's inventory as the API lists it: zones, pods, clusters, hosts and their storage
([CS-API], [CS-CODE] in the README's Sources)."""
from stackaudit.catalog import check
from stackaudit.rules import cloud_inventory as rules


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
