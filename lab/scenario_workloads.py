"""The scenario format's tenant workloads and zone templates, over the compliant defaults (an empty list
each): Kubernetes clusters, system VM templates and stopped VMs (lab/records_workloads.py and
lab/records_templates.py turn them into API rows)."""
from __future__ import annotations

from stackaudit.config.schema import REQUIRED, Bool, Enum, ListOf, Optional, Record, Str, f

# CLOUD-K8S-RUNNING: a tenant's CloudStack Kubernetes Service cluster (KubernetesCluster.State names),
# listed while global cloud.kubernetes.service.enabled is true (lab/records_workloads.py)
KUBERNETES_CLUSTER = Record({
    "name": f(Str(), REQUIRED),
    "zone": f(Str(), REQUIRED),
    "state": f(Str(), "Running"),
    "account": f(Str(), "admin"),
})

# CLOUD-SYSTEMVM-TEMPLATE: the system templates of a zone and hypervisor, in place of the default one
# (lab/records_templates.py)
SYSTEM_TEMPLATE = Record({
    "zone": f(Str(), REQUIRED),
    "hypervisor": f(Enum("KVM", "XenServer"), REQUIRED),
    "name": f(Str(), REQUIRED),
    "ready": f(Bool(), True),
})

# CLOUD-VMS-RESTARTED: a user VM in state Stopped and its VM.STOP/VM.START events, oldest first
# (lab/records_workloads.py); `by: system` with no description is the out-of-band power-off
STOPPED_VM = Record({
    "name": f(Str(), REQUIRED),
    "zone": f(Str(), REQUIRED),
    "ha": f(Bool(), False),
    "account": f(Str(), "admin"),
    "events": f(ListOf(Record({"type": f(Enum("VM.STOP", "VM.START"), REQUIRED), "by": f(Str(), "admin"),
                               "description": f(Optional(Str()))})), list),
})
