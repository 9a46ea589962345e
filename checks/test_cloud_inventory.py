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
