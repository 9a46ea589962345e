"""The cs client's configuration read as cs itself reads it: each case runs cs's own `read_config`
(the pinned cs, from .venv) and stackaudit/config/cloudstack_ini.py on the same files, variables,
home and working directory, and compares what they return, or that both refuse.

Cases: the README's example, the cases of cs's own tests.py (ConfigTest), and odd but valid forms.
"""
from __future__ import annotations

import configparser
import os
from pathlib import Path

import cs
import cs.client
import pytest

from stackaudit.config import cloudstack_ini
from stackaudit.config.cloudstack_ini import default_files, read_cs_config
from stackaudit.errors import ConfigError

DATA = Path(__file__).resolve().parent.parent / "data" / "credentials"
README_INI = (DATA / "cloudstack-readme.ini").read_text()
# cs tests.py, ConfigTest.test_current_dir_config and test_env_var_combined_with_dir_config
CS_TEST_CURRENT_DIR = ("[cloudstack]\nendpoint = https://api.example.com/from-file\nkey = test key from file\n"
                       "secret = test secret from file\ndangerous_no_tls_verify = true\ntheme = monokai\n"
                       "other = please ignore me\nheader_x-custom-header1 = foo\nheader_x-custom-header2 = bar\n"
                       "timeout = 50")
CS_TEST_HANIBAL = ("[hanibal]\nendpoint = https://api.example.com/from-file\nkey = test key from file\n"
                   "secret = secret from file\ntheme = monokai\nother = please ignore me\ntimeout = 50")
CS_TEST_ENV = {"CLOUDSTACK_ENDPOINT": "https://api.example.com/from-env", "CLOUDSTACK_KEY": "test key from env",
               "CLOUDSTACK_SECRET": "test secret from env"}
LAB = "[lab]\nendpoint = https://198.18.0.11:8080/client/api\nkey = K-file\nsecret = S-file\n"
ODD = """
# a comment, then the section
  ; an indented comment
[DEFAULT]
timeout = 30
verify = /etc/ssl/site-ca.pem

[Prod]
ENDPOINT : https://cloud.example.com/client/api
key=  K-odd
secret = S-odd # not a comment to configparser
retry =
method = post
dangerous_no_tls_verify = Off

[other]
endpoint = https://other.example.com/client/api
"""
CONTINUED = "[lab]\nendpoint = https://198.18.0.11:8080/client/api\nkey = K\n  continued\nsecret = S\n"


def case(name, region, files=None, env=None, config_file=None):
    """files: {"home": text, "work": text}; config_file: text of the file CLOUDSTACK_CONFIG names."""
    return pytest.param(region, files or {}, env or {}, config_file, id=name)


