"""The inventory: how StackAudit reaches one cloud (inventories/example.yml documents every key).

Validated in full before anything connects. A mistake is one line naming the file, the key path
and the fix (ConfigError, exit code 4). Relative paths are relative to the inventory file.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from stackaudit.errors import ConfigError
from stackaudit.config.api_credentials import OPERATOR_FIELDS, ApiTlsPlaces, KnownSecret, operator_credentials
from stackaudit.config.files import shown, shown_path
from stackaudit.config.kinds import (ENV_NAME, LOCAL_PATH, NAME, PORT, REMOTE_PATH, USER, ApiUrl, Bounded, Host,
                                     NonEmptyList, seconds)
from stackaudit.config.host_key_fingerprints import read_fingerprints
from stackaudit.config.named_files import check_ca_file, check_known_hosts, check_private_key
from stackaudit.config.problems import Problems
from stackaudit.config.schema import REQUIRED, Bool, Enum, Kind, ListOf, Optional, Record, Str, child, f, read_yaml_file
from stackaudit.config.secrets import SecretSource, secret_source


def _secret_fields(name: str) -> dict:
    return {f"{name}_env": f(Optional(ENV_NAME)), f"{name}_file": f(Optional(LOCAL_PATH)), name: f(Optional(Str()))}


class Verify(Kind):
    """TLS verification of the API: true, false, or the path of a CA bundle (PEM)."""
    expected = "true, false, or the path of a CA bundle"

    def check(self, value, where):
        if isinstance(value, bool):
            return value
        if value is None:
            self.fail(value, where)
        text = LOCAL_PATH.check(value, where)
        return {"true": True, "false": False}.get(text.lower(), text)


# endpoint and the key and secret, or the operator's file that holds them (config/api_credentials.py)
API = Record({"endpoint": f(ApiUrl()), **_secret_fields("key"), **_secret_fields("secret"),
              "verify": f(Verify()), "insecure": f(Bool(), False), **OPERATOR_FIELDS})
SSH = Record({
    "user": f(USER, "root"), "port": f(PORT, 22), "private_key": f(LOCAL_PATH, REQUIRED),
    "known_hosts": f(LOCAL_PATH, REQUIRED), "connect_timeout": f(seconds(300), 15),
    "command_timeout": f(seconds(3600), 120), "max_connections": f(Bounded(1, 256), 16),
})
# XenServer and KVM system VMs are reached from the host they run on, at their link-local
# address; VMware ones from a management server, at their private address ([CS-DOCS-SYSTEMVM]).
SYSTEM_VMS = Record({
    "port": f(PORT, 3922),
    "key_on_host": f(REMOTE_PATH, "/root/.ssh/id_rsa.cloud"),
    "vmware_jump_host": f(Optional(NAME)),
    "key_on_jump_host": f(REMOTE_PATH, "/var/lib/cloudstack/management/.ssh/id_rsa"),
    # pinned: each VM's key is pinned by its CloudStack id on first use (reports/system-vm-host-keys.json);
    # known_hosts: checked against ssh.known_hosts by [address]:port, for sites that maintain it.
    "host_keys": f(Enum("pinned", "known_hosts"), "pinned"),
    # with pinned: a file of the templates' key fingerprints; each VM's key must be one (no first use)
    "host_key_fingerprints": f(Optional(LOCAL_PATH)),
})
XENSERVER = Record({"username": f(USER, "root"), **_secret_fields("password"), "ca_file": f(Optional(LOCAL_PATH)),
                    "insecure": f(Bool(), False), "port": f(PORT, 443), "timeout": f(seconds(300), 30)})
# aliases: the other names replicas may give this server as their source (Master_Host / Source_Host
# is whatever CHANGE MASTER was given); name and address always count.
DATABASE_SERVER = Record({"name": f(NAME, REQUIRED), "address": f(Host(), REQUIRED), "port": f(PORT, 3306),
                          "ssh_address": f(Optional(Host())), "aliases": f(ListOf(Host()), list)})
# ca_file: the CA that signed the servers' certificates (TLS with host-name verification); no
# ca_file is refused unless `insecure: true` is written (issue 18: a credential goes only to the
# machine it belongs to, over a channel that proves that machine's identity).
DATABASES = Record({"user": f(USER, REQUIRED), **_secret_fields("password"),
                    "ca_file": f(Optional(LOCAL_PATH)), "insecure": f(Bool(), False),
                    "servers": f(NonEmptyList(DATABASE_SERVER), REQUIRED)})
# deployment: how CloudStack is installed there; "war" (MS-WAR-LAYOUT): dropped into Tomcat as
# [BERGSMA-OPS] describes, as before embedded Jetty (4.9 per the install guide) or in custom builds
MANAGEMENT_SERVER = Record({"name": f(NAME, REQUIRED), "ssh_address": f(Optional(Host())),
                            "deployment": f(Enum("package", "war"), "package")})
# MS-TLS-LIBSSL-PATCHED: the OpenSSL-based TLS front ends of the UI/API (nginx, haproxy, apache in
# front of the management servers); the API does not list them. port: where they terminate TLS.
TLS_FRONTEND = Record({"name": f(NAME, REQUIRED), "ssh_address": f(Host(), REQUIRED), "port": f(PORT, 443)})
INVENTORY = Record({
    "cloud": f(Record({"name": f(NAME, REQUIRED), "api": f(API, REQUIRED)}), REQUIRED),
    "ssh": f(SSH, REQUIRED),
    "system_vms": f(SYSTEM_VMS, dict),
    "xenserver": f(Optional(XENSERVER)),
    "databases": f(Optional(DATABASES)),
    "management_servers": f(ListOf(MANAGEMENT_SERVER), list),
    "tls_frontends": f(ListOf(TLS_FRONTEND), list),
    "policy": f(Optional(LOCAL_PATH)),
})


@dataclass(frozen=True)
class ApiSettings:
    endpoint: str
    key: SecretSource | KnownSecret     # KnownSecret: read from the operator's file or CLOUDSTACK_* variables
    secret: SecretSource | KnownSecret
    verify: bool | str
    insecure: bool = False      # cloud.api.insecure: true, the explicit opt-out that allows http:// or verify: false


@dataclass(frozen=True)
class SshSettings:
    user: str
    port: int
    private_key: Path
    known_hosts: Path
    connect_timeout: int       # seconds
    command_timeout: int
    max_connections: int


@dataclass(frozen=True)
class SystemVmAccess:
    port: int
    key_on_host: str
    vmware_jump_host: str | None     # a management server's name
    key_on_jump_host: str
    host_keys: str = "pinned"        # or "known_hosts"
    host_key_fingerprints: Path | None = None    # the fingerprints file (config/host_key_fingerprints.py)
    fingerprints: frozenset[str] = frozenset()   # its fingerprints


@dataclass(frozen=True)
class XenServerSettings:
    username: str
    password: SecretSource
    ca_file: Path | None        # None only with insecure
    port: int
    timeout: int
    insecure: bool = False      # xenserver.insecure: true, the explicit opt-out from TLS verification


@dataclass(frozen=True)
class DatabaseServer:
    name: str
    address: str
    port: int
    ssh_address: str | None
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class DatabaseSettings:
    user: str
    password: SecretSource
    servers: tuple[DatabaseServer, ...]
    ca_file: Path | None = None      # None only with insecure: TLS is then not verified
    insecure: bool = False


@dataclass(frozen=True)
class ManagementServer:
    name: str
    ssh_address: str | None
    deployment: str = "package"


@dataclass(frozen=True)
class TlsFrontend:
    name: str
    ssh_address: str
    port: int = 443


@dataclass(frozen=True)
class Inventory:
    path: Path
    cloud_name: str
    api: ApiSettings
    ssh: SshSettings
    system_vms: SystemVmAccess
    xenserver: XenServerSettings | None
    databases: DatabaseSettings | None
    management_servers: tuple[ManagementServer, ...]
    policy_path: Path | None
    sha256: str     # of the bytes this inventory was read from (the report names them)
    tls_frontends: tuple[TlsFrontend, ...] = ()

    @property
    def insecure_channels(self) -> tuple[str, ...]:
        """The channels whose TLS the inventory's explicit `insecure: true` leaves unverified (summary.json)."""
        sections = (("cloud.api", self.api), ("databases", self.databases), ("xenserver", self.xenserver))
        return tuple(name for name, section in sections if section is not None and section.insecure)


