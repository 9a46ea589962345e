"""cloud.api from the operator's own files (stackaudit/config/api_credentials.py), through load_inventory:
the cs client's cloudstack.ini and CLOUDSTACK_* variables, CloudMonkey's profiles; the same checks
as the inventory's own secret files and TLS rules; every secret read is masked."""
from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

from stackaudit.config import api_credentials
from stackaudit.config.inventory import load_inventory
from stackaudit.config.redact import redact_text
from stackaudit.errors import ConfigError
from tests.unit.config_site import ENV, ca_certificate, write_site

DATA = Path(__file__).resolve().parent.parent / "data" / "credentials"
KEY, SECRET = "Planted-Ini-Key-5d1c", "Planted-Ini-Secret-a07e"
LAB_INI = f"[lab]\nendpoint = https://198.18.0.11:8080/client/api\nkey = {KEY}\nsecret = {SECRET}\n"
CMK = (DATA / "cmk-first-run.config").read_text().replace("http://localhost:8080", "https://198.18.0.11:8080") \
    .replace("apikey    = ", f"apikey    = {KEY}").replace("secretkey = ", f"secretkey = {SECRET}")


@pytest.fixture
def site(tmp_path, monkeypatch):
    """A valid site whose cloud.api the test sets; HOME and the working directory of its own, no CLOUDSTACK_*."""
    for name in [n for n in os.environ if n.startswith("CLOUDSTACK_")]:
        monkeypatch.delenv(name)
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    home, work = tmp_path / "home", tmp_path / "work"
    home.mkdir()
    work.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.chdir(work)
    return write_site(tmp_path / "site")


def with_api(inventory: Path, api: dict) -> Path:
    document = yaml.safe_load(inventory.read_text())
    document["cloud"]["api"] = api
    inventory.write_text(yaml.safe_dump(document))
    return inventory