SAME = [
    case("readme-default-region", "cloudstack", {"home": README_INI}),
    case("readme-other-region", "region-example", {"home": README_INI}),
    case("cs-tests-current-dir", "cloudstack", {"work": CS_TEST_CURRENT_DIR}),
    case("cs-tests-env-with-overrides", "hanibal", {"work": CS_TEST_HANIBAL},
         {**CS_TEST_ENV, "CLOUDSTACK_DANGEROUS_NO_TLS_VERIFY": "1", "CLOUDSTACK_OVERRIDES": "endpoint,secret"}),
    case("cs-tests-env-only", "lab", {"home": LAB}, CS_TEST_ENV),
    case("env-endpoint-alone-reads-no-file", "lab", {"home": LAB}, {"CLOUDSTACK_ENDPOINT": "https://e/client/api"}),
    case("env-key-under-the-file", "lab", {"home": LAB}, {"CLOUDSTACK_KEY": "K-env", "CLOUDSTACK_VERIFY": "/ca.pem"}),
    case("env-key-where-the-file-has-none", "lab", {"home": LAB.replace("key = K-file\n", "")},
         {"CLOUDSTACK_KEY": "K-env"}),
    case("overrides-name-a-key-not-set", "lab", {"home": LAB + "verify = /ca.pem\n"}, {"CLOUDSTACK_OVERRIDES": "verify"}),
    case("working-directory-over-home", "lab", {"home": LAB, "work": LAB.replace("K-file", "K-work")}),
    case("config-variable-over-both", "lab", {"home": LAB, "work": LAB}, {}, LAB.replace("S-file", "S-config")),
    case("config-variable-alone", "lab", {}, {}, LAB),
    case("odd-but-valid", "Prod", {"home": ODD}),
    case("continued-value", "lab", {"home": CONTINUED}),
    case("default-section-as-region", "DEFAULT", {"home": ODD.replace("timeout = 30", "endpoint = https://d/api")}),
    case("default-section-under-each-region", "other", {"home": ODD}),
    case("empty-values-dropped", "lab", {"home": LAB + "verify =\ntimeout =\n"}),
    case("dangerous-text-left-as-text", "lab", {"home": LAB + "dangerous_no_tls_verify = maybe\n"}),
]
BOTH_REFUSE = [
    case("no-file-no-variables", "lab"),
    case("no-such-region", "staging", {"home": LAB}),
    case("region-names-are-case-sensitive", "LAB", {"home": LAB}),
    case("no-endpoint", "lab", {"home": "[lab]\nkey = K\nsecret = S\n"}),
    case("key-twice", "lab", {"home": LAB + "key = again\n"}),
    case("line-before-any-section", "lab", {"home": "endpoint = https://e/client/api\n" + LAB}),
    case("not-key-value", "lab", {"home": LAB + "just words\n"}),
    case("percent-not-interpolable", "lab", {"home": LAB.replace("S-file", "S%file")}),
]


def prepare(tmp_path, monkeypatch, files, env, config_file) -> None:
    for name in [n for n in os.environ if n.startswith("CLOUDSTACK_")]:
        monkeypatch.delenv(name)
    home, work = tmp_path / "home", tmp_path / "work"
    home.mkdir()
    work.mkdir()
    places = {"home": home / ".cloudstack.ini", "work": work / "cloudstack.ini"}
    for where, text in files.items():
        places[where].write_text(text)
    if config_file is not None:
        (home / "custom.ini").write_text(config_file)
        monkeypatch.setenv("CLOUDSTACK_CONFIG", "~/custom.ini")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.chdir(work)


def ours(region: str):
    candidates = default_files(os.environ, os.path.expanduser("~"), os.getcwd())
    return read_cs_config(region, candidates, os.environ, lambda path: path.read_text(), "inventory.yml: cs")


def test_the_copied_keys_defaults_and_words_are_those_of_the_pinned_cs():
    assert cloudstack_ini.REQUIRED_CONFIG_KEYS == cs.client.REQUIRED_CONFIG_KEYS
    assert cloudstack_ini.ALLOWED_CONFIG_KEYS == cs.client.ALLOWED_CONFIG_KEYS
    assert cloudstack_ini.DEFAULT_CONFIG == cs.client.DEFAULT_CONFIG
    for words, meaning in ((cloudstack_ini.TRUE_WORDS, True), (cloudstack_ini.FALSE_WORDS, False)):
        assert all(cs.client.strtobool(word) is meaning and cs.client.strtobool(word.upper()) is meaning
                   for word in words)
    with pytest.raises(ValueError):
        cs.client.strtobool("maybe")
    for key in ("key", "header_x-auth", "headers", "name", "other", "Key"):
        assert cloudstack_ini.check_key(key, cloudstack_ini.KNOWN_KEYS) == \
            cs.client.check_key(key, cs.client.REQUIRED_CONFIG_KEYS | cs.client.ALLOWED_CONFIG_KEYS)


@pytest.mark.parametrize("region, files, env, config_file", SAME)
def test_the_reading_is_that_of_cs(tmp_path, monkeypatch, region, files, env, config_file):
    prepare(tmp_path, monkeypatch, files, env, config_file)
    assert ours(region).values == cs.read_config(region)


