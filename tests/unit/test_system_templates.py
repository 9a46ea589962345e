"""CLOUD-SYSTEMVM-TEMPLATE: the listTemplates parser (a recorded answer) and the rule."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from stackaudit.errors import NotCheckable, UnparsableOutput
from stackaudit.parsers.api_rows import ClusterRow, ConfigurationRow, ScopedObject, SystemVmRow
from stackaudit.parsers.templates import TemplateRow, parse_templates
from stackaudit.rules.system_templates import system_template_findings, zone_hypervisors
from tests.unit.hypothesis_budget import examples
from tests.unit.json_strategy import answers

RECORDED = Path(__file__).resolve().parent.parent / "data" / "recorded"
ZONE = "z-1"
KVM_NAME = "systemvm-kvm-4.19.1"
GLOBAL = [ConfigurationRow("router.template.kvm", "SystemVM Template (KVM)", "zone"),
          ConfigurationRow("router.template.xenserver", "SystemVM Template (XenServer)", "zone")]


def template(name=KVM_NAME, ready=True, hypervisor="KVM", zoneid=ZONE, id=None) -> TemplateRow:
    return TemplateRow(id=id or f"t-{name}-{zoneid}", name=name, isready=ready, zoneid=zoneid,
                       hypervisor=hypervisor, templatetype="SYSTEM")


def zone_settings(**values) -> ScopedObject:
    return ScopedObject("zone1", tuple(ConfigurationRow(k.replace("_", "."), v, "zone") for k, v in values.items()))


def judge(templates, hypervisors=("KVM",), settings_in_zone=None, system_vms=()):
    return system_template_findings("zone1", ZONE, list(hypervisors), settings_in_zone, GLOBAL, templates,
                                    list(system_vms))


def test_recorded_answer_parses():
    rows = json.loads((RECORDED / "listtemplates-cloudstack-issue2821.json").read_text())["template"]
    [row] = parse_templates(rows)
    assert (row.name, row.isready, row.hypervisor, row.templatetype, row.zoneid) == (
        "ansible-template-sufix", False, "Simulator", "USER", "a68287cf-c2ee-42c6-90f1-df70e3bc1f56")


@pytest.mark.parametrize("rows, message", [
    ([{"id": "1", "name": "t"}], "has no field isready"),
    ([{"id": "1", "name": "t", "isready": "true"}], "field isready is str, not a boolean"),
    ([{"id": 1, "name": "t", "isready": True}], "field id is int, not text"),
    ({"template": []}, "expected a list of rows"),
])
def test_bad_rows_are_unparsable_with_the_place(rows, message):
    with pytest.raises(UnparsableOutput, match=message):
        parse_templates(rows)


@settings(max_examples=examples(200), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=answers(["id", "name", "isready", "zoneid", "hypervisor", "templatetype", "created"], 7))
def test_any_answer_parses_or_is_unparsable(rows):
    try:
        parsed = parse_templates(rows)
    except UnparsableOutput:
        return
    assert all(isinstance(t.isready, bool) and isinstance(t.name, str) for t in parsed)


def test_only_enabled_clusters_count_each_hypervisor_once():
    clusters = [ClusterRow("a", hypervisortype="KVM", allocationstate="Enabled"),
                ClusterRow("b", hypervisortype="KVM", allocationstate="Enabled"),
                ClusterRow("c", hypervisortype="XenServer", allocationstate="Disabled")]
    assert zone_hypervisors(clusters) == ["KVM"]


def test_the_zone_value_of_the_setting_wins_and_names_a_ready_template():
    assert judge([template()], settings_in_zone=zone_settings(router_template_kvm=KVM_NAME)) == []


def test_the_global_value_applies_where_the_zone_lists_none_and_case_is_ignored():
    assert judge([template("systemvm template (KVM)")]) == []


def test_a_named_template_missing_fails():
    assert judge([template(), template("SystemVM Template (KVM)", zoneid="z-2")]) == [
        "router.template.kvm names 'SystemVM Template (KVM)', which is no KVM system template in zone zone1: no "
        "router, secondary storage VM or console proxy can start on KVM"]


def test_a_template_of_the_name_for_another_hypervisor_does_not_count():
    assert len(judge([template("SystemVM Template (KVM)", hypervisor="XenServer")])) == 1


def test_a_named_template_not_ready_fails():
    assert judge([template(ready=False, id="t9")], settings_in_zone=zone_settings(router_template_kvm=KVM_NAME)) == [
        f"KVM system template '{KVM_NAME}' (t9), which router.template.kvm names, is not ready in zone zone1"]


def test_system_vm_templates_must_be_ready_in_the_zone():
    vms = [SystemVmRow("s-1-VM", systemvmtype="secondarystoragevm", templateid="old"),
           SystemVmRow("v-2-VM", systemvmtype="consoleproxy", templateid="gone"),
           SystemVmRow("r-3-VM", systemvmtype="domainrouter", templateid="gone")]
    findings = judge([template("SystemVM Template (KVM)"), template("old-one", ready=False, id="old")],
                     system_vms=vms)
    assert findings == ["secondary storage VM s-1-VM's template 'old-one' (old) is not ready in zone zone1",
                        "console proxy VM v-2-VM runs from template gone, which is no system template in zone zone1"]


@pytest.mark.parametrize("hypervisors, global_settings, message", [
    (["Simulator"], GLOBAL, "zone zone1 has Simulator clusters, for which CloudStack has no router.template setting"),
    (["VMware"], GLOBAL, "router.template.vmware is not among the cloud's settings"),
])
def test_what_cannot_be_judged_is_not_checked(hypervisors, global_settings, message):
    with pytest.raises(NotCheckable, match=message):
        system_template_findings("zone1", ZONE, hypervisors, None, global_settings, [], [])
