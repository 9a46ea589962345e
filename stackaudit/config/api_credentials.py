"""The API's endpoint and key where operators already keep them (docs/credentials.md).

Instead of `endpoint` and the key and secret, `cloud.api` may name:
- `cloudstack_ini: REGION` (optionally `cloudstack_ini_file: PATH`): the `cs` client's configuration,
  its CLOUDSTACK_* variables and cloudstack.ini files, read as cs reads them (cloudstack_ini.py);
- `cmk_profile: NAME` (optionally `cmk_config_file: PATH`, default ~/.cmk/config): a CloudMonkey
  profile, read as cmk reads it (go_ini.py).
Each file read must be a regular file of the user running the suite (or root) that no group or other
user may read or write, as the inventory's own secret files; the endpoint goes through the same TLS
rules (cloud.api.insecure: true is still the inventory's to write); the key and secret are masked
wherever the run writes, as every secret it reads (config/redact.py).
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from stackaudit.config.cloudstack_ini import CsConfig, default_files, read_cs_config
from stackaudit.config.files import shown, shown_path
from stackaudit.config.go_ini import DEFAULT, GoIni, GoIniError, parse_go_ini
from stackaudit.config.kinds import LOCAL_PATH, ApiUrl, Text
from stackaudit.config.named_files import owner_only, readable_text
from stackaudit.config.redact import remember_secret
from stackaudit.config.schema import Optional, SchemaError, child, f
from stackaudit.errors import ConfigError

FORMS = {"cloudstack_ini": "cloudstack_ini_file", "cmk_profile": "cmk_config_file"}
SECTION_NAME = Text(255, "the name of a section of the file")
OPERATOR_FIELDS = {"cloudstack_ini": f(Optional(SECTION_NAME)), "cloudstack_ini_file": f(Optional(LOCAL_PATH)),
                   "cmk_profile": f(Optional(SECTION_NAME)), "cmk_config_file": f(Optional(LOCAL_PATH))}
# The inventory's own way of naming the endpoint and the key: one or the other, never both.
OWN_KEYS = ("endpoint", "key_env", "key_file", "key", "secret_env", "secret_file", "secret")
# ini.v1's parseBool (key.go): what cmk reads as true and as false.
GO_TRUE = {"1", "t", "T", "true", "TRUE", "True", "YES", "yes", "Yes", "y", "ON", "on", "On"}
GO_FALSE = {"0", "f", "F", "false", "FALSE", "False", "NO", "no", "No", "n", "OFF", "off", "Off"}


@dataclass(frozen=True)
class KnownSecret:
    """A secret read when the inventory was loaded, from the operator's file or a CLOUDSTACK_* variable:
    the same `read()` as a SecretSource's, never shown by repr."""
    where: str
    value: str = field(repr=False, compare=False)

    def read(self) -> str:
        remember_secret(self.value)
        return self.value

    def check(self) -> None:
        self.read()


@dataclass(frozen=True)
class ApiTlsPlaces:
    """Where the endpoint and the choice of TLS verification were read, for check_api_tls's messages."""
    endpoint: str
    verify_off: str     # "<where>: <what was written>", which turned the check off
    verify_fix: str     # how to turn it on there
    bundle: str         # where a CA bundle was named


@dataclass(frozen=True)
class OperatorCredentials:
    endpoint: str
    key: KnownSecret
    secret: KnownSecret
    verify: bool | str      # True, False, or a CA bundle's path
    places: ApiTlsPlaces


def operator_credentials(api: dict, at: str, local) -> OperatorCredentials | None:
    """The endpoint, key and secret from the file `api` names, or None when it gives them itself."""
    form = chosen_form(api, at)
    if form == "cloudstack_ini":
        return from_cloudstack_ini(api["cloudstack_ini"], local(api["cloudstack_ini_file"]), child(at, form))
    if form == "cmk_profile":
        bundle = str(local(api["verify"])) if isinstance(api["verify"], str) else api["verify"]
        return from_cmk_profile(api["cmk_profile"], local(api["cmk_config_file"]), bundle, child(at, form),
                                child(at, "verify"))
    return None