# What each channel is, for the evidence of a result whose facts came over it unverified.
CHANNEL_NAMES = {"cloud.api": "the CloudStack API", "databases": "MariaDB/MySQL", "xenserver": "XAPI"}


def unverified_tls_note(channel: str) -> str:
    """The evidence line of a result whose facts came over `channel` without a verified certificate."""
    return (f"TLS not verified: these facts came from {CHANNEL_NAMES[channel]} over a connection whose certificate "
            f"was not checked ({channel}.insecure: true in the inventory); whoever answered there could have "
            "written them")


@dataclass(frozen=True)
class InventoryReading:
    """What one reading of an inventory gave: the inventory (None when it has mistakes, each in the
    Problems) and the policy file it names, when its `policy` key could be read (policy_known)."""
    inventory: Inventory | None
    policy_path: Path | None = None
    policy_known: bool = False


def load_inventory(path: Path, known_hosts_may_be_empty: bool = False) -> Inventory:
    """The inventory at `path`, with every file it names checked and every secret it names set;
    ConfigError with the first mistake (`known_hosts_may_be_empty`: ssh.known_hosts may be missing or
    hold no key yet)."""
    inventory = read_inventory(path, Problems(error=ConfigError), known_hosts_may_be_empty).inventory
    assert inventory is not None    # a Problems that does not collect raised the first mistake
    return inventory


