"""CloudStack API list rows as the suite reads them: one dataclass per list command, built where the
rows enter a check (Facts.api_rows), like tempest's clients validate each response.

CloudStack serializes a response object's fields that are set and leaves out those that are null
(Apache CloudStack, ApiResponseGsonHelper in server/.../com/cloud/api/: a GsonBuilder without
serializeNulls, https://github.com/apache/cloudstack): a field read only when present is None. A
field every row of the command has (`name`) missing, or a field of the wrong JSON type, is not
what CloudStack sends: UnparsableOutput names the command, the row and the field.
"""
from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from stackaudit.errors import UnparsableOutput
from stackaudit.parsers.numbers import is_ascii_number, read_api_number, read_decimal
from stackaudit.parsers.router_rows import parse_networks, parse_routers, parse_vpcs

@dataclass(frozen=True)
class ManagementServerRow:
    name: str
    state: str | None = None
    version: str | None = None


@dataclass(frozen=True)
class HostRow:
    name: str
    state: str | None = None
    resourcestate: str | None = None
    version: str | None = None
    ipaddress: str | None = None          # the host's management address (XcpServerDiscoverer: XAPI host.address)
    # capacities as the API gives them (numbers or numeric strings); read by rules/gate.py
    cpuwithoverprovisioning: Any = None
    cpuallocatedvalue: Any = None
    memorywithoverprovisioning: Any = None
    memorytotal: Any = None
    memoryallocatedbytes: Any = None
    memoryallocated: Any = None


@dataclass(frozen=True)
class SystemVmRow:
    name: str
    state: str | None = None
    systemvmtype: str | None = None
    id: str | None = None
    serviceofferingid: str | None = None      # SystemVmResponse, the offering it was deployed with
    serviceofferingname: str | None = None
    templateid: str | None = None             # the template it was deployed from (CLOUD-SYSTEMVM-TEMPLATE)
    zoneid: str | None = None


@dataclass(frozen=True)
class ClusterRow:
    """A listClusters row (ClusterResponse)."""
    name: str
    id: str | None = None
    zoneid: str | None = None
    hypervisortype: str | None = None
    allocationstate: str | None = None


ROWS = {"listManagementServers": ManagementServerRow, "listHosts": HostRow, "listSystemVms": SystemVmRow,
        "listClusters": ClusterRow}
TEXT_FIELDS = {"zoneid", "hypervisortype", "allocationstate", "name", "state", "resourcestate", "version", "systemvmtype", "id", "serviceofferingid",
               "serviceofferingname", "ipaddress", "templateid", "zoneid"}


# Commands whose rows have a parser module of their own.
OWN_PARSERS = {"listRouters": parse_routers, "listNetworks": parse_networks, "listVPCs": parse_vpcs}


def parse_api_rows(command: str, rows) -> list:
    """A list command's rows (JSON objects) as its dataclass."""
    if command in OWN_PARSERS:
        return OWN_PARSERS[command](rows)
    return _rows(f"API {command}", ROWS[command], rows, TEXT_FIELDS)


@dataclass(frozen=True)
class SchemaVersionRow:
    """A row of cloud.version (SELECT id, version, step FROM cloud.version)."""
    id: int
    version: str
    step: str


def parse_schema_versions(rows) -> list[SchemaVersionRow]:
    """`SELECT id, version, step FROM cloud.version ORDER BY id` rows (PyMySQL DictCursor dicts)."""
    if not isinstance(rows, list):
        raise UnparsableOutput(f"SQL schema_versions: expected rows, got {type(rows).__name__}")
    parsed = []
    for number, row in enumerate(rows, 1):
        if not isinstance(row, dict):
            raise UnparsableOutput(f"SQL schema_versions: row {number} is not a row")
        missing = [name for name in ("id", "version", "step") if name not in row]
        if missing:
            raise UnparsableOutput(f"SQL schema_versions: row {number} has no field {missing[0]}")
        identifier = row["id"]
        if isinstance(identifier, bool) or not (isinstance(identifier, int) or
                                                (isinstance(identifier, str) and is_ascii_number(identifier))):
            raise UnparsableOutput(f"SQL schema_versions: row {number}: id {identifier!r} is not a number")
        if isinstance(identifier, str):
            identifier = read_decimal(identifier, f"SQL schema_versions: row {number}: id")
        parsed.append(SchemaVersionRow(identifier, str(row["version"]), str(row["step"])))
    return parsed


# --- the cloud's settings (collectors.collect_cloud_settings) --------------------------------------
@dataclass(frozen=True)
class ConfigurationRow:
    """A listConfigurations row (ConfigurationResponse): a setting's name, value and scope."""
    name: str
    value: str | None = None
    scope: str | None = None