def chosen_form(api: dict, at: str) -> str | None:
    for form, file_key in FORMS.items():
        if api[file_key] is not None and api[form] is None:
            raise ConfigError(f"{child(at, file_key)}: given without {form}; name the section to read with "
                              f"{form}, or remove {file_key}")
    named = [form for form in FORMS if api[form] is not None]
    if len(named) > 1:
        raise ConfigError(f"{child(at, named[1])}: given with {named[0]}; the API's key comes from one place: "
                          "keep one of the two")
    if not named:
        return None
    own = next((key for key in OWN_KEYS if api[key] is not None), None)
    if own is not None:
        raise ConfigError(f"{child(at, own)}: given with {named[0]}, which names the endpoint, key and secret; "
                          f"remove {own}, or remove {named[0]} to give them in the inventory")
    if named[0] == "cloudstack_ini" and api["verify"] is not None:
        raise ConfigError(f"{child(at, 'verify')}: given with cloudstack_ini, whose configuration says how the cs "
                          "client verifies TLS (verify = a CA bundle, dangerous_no_tls_verify); write it there")
    if named[0] == "cmk_profile" and api["verify"] is False:
        raise ConfigError(f"{child(at, 'verify')}: false given with cmk_profile, whose verifycert says whether "
                          "cmk verifies TLS; here verify may only name a CA bundle (or be true)")
    return named[0]


def operator_file_text(path: Path, where: str) -> str:
    """The file's text, if it is the user's own and protected as a secret file must be (ConfigError)."""
    text = readable_text(path, where)
    owner, euid = path.stat().st_uid, os.geteuid()
    if owner not in (euid, 0):
        raise ConfigError(f"{where}: {shown_path(path)} is owned by uid {owner}, not by uid {euid} who runs the "
                          "suite (or root): another user could change where the API key is sent; use a file "
                          "of your own")
    owner_only(path, where)
    return text


def from_cloudstack_ini(region: str, explicit: Path | None, where: str) -> OperatorCredentials:
    cwd = os.getcwd()
    candidates = [explicit] if explicit is not None else default_files(os.environ, os.path.expanduser("~"), cwd)
    config = read_cs_config(region, candidates, os.environ, lambda path: operator_file_text(path, where), where)
    for key, what in (("cert", "client certificates"), ("cert_key", "client certificates"),
                      ("headers", "extra HTTP headers")):
        if config.values.get(key):
            raise ConfigError(f"{where}: {config.place('header_*' if key == 'headers' else key)}: StackAudit sends "
                              f"no {what}; remove it, or give the API's endpoint, key and secret in the inventory")
    endpoint = checked_endpoint(config.values["endpoint"], f"{where}: {config.place('endpoint')}")
    off = config.values["dangerous_no_tls_verify"]
    if isinstance(off, str):
        raise ConfigError(f"{where}: {config.place('dangerous_no_tls_verify')}: {shown(off)} is not a boolean the "
                          "cs client reads (it would verify TLS then); write true or false")
    # cs's CloudStack.__init__: a CA bundle given wins over dangerous_no_tls_verify
    bundle = config.values["verify"]
    verify = os.path.join(cwd, bundle) if bundle else not off
    places = ApiTlsPlaces(f"{where}: {config.place('endpoint')}",
                          f"{where}: {config.place('dangerous_no_tls_verify')}: true",
                          "remove it (or give verify = a CA bundle)", f"{where}: {config.place('verify')}")
    return OperatorCredentials(endpoint, cs_secret(config, "key", where), cs_secret(config, "secret", where),
                               verify, places)