def read_inventory(path: Path, problems: Problems, known_hosts_may_be_empty: bool = False) -> InventoryReading:
    """The inventory at `path`, its checks run as independent steps (problems.py): a section that
    failed the schema is not checked further, and the steps run in the order that makes the first
    mistake the one `run` reports."""
    where = f"{shown_path(path)}:"
    before = len(problems.lines)
    try:
        read = read_yaml_file(path, "check the --inventory path", ConfigError)
    except ConfigError as err:
        problems.add(err)
        return InventoryReading(None)
    data = INVENTORY.check_sections(read.data, where, problems)
    base = path.parent

    def local(value: str | None) -> Path | None:
        return None if value is None else (base / Path(value).expanduser())

    def secret(section: dict, name: str, at: str) -> SecretSource | None:
        with problems.step():
            return secret_source(section, name, at, local)
        return None

    api = data["cloud"]["api"] if "cloud" in data else None
    api_at = child(child(where, "cloud"), "api")
    ssh = data.get("ssh")
    ssh_at = child(where, "ssh")
    if ssh is not None:
        with problems.step():
            check_private_key(local(ssh["private_key"]), child(ssh_at, "private_key"))
        with problems.step():
            check_known_hosts(local(ssh["known_hosts"]), child(ssh_at, "known_hosts"), known_hosts_may_be_empty)
    api_source = None
    if api is not None:
        with problems.step():
            api_source = read_api(api, api_at, local)
    xen = data.get("xenserver")
    if xen is not None:
        with problems.step():
            check_tls_choice(xen, local(xen["ca_file"]), child(where, "xenserver"))
    dbs = data.get("databases")
    if dbs is not None:
        with problems.step():
            unique_names(dbs["servers"], child(child(where, "databases"), "servers"))
        with problems.step():
            check_tls_choice(dbs, local(dbs["ca_file"]), child(where, "databases"))
    for key in ("management_servers", "tls_frontends"):
        if key in data:
            with problems.step():
                unique_names(data[key], child(where, key))
    # The API's key and secret: the operator's file's (read_api), else the inventory's own, read as every
    # other secret of it; not looked for when cloud.api itself could not be read.
    key = api_secret = None
    if api_source is not None:
        key = api_source.key or secret(api, "key", api_at)
        api_secret = api_source.secret or secret(api, "secret", api_at)
    system_vms = None
    if "system_vms" in data:
        with problems.step():
            system_vms = system_vm_access(data["system_vms"], local, child(where, "system_vms"))
    xen_password = None if xen is None else secret(xen, "password", child(where, "xenserver"))
    db_password = None if dbs is None else secret(dbs, "password", child(where, "databases"))
    if "system_vms" in data and "management_servers" in data:
        with problems.step():
            check_jump_host(data["system_vms"]["vmware_jump_host"], data["management_servers"],
                            child(child(where, "system_vms"), "vmware_jump_host"))
    policy_path = local(data.get("policy"))
    if policy_path is not None:
        with problems.step():
            if not policy_path.exists():
                raise ConfigError(f"{child(where, 'policy')}: {shown_path(policy_path)} does not exist; fix the "
                                  "path or remove the key to use the default policy")
    reading = InventoryReading(None, policy_path, "policy" in data and (policy_path is None or policy_path.exists()))
    if len(problems.lines) > before:
        return reading
    return replace(reading, inventory=Inventory(
        path=path, cloud_name=data["cloud"]["name"],
        api=ApiSettings(api_source.endpoint, key, api_secret, api_source.verify, api["insecure"]),
        ssh=SshSettings(ssh["user"], ssh["port"], local(ssh["private_key"]), local(ssh["known_hosts"]),
                        ssh["connect_timeout"], ssh["command_timeout"], ssh["max_connections"]),
        system_vms=system_vms,
        xenserver=None if xen is None else XenServerSettings(
            xen["username"], xen_password, local(xen["ca_file"]), xen["port"], xen["timeout"], xen["insecure"]),
        databases=None if dbs is None else DatabaseSettings(
            dbs["user"], db_password,
            tuple(DatabaseServer(**{**s, "aliases": tuple(s["aliases"])}) for s in dbs["servers"]),
            local(dbs["ca_file"]), dbs["insecure"]),
        management_servers=tuple(ManagementServer(**m) for m in data["management_servers"]),
        policy_path=policy_path, sha256=read.sha256,
        tls_frontends=tuple(TlsFrontend(**t) for t in data["tls_frontends"])))


