"""Which rows a simulated CloudStack list command answers: the request parameters each command
filters on with equality, the parameters it requires, and MySQL's LIKE for `keyword` and `name`
(lab/sim/cloudstack_api.py answers with them; [CS-API] names the parameters)."""
from __future__ import annotations

import re

from lab.sim.network_lists import NETWORK_FILTER_SPECS, values_of

# Request parameter -> row field, for the parameters each list command filters on with equality
# ([CS-API], minus those that select views or join other tables).
FILTERS = {cmd: dict(p.split("=") if "=" in p else (p, p) for p in spec.split()) for cmd, spec in {
    "listHosts": "arch clusterid hypervisor id managementserverid name podid resourcestate state type version zoneid",
    "listSystemVms": "arch hostid id name podid state systemvmtype zoneid",
    "listRouters": "account arch domainid healthchecksfailed hostid id name networkid=guestnetworkid podid projectid "
                   "state version vpcid zoneid",
    **NETWORK_FILTER_SPECS,
    "listClusters": "allocationstate arch clustertype hypervisor=hypervisortype id managedstate name podid zoneid",
    "listZones": "domainid id name networktype",
    "listPods": "allocationstate id name zoneid",
    "listManagementServers": "id name version",
    "listStoragePools": "clusterid id ipaddress name path podid scope status=state zoneid",
    "listImageStores": "id name protocol provider=providername readonly zoneid",
    "listCapacity": "clusterid podid tag type zoneid",
    "listServiceOfferings": "id issystem name systemvmtype",
    "listPhysicalNetworks": "id name zoneid", "listTrafficTypes": "physicalnetworkid",
    "listLdapConfigurations": "domainid hostname id port",
    "listDomains": "id level name",
    "listAccounts": "accounttype domainid id name state",
    # templatefilter=system is TemplateType.SYSTEM (QueryManagerImpl); the lab lists only system templates
    "listTemplates": "hypervisor id name templatefilter=templatetype zoneid",
}.items()}
REQUIRED_PARAMS = {"listTrafficTypes": ("physicalnetworkid",), "listTemplates": ("templatefilter",)}  # @Parameter(required = true) of the command
# Never filters, for list commands outside FILTERS (matched case-insensitively).
CONTROL_PARAMS = {"listall", "response", "apikey", "signature", "signatureversion", "expires", "page", "pagesize",
                  "command", "keyword", "fetchhealthcheckresults", "showcapacities"}


def like(pattern: str, text: object) -> bool:
    """MySQL LIKE under a case-insensitive collation: % is any run, _ any one character."""
    regex = "".join(".*" if c == "%" else "." if c == "_" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, str(text), re.I | re.S) is not None


def equals(have: object, want: str, field: str) -> bool:
    if have is None or isinstance(have, (dict, list)):
        return False
    text = str(have).lower() if isinstance(have, bool) else str(have)
    return text == want if field.endswith("id") else text.lower() == want.lower()


def filter_rows(command: str, rows: list[dict], params: dict[str, str]) -> list[dict]:
    """The rows whose fields equal the command's filter parameters, and whose name is LIKE `keyword`."""
    fields = FILTERS.get(command) or {p: p for p in params if p.lower() not in CONTROL_PARAMS}
    wanted = [(field, params[p]) for p, field in fields.items() if params.get(p)]
    keyword = params.get("keyword")
    return [r for r in rows if all(any(equals(have, v, f) for have in values_of(r, f)) for f, v in wanted)
            and (keyword is None or like(f"%{keyword}%", r.get("name", "")))]