def cs_secret(config: CsConfig, key: str, where: str) -> KnownSecret:
    value = config.values.get(key)
    if value:
        return known_secret(value, f"{where}: {config.place(key)}")
    variable = f"CLOUDSTACK_{key.upper()}"
    if not config.files:
        raise ConfigError(f"{where}: CLOUDSTACK_ENDPOINT is set and CLOUDSTACK_OVERRIDES is not, so the cs client "
                          f"reads the variables only, and {variable} is not set; export it, or unset "
                          "CLOUDSTACK_ENDPOINT to read the region's section of cloudstack.ini")
    raise ConfigError(f"{where}: {config.place(key)}: missing; add `{key} = ...` to the section, or export {variable}")


def from_cmk_profile(profile: str, explicit: Path | None, verify, where: str, verify_at: str) -> OperatorCredentials:
    path = explicit or Path(os.path.expanduser("~"), ".cmk", "config")
    if not os.path.exists(path):
        raise ConfigError(f"{where}: {shown_path(path)} does not exist; run cmk once to write it and set the "
                          f"profile's url, apikey and secretkey, or give cmk_config_file")
    try:
        ini = parse_go_ini(operator_file_text(path, where))
    except GoIniError as err:
        raise ConfigError(f"{where}: {shown_path(path)}: {err}, so cmk cannot read it either; fix that line") from None
    if not ini.has_section(profile):
        names = ", ".join(shown(name) for name in list(ini.sections)[1:11]) or "none"
        raise ConfigError(f"{where}: {shown_path(path)} has no profile [{profile}] (its profiles: {names}); add "
                          "it with url, apikey and secretkey, or name one of those")
    place = f"{shown_path(path)} [{profile}]"
    values = {}
    for key in ("url", "apikey", "secretkey"):
        values[key] = ini.value(profile, key)
        if not values[key]:
            login = " (cmk then logs in with username and password, which StackAudit does not)" if key != "url" else ""
            raise ConfigError(f"{where}: {place}: no {key}{login}; add `{key} = ...` to the profile")
    verifycert, written = cmk_verifycert(ini, where, path)
    if not verifycert and isinstance(verify, str):
        raise ConfigError(f"{where}: {written} means cmk does not verify TLS, but cloud.api.verify names a CA bundle; "
                          "set verifycert = true, or remove verify")
    places = ApiTlsPlaces(f"{where}: {place} url", f"{where}: {written}", "set verifycert = true", verify_at)
    return OperatorCredentials(checked_endpoint(values["url"], f"{where}: {place} url"),
                               known_secret(values["apikey"], f"{where}: {place} apikey"),
                               known_secret(values["secretkey"], f"{where}: {place} secretkey"),
                               (verify or True) if verifycert else False, places)


def cmk_verifycert(ini: GoIni, where: str, path: Path) -> tuple[bool, str]:
    """cmk's verifycert (a setting of the whole file, before any profile) and how it was written.

    cmk maps the file's first section onto a fresh Core (config.go saveConfig, `new(Core)` then
    MapTo): a missing verifycert, or one ini.v1 cannot read as a boolean, leaves it false."""
    text = ini.value(DEFAULT, "verifycert")
    if text is None:
        return False, f"{shown_path(path)}: a missing verifycert (cmk reads it as false)"
    if text not in GO_TRUE | GO_FALSE:
        raise ConfigError(f"{where}: {shown_path(path)} verifycert: {shown(text)} is not a boolean cmk reads (it "
                          "would then not verify TLS); write true or false")
    return text in GO_TRUE, f"{shown_path(path)} verifycert: {text}"


def checked_endpoint(value: str, where: str) -> str:
    try:
        return ApiUrl().check(value, where)
    except SchemaError as err:
        raise ConfigError(str(err)) from None


def known_secret(value: str, where: str) -> KnownSecret:
    if any(c.isspace() for c in value):
        raise ConfigError(f"{where}: holds spaces or more than one line; keep only the key on its line")
    secret = KnownSecret(where, value)
    secret.check()
    return secret
