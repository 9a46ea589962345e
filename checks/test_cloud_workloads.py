"""The cloud's tenant workloads after an outage: what CloudStack leaves for the operator to restart."""
from stackaudit.catalog import check
from stackaudit.rules import kubernetes as k8s_rules


@check("CLOUD-K8S-RUNNING", reads=("kubernetes_clusters",))
def test_kubernetes_clusters_running(cloud, policy):
    """No CloudStack Kubernetes Service cluster is in Alert or Error (with policy cks.require_running,
    none is Stopped either)."""
    findings = k8s_rules.kubernetes_findings(cloud.facts.kubernetes_clusters, policy.cks.require_running)
    assert not findings, "; ".join(findings)
