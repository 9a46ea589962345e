"""The lab's API simulator against the three cloud checks, in process (no lab): discovery's targets
and scope attributes, and each rule on what the simulator answers for the matrix scenarios, so the
simulated rows and the rules agree before a lab is brought up."""
from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from lab.records_cloudstack import cloudstack_model
from lab.scenario import load_scenario
from lab.sim.cloudstack_api import Api
from lab.topology import build_topology, stable_id
from stackaudit.collect.transports import cloudstack
from stackaudit.discovery import discovery
from stackaudit.errors import ApiError
from stackaudit.parsers.api_rows import parse_api_rows, parse_configurations, parse_scoped_settings
from stackaudit.parsers.events import parse_events
from stackaudit.parsers.kubernetes import parse_kubernetes_clusters
from stackaudit.parsers.templates import parse_templates
from stackaudit.rules.kubernetes import kubernetes_findings
from stackaudit.rules.system_templates import system_template_findings, zone_hypervisors
from stackaudit.rules.vm_restarts import restart_findings
from tests.unit.test_traffic_labels import InProcessApi

MATRIX = Path(__file__).resolve().parent.parent.parent / "lab" / "scenarios" / "matrix"
SECRET = SimpleNamespace(read=lambda: "s")


def simulated(scenario: str) -> InProcessApi:
    topology = build_topology(load_scenario(MATRIX / scenario))
    return InProcessApi(Api(cloudstack_model(topology, [], [], "")))


def discovered(api: InProcessApi, monkeypatch):
    monkeypatch.setattr(discovery.cloudstack, "client", lambda *args, **kwargs: api)
    monkeypatch.setattr(discovery, "pool_targets", lambda *args: [])
    inventory = SimpleNamespace(cloud_name="lab", api=SimpleNamespace(endpoint="https://198.18.0.10/client/api",
                                                                      key=SECRET, secret=SECRET, verify=True),
                                ssh=SimpleNamespace(connect_timeout=5), xenserver=None, management_servers=[],
                                databases=None, insecure_channels=(), tls_frontends=())
    return discovery.discover(inventory)


@pytest.mark.parametrize("scenario, value", [("kubernetes.yml", "true"), ("kubernetes_policy.yml", "TRUE"),
                                             ("kubernetes_disabled.yml", "false")])
def test_discovery_reads_the_kubernetes_setting(scenario, value, monkeypatch):
    (cloud,) = discovered(simulated(scenario), monkeypatch).of_kinds(("cloud",))
    assert (cloud.attrs.kubernetes_service, cloud.attrs.kubernetes_service_error) == (value, None)


def test_the_simulator_knows_kubernetes_clusters_only_while_the_service_is_on():
    clusters = parse_kubernetes_clusters(cloudstack.list_all(simulated("kubernetes.yml"), "listKubernetesClusters",
                                                             listall="true"))
    assert [f.split(" (")[0] for f in kubernetes_findings(clusters, False)] == [
        "Kubernetes cluster web", "Kubernetes cluster broken-create"]
    with pytest.raises(ApiError, match="listKubernetesClusters"):   # a command this cloud does not have
        cloudstack.list_all(simulated("kubernetes_disabled.yml"), "listKubernetesClusters", listall="true")


def test_the_template_matrix_fails_zone1_and_zone2_only(monkeypatch):
    api = simulated("system_templates.yml")
    snapshot = discovered(api, monkeypatch)
    templates = parse_templates(cloudstack.list_all(api, "listTemplates", templatefilter="system"))
    configurations = parse_configurations(cloudstack.list_all(api, "listConfigurations"))
    outcomes = {}
    for zone in snapshot.of_kinds(("zone",)):
        zone_id = zone.attrs.id
        settings = parse_scoped_settings({"zone": {zone_id: {"name": zone.name, "settings": cloudstack.list_all(
            api, "listConfigurations", zoneid=zone_id)}}})["zone"][zone_id]
        clusters = parse_api_rows("listClusters", [r for r in snapshot.api["listClusters"] if r["zoneid"] == zone_id])
        vms = parse_api_rows("listSystemVms", [r for r in snapshot.api["listSystemVms"] if r["zoneid"] == zone_id])
        outcomes[zone.name] = system_template_findings(zone.name, zone_id, zone_hypervisors(clusters), settings,
                                                       configurations, templates, vms)
    assert [name for name, found in sorted(outcomes.items()) if found] == ["zone1", "zone2"]
    assert outcomes["zone1"] == ["router.template.kvm names 'systemvm-kvm-4.20.0', which is no KVM system "
                                 "template in zone zone1: no router, secondary storage VM or console proxy can "
                                 "start on KVM"]
    assert len(outcomes["zone2"]) == 3       # the template, and the SSVM's and the console proxy's
    # zone3 names its template in other letter case and passes; zone4 is Disabled: the suite leaves it
    # out (scope zone-enabled).
    assert [z.attrs.allocationstate for z in snapshot.of_kinds(("zone",)) if z.name == "zone4"] == ["Disabled"]


def test_the_stopped_vm_matrix_fails_web01_and_db01_only(monkeypatch):
    api = simulated("vms_restarted.yml")
    vms = discovered(api, monkeypatch).of_kinds(("vm",))
    events = (parse_events(cloudstack.list_all(api, "listEvents", listall="true", type="VM.STOP"))
              + parse_events(cloudstack.list_all(api, "listEvents", listall="true", type="VM.START")))
    failing = sorted(vm.attrs.name for vm in vms if restart_findings(vm.attrs.id, vm.attrs.name,
                                                                     vm.attrs.instancename, events))
    assert failing == ["db01", "ha01", "web01"]      # ha01 is left out by scope (vm-without-ha)
    assert {vm.id for vm in vms if vm.attrs.haenable} == {f"vm://zone1/{stable_id('vm', 'zone1/ha01')}"}
