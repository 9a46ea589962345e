"""What the simulated CloudStack API answers about tenants' Kubernetes clusters (CLOUD-K8S-RUNNING).

Field names follow KubernetesClusterResponse ([CS-API]; the recorded answer in
tests/data/recorded/cloudstack-go-listkubernetesclusters.json). The command exists only while
`cloud.kubernetes.service.enabled` is true (the plugin registers its API commands only then), so the
simulator knows it only then, as a real management server does.
"""
from __future__ import annotations

from lab.topology import stable_id

KUBERNETES_SERVICE = "cloud.kubernetes.service.enabled"


def workload_lists(scenario: dict, settings: dict) -> dict:
    if str(settings.get(KUBERNETES_SERVICE) or "").lower() != "true":
        return {}
    return {"listKubernetesClusters": {"key": "kubernetescluster", "rows": kubernetes_cluster_rows(scenario)}}


def kubernetes_cluster_rows(scenario: dict) -> list[dict]:
    return [{"id": stable_id("kubernetescluster", f"{c['zone']}/{c['name']}"), "name": c["name"],
             "description": c["name"], "zoneid": stable_id("zone", c["zone"]), "zonename": c["zone"],
             "account": c["account"], "domain": "ROOT", "domainid": stable_id("domain", "ROOT"),
             "controlnodes": 1, "size": 2, "state": c["state"], "clustertype": "CloudManaged",
             "kubernetesversionname": "v1.28.4", "endpoint": "", "virtualmachines": []}
            for c in scenario["kubernetes_clusters"]]