@pytest.mark.parametrize("region, files, env, config_file", BOTH_REFUSE)
def test_what_cs_refuses_is_refused(tmp_path, monkeypatch, region, files, env, config_file):
    prepare(tmp_path, monkeypatch, files, env, config_file)
    with pytest.raises((SystemExit, ValueError, configparser.Error)):
        cs.read_config(region)
    with pytest.raises(ConfigError, match=r"^inventory\.yml: cs: "):
        ours(region)


def test_where_each_value_came_from(tmp_path, monkeypatch):
    prepare(tmp_path, monkeypatch, {"home": LAB, "work": "[lab]\ntheme = fruity\n"}, {"CLOUDSTACK_SECRET": "S-env",
            "CLOUDSTACK_KEY": "K-env", "CLOUDSTACK_OVERRIDES": "secret"}, None)
    config = ours("lab")
    home, work = tmp_path / "home" / ".cloudstack.ini", tmp_path / "work" / "cloudstack.ini"
    assert config.files == (home, work)
    assert (config.values["key"], config.values["secret"]) == ("K-file", "S-env")
    assert config.place("key") == f"{home} + {work} [lab] key"
    assert config.place("secret") == "environment variable CLOUDSTACK_SECRET"


def test_the_variables_alone_read_no_file(tmp_path, monkeypatch):
    prepare(tmp_path, monkeypatch, {"home": "not an ini file at all"}, CS_TEST_ENV, None)
    config = ours("anything")
    assert config.files == () and config.values["endpoint"] == "https://api.example.com/from-env"
    assert config.place("endpoint") == "environment variable CLOUDSTACK_ENDPOINT"


@pytest.mark.parametrize("text, problem", [
    (LAB + "key = again\n", "line 5 sets 'key' a second time in [lab]"),
    ("endpoint = https://e/client/api\n" + LAB, "line 1 comes before any [section]"),
    (LAB + "just words\n", "line 5 is neither `key = value`, a [section] nor a comment"),
    (LAB + "[lab]\n", "line 5 starts [lab] a second time"),
])
def test_a_file_cs_cannot_read_is_named_with_its_line_and_never_quoted(tmp_path, monkeypatch, text, problem):
    prepare(tmp_path, monkeypatch, {"home": text.replace("S-file", "Planted-Secret")}, {}, None)
    with pytest.raises(ConfigError) as raised:
        ours("lab")
    path = tmp_path / "home" / ".cloudstack.ini"
    assert str(raised.value) == (f"inventory.yml: cs: {path}: {problem}, so the cs client cannot read it either; "
                                 "fix that line")


def test_refusals_name_the_files_the_section_and_the_fix(tmp_path, monkeypatch):
    prepare(tmp_path, monkeypatch, {"home": LAB + "[other]\nkey = x\n"}, {}, None)
    home = tmp_path / "home" / ".cloudstack.ini"
    with pytest.raises(ConfigError) as raised:
        ours("staging")
    assert str(raised.value) == (f"inventory.yml: cs: {home} has no section [staging] (its sections: 'lab', 'other'); "
                                 "add the region's section with endpoint, key and secret, or name one of those")
    with pytest.raises(ConfigError) as raised:
        ours("other")
    assert str(raised.value) == (f"inventory.yml: cs: {home} [other]: no endpoint; add `endpoint = ...` to the "
                                 "section, or export CLOUDSTACK_ENDPOINT")
    home.unlink()
    with pytest.raises(ConfigError) as raised:
        ours("lab")
    assert str(raised.value) == (
        f"inventory.yml: cs: no cs configuration file; tried {home} + {tmp_path / 'work' / 'cloudstack.ini'}: "
        "write [lab] with endpoint, key and secret in ~/.cloudstack.ini (mode 0600), or export CLOUDSTACK_ENDPOINT, "
        "CLOUDSTACK_KEY and CLOUDSTACK_SECRET")
