"""The `cs` CloudStack client's configuration, read as its `read_config(region)` reads it.

From cs 5.2.0 (the version requirements.txt pins), cs/client.py `read_config` and
`read_config_from_ini` (https://github.com/ngine-io/cs, README "Configuration"):
- each key cs knows may come from a variable CLOUDSTACK_<KEY> (CLOUDSTACK_ENDPOINT, CLOUDSTACK_KEY,
  CLOUDSTACK_SECRET, CLOUDSTACK_VERIFY, CLOUDSTACK_DANGEROUS_NO_TLS_VERIFY, CLOUDSTACK_TIMEOUT ...).
  When the variables name the endpoint and CLOUDSTACK_OVERRIDES is unset, that is all: no file is
  read, and the region is not looked at;
- otherwise ~/.cloudstack.ini, ./cloudstack.ini and the file CLOUDSTACK_CONFIG names are read, in
  that order, by one ConfigParser (a key of a later file wins), and the region's section is laid
  over the variables, except the keys CLOUDSTACK_OVERRIDES lists, where the variable wins; empty
  values and keys cs does not know are left out;
- `dangerous_no_tls_verify` is read as a boolean (true/yes/on/1, false/no/off/0); any other text is
  left as text.

cs's keys, defaults and boolean words are copied below: only the API transport imports the cs client
(tests/unit/test_access_needs.py). The unit tests compare them with cs's own, and this reading with
cs's own `read_config` on the same files and variables (tests/unit/test_cloudstack_ini.py): a new pin
of cs that reads differently fails them. The files are read here, through the suite's own reader (a
regular file, bounded, UTF-8: stackaudit/config/files.py), never by cs.
"""
from __future__ import annotations

import configparser
import fnmatch
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Mapping

from stackaudit.config.files import shown, shown_path
from stackaudit.errors import ConfigError

# cs 5.2.0, cs/client.py: REQUIRED_CONFIG_KEYS, ALLOWED_CONFIG_KEYS, DEFAULT_CONFIG, strtobool's words
REQUIRED_CONFIG_KEYS = frozenset({"endpoint", "method", "timeout"})
ALLOWED_CONFIG_KEYS = frozenset({"key", "secret", "verify", "cert", "cert_key", "retry", "retry_backoff", "theme",
                                 "expiration", "poll_interval", "trace", "dangerous_no_tls_verify", "job_timeout",
                                 "header_*"})
DEFAULT_CONFIG = {"timeout": 10, "method": "get", "retry": 0, "verify": None, "cert": None, "cert_key": None,
                  "name": None, "expiration": 600, "poll_interval": 2.0, "trace": None, "dangerous_no_tls_verify": False}
TRUE_WORDS = ("y", "yes", "t", "true", "on", "1")
FALSE_WORDS = ("n", "no", "f", "false", "off", "0")
KNOWN_KEYS = REQUIRED_CONFIG_KEYS | ALLOWED_CONFIG_KEYS


def check_key(key: str, allowed) -> bool:
    """cs's check_key: a key cs knows, by name or by pattern (header_*)."""
    return key in allowed or any(fnmatch.fnmatch(key, pattern) for pattern in allowed)


@dataclass(frozen=True)
class CsConfig:
    """What `read_config(region)` returns, and where it came from."""
    values: dict
    files: tuple[Path, ...]         # the files read, in order; none when the variables were enough
    region: str
    from_environment: frozenset[str]    # the keys whose value is a CLOUDSTACK_* variable's

    def place(self, key: str) -> str:
        """Where `key` was read, for a message: the variable, or the files and the section."""
        if key in self.from_environment:
            return f"environment variable CLOUDSTACK_{key.upper()}"
        return f"{files_text(self.files)} [{self.region}] {key}"


def default_files(environ: Mapping[str, str], home: str, cwd: str) -> list[Path]:
    """The files cs tries, in its order: the user's, the working directory's, then CLOUDSTACK_CONFIG's."""
    paths = [Path(home, ".cloudstack.ini"), Path(cwd, "cloudstack.ini")]
    if "CLOUDSTACK_CONFIG" in environ:
        paths.append(Path(os.path.expanduser(environ["CLOUDSTACK_CONFIG"])))
    return paths


def files_text(paths) -> str:
    return " + ".join(shown_path(p) for p in paths)