def check_jump_host(jump: str | None, management_servers: list[dict], where: str) -> None:
    if jump is not None and jump not in {m["name"] for m in management_servers if m["ssh_address"]}:
        raise ConfigError(f"{where}: {shown(jump)} is not a management server with an ssh_address in "
                          "management_servers; name one")


@dataclass(frozen=True)
class ApiSource:
    """cloud.api's endpoint and TLS verification, checked; its key and secret when the operator's file
    gave them (None: the inventory's own key_*/secret_*, read as every other secret of it)."""
    endpoint: str
    verify: bool | str
    key: KnownSecret | None = None
    secret: KnownSecret | None = None


def read_api(api: dict, at: str, local) -> ApiSource:
    """cloud.api's endpoint as it gives it, or with the key from the operator's file it names
    (config/api_credentials.py); the CA bundle and the TLS rules checked alike for both."""
    operator = operator_credentials(api, at, local)
    if operator is not None:
        source, places = ApiSource(operator.endpoint, operator.verify, operator.key, operator.secret), operator.places
    elif api["endpoint"] is None:
        raise ConfigError(f"{child(at, 'endpoint')}: missing; expected an http(s) URL such as "
                          "https://cloud.example.com/client/api, or name the operator's file: cloudstack_ini: REGION "
                          "or cmk_profile: NAME")
    else:
        verify = True if api["verify"] is None else api["verify"] if isinstance(api["verify"], bool) else \
            str(local(api["verify"]))
        source = ApiSource(api["endpoint"], verify)
        places = ApiTlsPlaces(child(at, "endpoint"), f"{child(at, 'verify')}: false", "give true or a CA bundle's path",
                              child(at, "verify"))
    if isinstance(source.verify, str):
        check_ca_file(Path(source.verify), places.bundle)
    check_api_tls(source.endpoint, source.verify, api["insecure"], at, places)
    return source


def check_api_tls(endpoint: str, verify: bool | str, insecure: bool, where: str, places: ApiTlsPlaces) -> None:
    """http:// or verify: false only with cloud.api.insecure: true, written out; and that only where it
    weakens something (summary.json lists the channel as not verified)."""
    plain = endpoint.lower().startswith("http://")
    if plain and not insecure:
        raise ConfigError(f"{places.endpoint}: {shown(endpoint)} is not TLS: the API key and every answer travel in "
                          "clear text; use https://, or set cloud.api.insecure: true to accept that")
    if verify is False and not insecure:
        raise ConfigError(f"{places.verify_off} turns off the API's TLS certificate check, so anyone on the path can "
                          f"answer as the API; {places.verify_fix}, or set cloud.api.insecure: true to accept that")
    if insecure and not plain and verify is not False:
        raise ConfigError(f"{child(where, 'insecure')}: true, but the endpoint is https:// and its certificate is "
                          "verified; remove it")


def system_vm_access(section: dict, local, where: str) -> SystemVmAccess:
    listed = local(section["host_key_fingerprints"])
    if listed is None:
        return SystemVmAccess(**{**section, "host_key_fingerprints": None})
    at = child(where, "host_key_fingerprints")
    if section["host_keys"] != "pinned":
        raise ConfigError(f"{at}: given with host_keys: {section['host_keys']}, which checks keys against "
                          "ssh.known_hosts; remove one of the two")
    return SystemVmAccess(**{**section, "host_key_fingerprints": listed, "fingerprints": read_fingerprints(listed, at)})


def check_tls_choice(section: dict, ca_file: Path | None, at: str) -> None:
    """A CA file to verify the servers against, or `insecure: true` written out: never neither, never both."""
    if ca_file is not None and section["insecure"]:
        raise ConfigError(f"{child(at, 'insecure')}: true, but ca_file is given too; remove insecure to verify "
                          "TLS against ca_file, or remove ca_file")
    if ca_file is None and not section["insecure"]:
        raise ConfigError(f"{child(at, 'ca_file')}: missing; give the CA bundle (PEM) that signed the servers' TLS "
                          "certificates, or write insecure: true to connect without verifying them")
    if ca_file is not None:
        check_ca_file(ca_file, child(at, "ca_file"))


def unique_names(entries: list[dict], where: str) -> None:
    """Each name is a target id (`db://NAME`, `mgmt://NAME`, `tls-frontend://NAME`): two entries of one name would be one target."""
    first: dict[str, int] = {}
    for index, entry in enumerate(entries):
        if entry["name"] in first:
            raise ConfigError(f"{where}[{index}].name: {shown(entry['name'])} is also {where.rsplit(' ', 1)[-1]}"
                              f"[{first[entry['name']]}]'s name; give each its own")
        first[entry["name"]] = index
