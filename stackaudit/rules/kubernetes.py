"""CLOUD-K8S-RUNNING: no CloudStack Kubernetes Service cluster is left in Alert or Error.

CloudStack moves a Running cluster to Alert when its VMs are not in the desired state, e.g. stopped by
a host reboot (KubernetesCluster.State.Alert, apache/cloudstack @098572c), and a cluster whose creation
failed to Error; after a host reboot CloudStack does not restart them itself: "You will also need to
manually restart any Kubernetes clusters" ([CSC-WIKI], "Rebooting machines"). Stopped is a user's choice: it passes unless the policy demands Running.
"""
from __future__ import annotations

from stackaudit.errors import NotCheckable
from stackaudit.parsers.kubernetes import STATES, KubernetesClusterRow

FAULTED = ("Alert", "Error")


def kubernetes_findings(clusters: list[KubernetesClusterRow], require_running: bool) -> list[str]:
    """One line per cluster in Alert or Error (or Stopped, when the policy requires Running)."""
    unknown = [c for c in clusters if c.state not in STATES]
    if unknown:
        raise NotCheckable("; ".join(f"Kubernetes cluster {label(c)} is in state {c.state!r}, which CloudStack's "
                                     "Kubernetes service does not define: its health cannot be judged"
                                     for c in unknown))
    findings = [f"Kubernetes cluster {label(c)} is in state {c.state}: "
                + ("its VMs are not in the desired state (stop and start it)" if c.state == "Alert"
                   else "its creation failed (delete it, or create it again)")
                for c in clusters if c.state in FAULTED]
    if require_running:
        findings += [f"Kubernetes cluster {label(c)} is Stopped, and the policy's cks.require_running is true"
                     for c in clusters if c.state == "Stopped"]
    return findings


def label(cluster: KubernetesClusterRow) -> str:
    owner = "/".join(p for p in (cluster.domain, cluster.account) if p)
    where = ", ".join(p for p in (f"zone {cluster.zonename}" if cluster.zonename else "", owner) if p)
    return f"{cluster.name} ({cluster.id}{', ' + where if where else ''})"