def private(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(0o600)
    return path


def refusal(inventory: Path) -> str:
    with pytest.raises(ConfigError) as raised:
        load_inventory(inventory)
    line = str(raised.value)
    assert "\n" not in line and KEY not in line and SECRET not in line, line
    return line.removeprefix(f"{inventory}: ")


# --- cloudstack_ini -------------------------------------------------------------------------------
def test_a_region_of_the_users_cloudstack_ini(site):
    private(Path.home() / ".cloudstack.ini", (DATA / "cloudstack-readme.ini").read_text() + "\n" + LAB_INI)
    api = load_inventory(with_api(site, {"cloudstack_ini": "lab"})).api
    assert (api.endpoint, api.key.read(), api.secret.read(), api.verify, api.insecure) == \
        ("https://198.18.0.11:8080/client/api", KEY, SECRET, True, False)
    masked = redact_text(f"read {KEY}, then {SECRET}.")
    assert KEY not in masked and SECRET not in masked
    assert KEY not in repr(api)


def test_an_explicit_file_relative_to_the_inventory_and_its_ca_bundle(site):
    ca = site.parent / "keys" / "ca.pem"
    private(site.parent / "cs.ini", LAB_INI + f"verify = {ca}\ndangerous_no_tls_verify = true\n")
    api = load_inventory(with_api(site, {"cloudstack_ini": "lab", "cloudstack_ini_file": "cs.ini"})).api
    assert api.verify == str(ca)     # cs: a CA bundle given wins over dangerous_no_tls_verify


def test_the_variables_alone_as_cs_reads_them(site, monkeypatch):
    for name, value in (("ENDPOINT", "https://198.18.0.12/client/api"), ("KEY", KEY), ("SECRET", SECRET)):
        monkeypatch.setenv(f"CLOUDSTACK_{name}", value)
    private(Path.home() / ".cloudstack.ini", LAB_INI.replace("198.18.0.11", "198.18.0.99"))
    api = load_inventory(with_api(site, {"cloudstack_ini": "lab"})).api
    assert (api.endpoint, api.key.read(), api.secret.read()) == ("https://198.18.0.12/client/api", KEY, SECRET)
    assert api.key.where.endswith("cloud.api.cloudstack_ini: environment variable CLOUDSTACK_KEY")


def test_turning_verification_off_needs_insecure_in_the_inventory(site):
    ini = private(Path.home() / ".cloudstack.ini", LAB_INI + "dangerous_no_tls_verify = yes\n")
    assert refusal(with_api(site, {"cloudstack_ini": "lab"})) == (
        f"cloud.api.cloudstack_ini: {ini} [lab] dangerous_no_tls_verify: true turns off the API's TLS certificate "
        "check, so anyone on the path can answer as the API; remove it (or give verify = a CA bundle), or set "
        "cloud.api.insecure: true to accept that")
    assert load_inventory(with_api(site, {"cloudstack_ini": "lab", "insecure": True})).api.verify is False


def test_http_needs_insecure_in_the_inventory(site):
    ini = private(Path.home() / ".cloudstack.ini", LAB_INI.replace("https:", "http:"))
    assert refusal(with_api(site, {"cloudstack_ini": "lab"})) == (
        f"cloud.api.cloudstack_ini: {ini} [lab] endpoint: 'http://198.18.0.11:8080/client/api' is not TLS: the API "
        "key and every answer travel in clear text; use https://, or set cloud.api.insecure: true to accept that")


@pytest.mark.parametrize("extra, fragment", [
    ("dangerous_no_tls_verify = maybe\n", "[lab] dangerous_no_tls_verify: 'maybe' is not a boolean the cs client reads "
                                          "(it would verify TLS then); write true or false"),
    ("cert = /etc/client.pem\n", "[lab] cert: StackAudit sends no client certificates; remove it"),
    ("header_x-auth = token\n", "[lab] header_*: StackAudit sends no extra HTTP headers; remove it"),
    ("verify = /nonexistent/ca.pem\n", "[lab] verify: /nonexistent/ca.pem: cannot read"),
    ("[other]\n", "has no section [lab]"),
])
def test_what_the_suite_cannot_use_is_one_line(site, extra, fragment):
    text = LAB_INI + extra if not extra.startswith("[") else extra
    private(Path.home() / ".cloudstack.ini", text)
    assert fragment in refusal(with_api(site, {"cloudstack_ini": "lab"}))


def test_a_missing_key_names_the_file_the_section_and_the_fix(site, monkeypatch):
    ini = private(Path.home() / ".cloudstack.ini", LAB_INI.replace(f"key = {KEY}\n", ""))
    assert refusal(with_api(site, {"cloudstack_ini": "lab"})) == (
        f"cloud.api.cloudstack_ini: {ini} [lab] key: missing; add `key = ...` to the section, or export CLOUDSTACK_KEY")
    monkeypatch.setenv("CLOUDSTACK_ENDPOINT", "https://198.18.0.12/client/api")
    assert refusal(with_api(site, {"cloudstack_ini": "lab"})) == (
        "cloud.api.cloudstack_ini: CLOUDSTACK_ENDPOINT is set and CLOUDSTACK_OVERRIDES is not, so the cs client reads "
        "the variables only, and CLOUDSTACK_KEY is not set; export it, or unset CLOUDSTACK_ENDPOINT to read the "
        "region's section of cloudstack.ini")


# --- the files' protection, for both forms --------------------------------------------------------
@pytest.mark.parametrize("api, name, text", [
    ({"cloudstack_ini": "lab"}, ".cloudstack.ini", LAB_INI),
    ({"cmk_profile": "localcloud"}, ".cmk/config", CMK),
])
def test_a_file_others_may_read_or_another_user_owns_is_refused(site, monkeypatch, api, name, text):
    path = private(Path.home() / name, text)
    form = next(iter(api))
    path.chmod(0o640)
    assert refusal(with_api(site, api)) == (f"cloud.api.{form}: {path} is open to group or others (mode 0640); "
                                            f"run chmod 600 {path}")
    path.chmod(0o600)
    if os.geteuid() == 0:       # root's own files are accepted: give this one to another user
        os.chown(path, 4242, -1)
    else:
        monkeypatch.setattr(api_credentials.os, "geteuid", lambda: os.getuid() + 1)
    owner = path.stat().st_uid
    assert refusal(with_api(site, api)).startswith(f"cloud.api.{form}: {path} is owned by uid {owner}, not by uid")


def test_a_working_directory_file_someone_planted_is_refused(site, monkeypatch):
    private(Path.home() / ".cloudstack.ini", LAB_INI)
    planted = Path.cwd() / "cloudstack.ini"
    planted.write_text("[lab]\nendpoint = https://198.18.0.66/client/api\n")
    planted.chmod(0o666)
    assert refusal(with_api(site, {"cloudstack_ini": "lab"})).startswith(
        f"cloud.api.cloudstack_ini: {planted} is open to group or others (mode 0666)")


# --- cmk_profile ----------------------------------------------------------------------------------
def test_a_cmk_profile(site):
    private(Path.home() / ".cmk" / "config", CMK)
    api = load_inventory(with_api(site, {"cmk_profile": "localcloud"})).api
    assert (api.endpoint, api.key.read(), api.secret.read(), api.verify) == \
        ("https://198.18.0.11:8080/client/api", KEY, SECRET, True)
    assert api.secret.where.endswith(".cmk/config [localcloud] secretkey")


def test_a_cmk_profile_of_an_explicit_file_with_the_sites_ca(site):
    private(site.parent / "cmk.config", CMK.replace("[localcloud]", "[prod]"))
    api = load_inventory(with_api(site, {"cmk_profile": "prod", "cmk_config_file": "cmk.config",
                                         "verify": "keys/ca.pem"})).api
    assert api.verify == str(site.parent / "keys" / "ca.pem")


def test_cmks_first_file_has_no_key(site):
    config = private(Path.home() / ".cmk" / "config", (DATA / "cmk-first-run.config").read_text())
    assert refusal(with_api(site, {"cmk_profile": "localcloud"})) == (
        f"cloud.api.cmk_profile: {config} [localcloud]: no apikey (cmk then logs in with username and password, which "
        "StackAudit does not); add `apikey = ...` to the profile")


@pytest.mark.parametrize("verifycert, fragment", [
    ("false", "config verifycert: false turns off the API's TLS certificate check, so anyone on the path can answer "
              "as the API; set verifycert = true, or set cloud.api.insecure: true to accept that"),
    (None, "config: a missing verifycert (cmk reads it as false) turns off the API's TLS certificate check"),
    ("maybe", "config verifycert: 'maybe' is not a boolean cmk reads (it would then not verify TLS); write true or false"),
])
def test_verifycert_as_cmk_reads_it(site, verifycert, fragment):
    line = "verifycert   = true\n"
    text = CMK.replace(line, "" if verifycert is None else f"verifycert = {verifycert}\n")
    private(Path.home() / ".cmk" / "config", text)
    assert fragment in refusal(with_api(site, {"cmk_profile": "localcloud"}))
    if verifycert != "maybe":
        assert load_inventory(with_api(site, {"cmk_profile": "localcloud", "insecure": True})).api.verify is False


@pytest.mark.parametrize("text, fragment", [
    (None, ".cmk/config does not exist; run cmk once to write it"),
    (CMK, "has no profile [prod] (its profiles: 'localcloud'); add it with url, apikey and secretkey"),
    (CMK.replace("url       = https", "url = ftp"), "[prod] url: found str 'ftp://198.18.0.11:8080/client/api'"),
    ("[prod\n", ".cmk/config: line 1: a [section] without its closing ], so cmk cannot read it either"),
])
def test_cmk_refusals(site, text, fragment):
    if text is not None:
        private(Path.home() / ".cmk" / "config", text.replace("[localcloud]", "[prod]") if "ftp" in text else text)
    assert fragment in refusal(with_api(site, {"cmk_profile": "prod"}))


# --- one form at a time ---------------------------------------------------------------------------
@pytest.mark.parametrize("api, line", [
    ({"cloudstack_ini": "lab", "endpoint": "https://198.18.0.1/client/api"},
     "cloud.api.endpoint: given with cloudstack_ini, which names the endpoint, key and secret; remove endpoint, or "
     "remove cloudstack_ini to give them in the inventory"),
    ({"cmk_profile": "p", "key_env": "SA_TEST_API_KEY"}, "cloud.api.key_env: given with cmk_profile"),
    ({"cloudstack_ini": "lab", "cmk_profile": "p"},
     "cloud.api.cmk_profile: given with cloudstack_ini; the API's key comes from one place: keep one of the two"),
    ({"cloudstack_ini_file": "cs.ini"}, "cloud.api.cloudstack_ini_file: given without cloudstack_ini; name the section "
                                        "to read with cloudstack_ini, or remove cloudstack_ini_file"),
    ({"cloudstack_ini": "lab", "verify": True}, "cloud.api.verify: given with cloudstack_ini, whose configuration says "
                                                "how the cs client verifies TLS"),
    ({"cmk_profile": "p", "verify": False}, "cloud.api.verify: false given with cmk_profile"),
    ({"key_env": "SA_TEST_API_KEY", "secret_file": "keys/api.secret"},
     "cloud.api.endpoint: missing; expected an http(s) URL such as https://cloud.example.com/client/api, or name the "
     "operator's file: cloudstack_ini: REGION or cmk_profile: NAME"),
    ({"cloudstack_ini": 2024}, "cloud.api.cloudstack_ini: found int 2024; expected the name of a section of the file"),
])
def test_one_form_at_a_time(site, api, line):
    assert refusal(with_api(site, api)).startswith(line)


def test_the_ca_bundle_is_checked_where_it_was_named(site):
    (site.parent / "not-a-ca.pem").write_text("nothing\n")
    private(Path.home() / ".cloudstack.ini", LAB_INI + f"verify = {site.parent / 'not-a-ca.pem'}\n")
    assert "[lab] verify: " in refusal(with_api(site, {"cloudstack_ini": "lab"}))
    private(site.parent / "ca.pem", ca_certificate())
    private(Path.home() / ".cloudstack.ini", LAB_INI + "verify = ../site/ca.pem\n")     # relative: to the cwd, as cs
    assert load_inventory(with_api(site, {"cloudstack_ini": "lab"})).api.verify == f"{Path.cwd()}/../site/ca.pem"
