"""What the simulated CloudStack API answers about system VM templates (CLOUD-SYSTEMVM-TEMPLATE).

Each zone has, for each hypervisor of its clusters, the system template CloudStack 4.16 and later
register at upgrade, named `systemvm-<hypervisor>-<release>`, ready, and `router.template.<hypervisor>`
names it. A scenario's `system_templates` replaces the templates of the zones and hypervisors it
names. Field names follow TemplateResponse ([CS-API]).
"""
from __future__ import annotations

from lab.topology import stable_id

ROUTER_TEMPLATE_SETTINGS = {"KVM": "router.template.kvm", "XenServer": "router.template.xenserver"}
FORMATS = {"KVM": "QCOW2", "XenServer": "VHD"}


def default_template_name(scenario: dict, hypervisor: str) -> str:
    return f"systemvm-{hypervisor.lower()}-{scenario['cloudstack_version']}"


def template_id(zone: str, hypervisor: str, name: str) -> str:
    return stable_id("template", f"{zone}/{hypervisor}/{name}")


def template_settings(scenario: dict) -> dict:
    """The global router.template.<hypervisor> of each hypervisor the lab has."""
    return {setting: default_template_name(scenario, hv) for hv, setting in ROUTER_TEMPLATE_SETTINGS.items()}


def zone_hypervisors(zone: dict) -> list[str]:
    return sorted({c["hypervisor"] for pod in zone["pods"] for c in pod["clusters"]})


def templates(scenario: dict) -> list[dict]:
    """Every (zone, hypervisor, name, ready) the API lists: the scenario's, else the default."""
    listed = [(t["zone"], t["hypervisor"], t["name"], t["ready"]) for t in scenario["system_templates"]]
    named = {(zone, hv) for zone, hv, _, _ in listed}
    return listed + [(z["name"], hv, default_template_name(scenario, hv), True) for z in scenario["zones"]
                     for hv in zone_hypervisors(z) if (z["name"], hv) not in named]


def system_template_rows(scenario: dict) -> list[dict]:
    return [{"id": template_id(zone, hv, name), "name": name, "displaytext": name, "hypervisor": hv,
             "isready": ready, "status": "Download Complete" if ready else "Downloading",
             "templatetype": "SYSTEM", "format": FORMATS.get(hv, "QCOW2"), "zoneid": stable_id("zone", zone),
             "zonename": zone, "account": "system", "domain": "ROOT", "ispublic": False, "isfeatured": False,
             "crossZones": False, "created": "2025-03-02T10:11:12+0000"}
            for zone, hv, name, ready in templates(scenario)]


def system_vm_template_id(scenario: dict, zone: str, hypervisor: str) -> str:
    """The template a zone's system VMs of a hypervisor run from: the first listed for them."""
    return next(template_id(z, hv, name) for z, hv, name, _ in templates(scenario) if (z, hv) == (zone, hypervisor))
