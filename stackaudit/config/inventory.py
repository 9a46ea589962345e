"""The inventory: how StackAudit reaches one cloud (inventories/example.yml documents every key).

Validated in full before anything connects. A mistake is one line naming the file, the key path
and the fix (ConfigError, exit code 4). Relative paths are relative to the inventory file.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from stackaudit.errors import ConfigError
from stackaudit.config.schema import REQUIRED, Enum, Int, ListOf, Optional, Record, SchemaError, Str, child, f, read_yaml
from stackaudit.config.secrets import SecretSource

INLINE_SECRET_KEYS = ("key", "secret", "password")


def _secret_fields(name: str) -> dict:
    return {f"{name}_env": f(Optional(Str())), f"{name}_file": f(Optional(Str())), name: f(Optional(Str()))}


API = Record({"endpoint": f(Str(), REQUIRED), **_secret_fields("key"), **_secret_fields("secret"),
              "verify": f(Optional(Str()), "true")})
SSH = Record({
    "user": f(Str(), "root"), "port": f(Int(1), 22), "private_key": f(Str(), REQUIRED),
    "known_hosts": f(Str(), REQUIRED), "connect_timeout": f(Int(1), 15), "command_timeout": f(Int(1), 120),
    "max_connections": f(Int(1), 16),
})
# XenServer and KVM system VMs are reached from the host they run on, at their link-local
# address; VMware ones from a management server, at their private address ([CS-DOCS-SYSTEMVM]).
SYSTEM_VMS = Record({
    "port": f(Int(1), 3922),
    "key_on_host": f(Str(), "/root/.ssh/id_rsa.cloud"),
    "vmware_jump_host": f(Optional(Str())),
    "key_on_jump_host": f(Str(), "/var/lib/cloudstack/management/.ssh/id_rsa"),
    # pinned: each VM's key is pinned by its CloudStack id on first use (reports/system-vm-host-keys.json);
    # known_hosts: checked against ssh.known_hosts by [address]:port, for sites that maintain it.
    "host_keys": f(Enum("pinned", "known_hosts"), "pinned"),
})
XENSERVER = Record({"username": f(Str(), "root"), **_secret_fields("password"), "ca_file": f(Optional(Str())),
                    "port": f(Int(1), 443), "timeout": f(Int(1), 30)})
# aliases: the other names replicas may give this server as their source (Master_Host / Source_Host
# is whatever CHANGE MASTER was given); name and address always count.
DATABASE_SERVER = Record({"name": f(Str(), REQUIRED), "address": f(Str(), REQUIRED), "port": f(Int(1), 3306),
                          "ssh_address": f(Optional(Str())), "aliases": f(ListOf(Str()), list)})
DATABASES = Record({"user": f(Str(), REQUIRED), **_secret_fields("password"),
                    "servers": f(ListOf(DATABASE_SERVER), REQUIRED)})
MANAGEMENT_SERVER = Record({"name": f(Str(), REQUIRED), "ssh_address": f(Optional(Str()))})
INVENTORY = Record({
    "cloud": f(Record({"name": f(Str(), REQUIRED), "api": f(API, REQUIRED)}), REQUIRED),
    "ssh": f(SSH, REQUIRED),
    "system_vms": f(SYSTEM_VMS, dict),
    "xenserver": f(Optional(XENSERVER)),
    "databases": f(Optional(DATABASES)),
    "management_servers": f(ListOf(MANAGEMENT_SERVER), list),
    "policy": f(Optional(Str())),
})


@dataclass(frozen=True)
class ApiSettings:
    endpoint: str
    key: SecretSource
    secret: SecretSource
    verify: bool | str


@dataclass(frozen=True)
class SshSettings:
    user: str
    port: int
    private_key: Path
    known_hosts: Path
    connect_timeout: int
    command_timeout: int
    max_connections: int


@dataclass(frozen=True)
class SystemVmAccess:
    port: int
    key_on_host: str
    vmware_jump_host: str | None     # a management server's name
    key_on_jump_host: str
    host_keys: str = "pinned"        # or "known_hosts"


@dataclass(frozen=True)
class XenServerSettings:
    username: str
    password: SecretSource
    ca_file: Path | None
    port: int
    timeout: int


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


@dataclass(frozen=True)
class ManagementServer:
    name: str
    ssh_address: str | None


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


def load_inventory(path: Path) -> Inventory:
    where = f"{path}:"
    raw = read_yaml(path, "check the --inventory path", ConfigError)
    try:
        data = INVENTORY.check(raw, where)
    except SchemaError as err:
        raise ConfigError(str(err)) from None
    base = path.parent

    def local(value: str | None) -> Path | None:
        return None if value is None else (base / Path(value).expanduser())

    def secret(section: dict, name: str, at: str) -> SecretSource:
        if section.get(name) is not None:
            raise ConfigError(f"{child(at, name)}: inline secrets are refused; use {name}_env (an environment "
                              f"variable) or {name}_file (a file with mode 0600)")
        env, file = section.get(f"{name}_env"), section.get(f"{name}_file")
        if (env is None) == (file is None):
            raise ConfigError(f"{child(at, name + '_env')}: give exactly one of {name}_env or {name}_file")
        source = SecretSource(child(at, f"{name}_env" if env else f"{name}_file"), env, local(file))
        source.check_permissions()
        return source

    api = data["cloud"]["api"]
    api_at = child(child(where, "cloud"), "api")
    verify_text = api["verify"]
    verify: bool | str = {"true": True, "false": False}.get(verify_text.lower(), None) \
        if verify_text else True
    if verify is None:
        verify = str(local(verify_text))
    ssh = data["ssh"]
    for key in ("private_key", "known_hosts"):
        if not local(ssh[key]).is_file():
            raise ConfigError(f"{child(child(where, 'ssh'), key)}: {local(ssh[key])} does not exist; fix the path")
    xen = data["xenserver"]
    dbs = data["databases"]
    inventory = Inventory(
        path=path, cloud_name=data["cloud"]["name"],
        api=ApiSettings(api["endpoint"], secret(api, "key", api_at), secret(api, "secret", api_at), verify),
        ssh=SshSettings(ssh["user"], ssh["port"], local(ssh["private_key"]), local(ssh["known_hosts"]),
                        ssh["connect_timeout"], ssh["command_timeout"], ssh["max_connections"]),
        system_vms=SystemVmAccess(**data["system_vms"]),
        xenserver=None if xen is None else XenServerSettings(
            xen["username"], secret(xen, "password", child(where, "xenserver")), local(xen["ca_file"]),
            xen["port"], xen["timeout"]),
        databases=None if dbs is None else DatabaseSettings(
            dbs["user"], secret(dbs, "password", child(where, "databases")),
            tuple(DatabaseServer(**{**s, "aliases": tuple(s["aliases"])}) for s in dbs["servers"])),
        management_servers=tuple(ManagementServer(**m) for m in data["management_servers"]),
        policy_path=local(data["policy"]))
    jump = inventory.system_vms.vmware_jump_host
    if jump is not None and jump not in {m.name for m in inventory.management_servers if m.ssh_address}:
        raise ConfigError(f"{child(child(where, 'system_vms'), 'vmware_jump_host')}: {jump!r} is not a management "
                          "server with an ssh_address in management_servers; name one")
    if inventory.policy_path is not None and not inventory.policy_path.is_file():
        raise ConfigError(f"{child(where, 'policy')}: {inventory.policy_path} does not exist; fix the path or "
                          "remove the key to use the default policy")
    return inventory
