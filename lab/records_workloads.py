"""What the simulated CloudStack API answers about tenants' Kubernetes clusters (CLOUD-K8S-RUNNING),
stopped VMs and their VM.STOP/VM.START events (CLOUD-VMS-RESTARTED).

Field names follow KubernetesClusterResponse ([CS-API]; the recorded answer in
tests/data/recorded/cloudstack-go-listkubernetesclusters.json). The command exists only while
`cloud.kubernetes.service.enabled` is true (the plugin registers its API commands only then), so the
simulator knows it only then, as a real management server does.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from lab.topology import stable_id

KUBERNETES_SERVICE = "cloud.kubernetes.service.enabled"


def workload_lists(scenario: dict, settings: dict) -> dict:
    lists = {"listEvents": {"key": "event", "rows": event_rows(scenario)}}
    if str(settings.get(KUBERNETES_SERVICE) or "").lower() == "true":
        lists["listKubernetesClusters"] = {"key": "kubernetescluster", "rows": kubernetes_cluster_rows(scenario)}
    return lists


def kubernetes_cluster_rows(scenario: dict) -> list[dict]:
    return [{"id": stable_id("kubernetescluster", f"{c['zone']}/{c['name']}"), "name": c["name"],
             "description": c["name"], "zoneid": stable_id("zone", c["zone"]), "zonename": c["zone"],
             "account": c["account"], "domain": "ROOT", "domainid": stable_id("domain", "ROOT"),
             "controlnodes": 1, "size": 2, "state": c["state"], "clustertype": "CloudManaged",
             "kubernetesversionname": "v1.28.4", "endpoint": "", "virtualmachines": []}
            for c in scenario["kubernetes_clusters"]]


# Each stopped VM's events happen a minute apart from this time, in the order the scenario lists them.
EVENTS_START = datetime(2026, 11, 30, 2, 0, tzinfo=timezone.utc)
OUT_OF_BAND = "Out of band VM power off"


def vm_id(vm: dict) -> str:
    return stable_id("vm", f"{vm['zone']}/{vm['name']}")


def stopped_vm_rows(scenario: dict) -> list[dict]:
    return [{"id": vm_id(vm), "name": vm["name"], "displayname": vm["name"], "state": "Stopped",
             "instancename": f"i-2-{100 + n}-VM", "haenable": vm["ha"], "account": vm["account"], "domain": "ROOT",
             "zoneid": stable_id("zone", vm["zone"]), "zonename": vm["zone"], "hypervisor": "KVM", "nic": []}
            for n, vm in enumerate(scenario["stopped_vms"])]


def event_rows(scenario: dict) -> list[dict]:
    """EventResponse rows of the stopped VMs' events, newest first as listEvents orders them."""
    rows = []
    for vm in scenario["stopped_vms"]:
        for n, event in enumerate(vm["events"]):
            at = EVENTS_START + timedelta(minutes=n)
            system = event["by"] == "system"
            rows.append({"id": stable_id("event", f"{vm_id(vm)}/{n}"), "type": event["type"], "level": "INFO",
                         "state": "Completed", "username": event["by"], "account": "system" if system else vm["account"],
                         "domain": "ROOT", "resourceid": vm_id(vm), "resourcetype": "VirtualMachine",
                         "resourcename": vm["name"], "created": at.strftime("%Y-%m-%dT%H:%M:%S+0000"),
                         "description": event["description"] or (
                             OUT_OF_BAND if system and event["type"] == "VM.STOP" else
                             f"Successfully completed {'stopping' if event['type'] == 'VM.STOP' else 'starting'} "
                             f"Vm. Vm Id: {vm_id(vm)}")})
    return sorted(rows, key=lambda r: r["created"], reverse=True)
