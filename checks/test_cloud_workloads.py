"""The cloud's zones and its tenants' workloads: what a zone needs to start system VMs, and what
CloudStack leaves for the operator to restart after an outage."""
from stackaudit import groups
from stackaudit.catalog import check
from stackaudit.rules import kubernetes as k8s_rules
from stackaudit.rules import system_templates as template_rules
from stackaudit.rules import vm_restarts as vm_rules


@check("CLOUD-K8S-RUNNING", reads=("kubernetes_clusters",))
def test_kubernetes_clusters_running(cloud, policy):
    """No CloudStack Kubernetes Service cluster is in Alert or Error (with policy cks.require_running,
    none is Stopped either)."""
    findings = k8s_rules.kubernetes_findings(cloud.facts.kubernetes_clusters, policy.cks.require_running)
    assert not findings, "; ".join(findings)


@check("CLOUD-SYSTEMVM-TEMPLATE", members={"cloud": ("configurations", "scoped_settings", "system_templates")})
def test_system_vm_templates_ready(zone):
    """For each hypervisor of the zone's enabled clusters, the template its router.template.<hypervisor>
    setting names is a ready system template in the zone; the zone's SSVM and console proxy templates
    are ready too."""
    facts, zone_id = zone.facts, zone.target.attrs.id
    hypervisors = template_rules.zone_hypervisors(facts.api_rows("listClusters", zoneid=zone_id))
    zone_settings = groups.cloud_fact(facts, "scoped_settings")["zone"].get(zone_id)
    findings = template_rules.system_template_findings(
        zone.target.name, zone_id, hypervisors, zone_settings, groups.cloud_fact(facts, "configurations"),
        groups.cloud_fact(facts, "system_templates"), facts.api_rows("listSystemVms", zoneid=zone_id))
    assert not findings, "; ".join(findings)


@check("CLOUD-VMS-RESTARTED", members={"cloud": ("vm_power_events",)})
def test_stopped_vm_not_left_after_power_off(stopped_vm):
    """A stopped user VM's newest VM.STOP or VM.START event is not the out-of-band power-off CloudStack
    records when it finds the VM off (a host reboot, a crash): someone started or stopped it since."""
    vm = stopped_vm.target.attrs
    findings = vm_rules.restart_findings(vm.id, vm.name, vm.instancename,
                                         groups.cloud_fact(stopped_vm.facts, "vm_power_events"))
    assert not findings, "; ".join(findings)