@dataclass(frozen=True)
class ScopedObject:
    """A zone, cluster, account or domain, with the settings listConfigurations gives at its scope."""
    name: str | None
    settings: tuple[ConfigurationRow, ...]


@dataclass(frozen=True)
class LdapConfigurationRow:
    """A listLdapConfigurations row (LdapConfigurationResponse)."""
    hostname: str | None = None
    port: Any = None
    domainid: str | None = None


def _rows(call: str, cls, rows, text_fields) -> list:
    if not isinstance(rows, list):
        raise UnparsableOutput(f"{call}: expected a list of rows, got {type(rows).__name__}")
    parsed = []
    for number, row in enumerate(rows, 1):
        if not isinstance(row, dict):
            raise UnparsableOutput(f"{call}: row {number} is not an object")
        label = f"{call}: row {number} ({row.get('name', 'no name')!r})"
        values = {}
        for field in fields(cls):
            if field.name not in row:
                if field.default is not None:
                    raise UnparsableOutput(f"{label} has no field {field.name}")
                continue
            if field.name in text_fields and not isinstance(row[field.name], str):
                raise UnparsableOutput(f"{label}: field {field.name} is {type(row[field.name]).__name__}, not text")
            values[field.name] = row[field.name]
        parsed.append(cls(**values))
    return parsed


def parse_configurations(rows, call: str = "API listConfigurations") -> list[ConfigurationRow]:
    return _rows(call, ConfigurationRow, rows, {"name", "scope"})


def parse_scoped_settings(scoped) -> dict[str, dict[str, ScopedObject]]:
    """{scope: {object id: {"name", "settings": listConfigurations rows at that scope}}}."""
    if not isinstance(scoped, dict) or not all(isinstance(objects, dict) for objects in scoped.values()):
        raise UnparsableOutput("API listConfigurations by scope: expected {scope: {id: object}}")
    parsed = {}
    for scope, objects in scoped.items():
        parsed[scope] = {}
        for object_id, obj in objects.items():
            if not isinstance(obj, dict) or "settings" not in obj:
                raise UnparsableOutput(f"API listConfigurations {scope} {object_id}: no settings")
            call = f"API listConfigurations {scope}id={object_id}"
            parsed[scope][object_id] = ScopedObject(obj.get("name"), tuple(parse_configurations(obj["settings"], call)))
    return parsed


def parse_ldap_configurations(rows) -> list[LdapConfigurationRow]:
    return _rows("API listLdapConfigurations", LdapConfigurationRow, rows, {"domainid"})


@dataclass(frozen=True)
class ServiceOfferingRow:
    """A listServiceOfferings row (ServiceOfferingResponse): cpunumber, cpuspeed (MHz) and memory
    (MiB) are Integers there, absent for a custom offering."""
    id: str
    name: str | None = None
    systemvmtype: str | None = None
    cpunumber: int | None = None
    cpuspeed: int | None = None
    memory: int | None = None


def parse_service_offerings(rows, call: str = "API listServiceOfferings") -> list[ServiceOfferingRow]:
    parsed = []
    for row in _rows(call, ServiceOfferingRow, rows, {"id", "name", "systemvmtype"}):
        label = f"{call}: offering {row.name or row.id!r}"
        sizes = {field: java_integer(getattr(row, field), f"{label} field {field}")
                 for field in ("cpunumber", "cpuspeed", "memory")}
        parsed.append(ServiceOfferingRow(row.id, row.name, row.systemvmtype, **sizes))
    return parsed


def java_integer(value, where: str) -> int | None:
    """A non-negative Java Integer field as Gson writes it (a JSON number), None when absent."""
    if value is None:
        return None
    number = read_api_number(value, where, what="a whole number")
    if not number.is_integer() or not 0 <= number < 2 ** 31:
        raise UnparsableOutput(f"{where}: {value!r} is not a whole number from 0 to 2147483647")
    return int(number)


@dataclass(frozen=True)
class StoragePoolRow:
    """A listStoragePools row (StoragePoolResponse): `type` is the name of CloudStack's
    Storage.StoragePoolType (NetworkFilesystem, RBD, ...), `zoneid` the pool's zone."""
    id: str
    name: str | None = None
    type: str | None = None
    zoneid: str | None = None
    scope: str | None = None


def parse_storage_pools(rows, call: str = "API listStoragePools") -> list[StoragePoolRow]:
    return _rows(call, StoragePoolRow, rows, {"id", "name", "type", "zoneid", "scope"})
