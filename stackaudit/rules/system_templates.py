"""CLOUD-SYSTEMVM-TEMPLATE: each enabled zone has, for each hypervisor of its enabled clusters, the
system VM template its `router.template.<hypervisor>` setting names, ready; and its secondary storage
and console proxy VMs' templates are ready.

CloudStack finds the template by that name (VMTemplateDaoImpl.findRoutingTemplate: type ROUTING, then
SYSTEM, of the hypervisor, `name = ?`, newest first; the `cloud` database's utf8 general collation
compares without case) and the setting is zone-scoped (VirtualNetworkApplianceManager, ConfigKey.Scope.Zone;
SystemVmTemplateRegistration names all six settings) ([CS-CODE]).
"""
from __future__ import annotations

from stackaudit.errors import NotCheckable

# Hypervisor type (as listClusters' `hypervisortype` spells it, compared without case) -> its setting.
ROUTER_TEMPLATE_SETTINGS = {"kvm": "router.template.kvm", "xenserver": "router.template.xenserver",
                            "vmware": "router.template.vmware", "hyperv": "router.template.hyperv",
                            "lxc": "router.template.lxc", "ovm3": "router.template.ovm3"}
SYSTEM_VM_TYPES = {"secondarystoragevm": "secondary storage VM", "consoleproxy": "console proxy VM"}


def zone_hypervisors(clusters) -> list[str]:
    """The hypervisor types of a zone's enabled clusters, each once."""
    return sorted({c.hypervisortype for c in clusters if c.allocationstate == "Enabled" and c.hypervisortype})


def template_setting(name: str, zone_settings, global_settings) -> str | None:
    """The setting's value in the zone (listConfigurations zoneid=), else its global value."""
    for rows in ((zone_settings.settings if zone_settings is not None else ()), global_settings):
        value = next((c.value for c in rows if c.name == name), None)
        if value is not None:
            return value
    return None


def system_template_findings(zone_name: str, zone_id: str, hypervisors: list[str], zone_settings,
                             global_settings, templates, system_vms) -> list[str]:
    in_zone = [t for t in templates if t.zoneid == zone_id]
    findings = []
    for hypervisor in hypervisors:
        setting = ROUTER_TEMPLATE_SETTINGS.get(hypervisor.lower())
        if setting is None:
            raise NotCheckable(f"zone {zone_name} has {hypervisor} clusters, for which CloudStack has no "
                               "router.template setting to judge")
        name = template_setting(setting, zone_settings, global_settings)
        if name is None:
            raise NotCheckable(f"{setting} is not among the cloud's settings (zone {zone_name})")
        named = [t for t in in_zone if (t.hypervisor or "").lower() == hypervisor.lower()
                 and t.name.casefold() == name.casefold()]
        if not named:
            findings.append(f"{setting} names {name!r}, which is no {hypervisor} system template in zone "
                            f"{zone_name}: no router, secondary storage VM or console proxy can start on {hypervisor}")
        findings += [f"{hypervisor} system template {t.name!r} ({t.id}), which {setting} names, is not ready in "
                     f"zone {zone_name}" for t in named if not t.isready]
    for vm in system_vms:
        kind = SYSTEM_VM_TYPES.get(vm.systemvmtype or "")
        if kind is None or vm.templateid is None:
            continue
        used = [t for t in in_zone if t.id == vm.templateid]
        if not used:
            findings.append(f"{kind} {vm.name} runs from template {vm.templateid}, which is no system template "
                            f"in zone {zone_name}")
        findings += [f"{kind} {vm.name}'s template {t.name!r} ({t.id}) is not ready in zone {zone_name}"
                     for t in used if not t.isready]
    return findings