def read_cs_config(region: str, candidates: list[Path], environ: Mapping[str, str],
                   read_text: Callable[[Path], str], where: str) -> CsConfig:
    """cs's configuration for `region` from these variables and those of `candidates` that exist;
    ConfigError (starting with `where`) where cs would stop, naming the file, the section and the fix."""
    from_env = {key: environ[f"CLOUDSTACK_{key.upper()}"] for key in KNOWN_KEYS
                if environ.get(f"CLOUDSTACK_{key.upper()}")}
    env_conf = dict(DEFAULT_CONFIG, **from_env)
    overrides = environ.get("CLOUDSTACK_OVERRIDES", "").strip()
    if not overrides and set(env_conf).issuperset(REQUIRED_CONFIG_KEYS):
        return CsConfig(converted(env_conf), (), region, frozenset(from_env))
    files = tuple(path for path in candidates if path.exists())
    if not files:
        raise ConfigError(f"{where}: no cs configuration file; tried {files_text(candidates)}: write [{region}] "
                          "with endpoint, key and secret in ~/.cloudstack.ini (mode 0600), or export "
                          "CLOUDSTACK_ENDPOINT, CLOUDSTACK_KEY and CLOUDSTACK_SECRET")
    section = region_section(parsed(files, read_text, where), region, files, where)
    section["name"] = region
    override_keys = {word.lower() for word in re.split(r"\W+", overrides)}
    env_wins = {key for key in from_env if key in override_keys or key not in section}
    config = dict(dict(env_conf, **section), **{k: v for k, v in env_conf.items() if k in override_keys})
    if not set(config).issuperset(REQUIRED_CONFIG_KEYS):
        missing = ", ".join(sorted(REQUIRED_CONFIG_KEYS - set(config)))
        raise ConfigError(f"{where}: {files_text(files)} [{region}]: no {missing}; add `{missing} = ...` to the "
                          f"section, or export CLOUDSTACK_{missing.upper()}")
    return CsConfig(converted(config), files, region, frozenset(env_wins))


def parsed(files: tuple[Path, ...], read_text: Callable[[Path], str], where: str) -> configparser.ConfigParser:
    """One ConfigParser over the files in order, as cs's `ConfigParser().read(paths)`."""
    conf = configparser.ConfigParser()
    for path in files:
        try:
            conf.read_string(read_text(path), source=str(path))
        except configparser.Error as err:
            raise ConfigError(f"{where}: {shown_path(path)}: {parse_problem(err)}, so the cs client cannot read it "
                              "either; fix that line") from None
    return conf


def parse_problem(err: configparser.Error) -> str:
    """configparser's complaint without the text of the line (it may hold a secret)."""
    if isinstance(err, configparser.MissingSectionHeaderError):
        return f"line {err.lineno} comes before any [section]"
    if isinstance(err, configparser.DuplicateOptionError):
        return f"line {err.lineno} sets {shown(err.option)} a second time in [{err.section}]"
    if isinstance(err, configparser.DuplicateSectionError):
        return f"line {err.lineno} starts [{err.section}] a second time"
    if isinstance(err, configparser.ParsingError):
        return f"line {err.errors[0][0]} is neither `key = value`, a [section] nor a comment"
    return type(err).__name__


def region_section(conf: configparser.ConfigParser, region: str, files: tuple[Path, ...], where: str) -> dict:
    """The region's keys as cs keeps them: only those it knows, only non-empty, header_* gathered."""
    if region != conf.default_section and not conf.has_section(region):
        sections = ", ".join(shown(name) for name in conf.sections()[:10]) or "none"
        raise ConfigError(f"{where}: {files_text(files)} has no section [{region}] (its sections: {sections}); "
                          "add the region's section with endpoint, key and secret, or name one of those")
    try:
        items = conf.items(region)
    except configparser.InterpolationError as err:
        raise ConfigError(f"{where}: {files_text(files)} [{region}] {err.option}: a '%' configparser cannot "
                          "interpolate, so the cs client cannot read it either; write %% for a literal %") from None
    section = {key: value for key, value in items if value and check_key(key, KNOWN_KEYS)}
    for key in [k for k in section if k.startswith("header_")]:
        section.setdefault("headers", {})[key[len("header_"):]] = section.pop(key)
    return section


def converted(config: dict) -> dict:
    """cs's `_convert_booleans`: the boolean settings' text as booleans, text it cannot read left as it is."""
    for key in ("dangerous_no_tls_verify", "trace"):
        if isinstance(config.get(key), str) and config[key].lower() in TRUE_WORDS + FALSE_WORDS:
            config[key] = config[key].lower() in TRUE_WORDS
    return config
