"""CloudStack Kubernetes Service clusters as `listKubernetesClusters` lists them (CLOUD-K8S-RUNNING).

Shape: Apache CloudStack's KubernetesClusterResponse (plugins/integrations/kubernetes-service,
https://github.com/apache/cloudstack); a recorded answer is tests/data/recorded/
cloudstack-go-listkubernetesclusters.json:

    {"id": "177d0eeb-...", "name": "cks-cluster", "zonename": "ref-trl-2845-k-M7-david-jumani",
     "account": "admin", "domain": "ROOT", "state": "Starting", "virtualmachines": [...], ...}

A tenant names its clusters and two may share a name, so a message names the id too.
"""
from __future__ import annotations

from dataclasses import dataclass

from stackaudit.parsers.api_rows import _rows

# KubernetesCluster.State (apache/cloudstack @098572c, KubernetesCluster.java): every state the
# service's state machine knows.
STATES = frozenset({"Created", "Starting", "Running", "Stopping", "Stopped", "Scaling", "Upgrading", "Alert",
                    "Recovering", "Destroyed", "Destroying", "Error"})


@dataclass(frozen=True)
class KubernetesClusterRow:
    id: str
    name: str
    state: str
    zonename: str | None = None
    account: str | None = None
    domain: str | None = None


def parse_kubernetes_clusters(rows, call: str = "API listKubernetesClusters") -> list[KubernetesClusterRow]:
    return _rows(call, KubernetesClusterRow, rows, {"id", "name", "state", "zonename", "account", "domain"})
