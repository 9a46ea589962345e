"""XAPI records (XML-RPC: ints arrive as decimal strings, maps as dicts)."""
from __future__ import annotations

from dataclasses import dataclass

from stackaudit.errors import UnparsableOutput
from stackaudit.parsers.numbers import read_ocaml_int

DEFAULT_TIMEOUT_TEXT = "no explicit timeout: XenServer's default applies"


@dataclass(frozen=True)
class PoolHA:
    enabled: bool
    timeout: int | None       # ha_configuration["timeout"]; None when the key is absent
    timeout_text: str


def parse_pool_ha(pool: dict) -> PoolHA:
    """A pool record's HA fields: `ha_enabled` and the HA timeout, found where XAPI looks for it.

        {"ha_enabled": True, "ha_configuration": {"timeout": "180"}, "other_config": {...}, ...}

    XAPI (ocaml/xapi/xapi_ha.ml, Timeouts.get_base_t) takes `ha_configuration["timeout"]`, else the
    pool's persistent override `other_config["default_ha_timeout"]` (Xapi_globs.default_ha_timeout),
    else its built-in base; only the last is "no explicit timeout".
    """
    try:
        enabled, configuration = pool["ha_enabled"], pool["ha_configuration"]
    except (KeyError, TypeError):
        raise UnparsableOutput("XAPI pool record: no ha_enabled or ha_configuration field") from None
    other_config = pool.get("other_config", {})
    if not isinstance(enabled, bool) or not isinstance(configuration, dict):
        raise UnparsableOutput(f"XAPI pool record: ha_enabled {enabled!r} / ha_configuration "
                               f"{configuration!r} are not a bool and a map")
    if not isinstance(other_config, dict):
        raise UnparsableOutput("XAPI pool record: other_config is not a map")
    for where, source, key in (("ha_configuration", configuration, "timeout"),
                               ("other_config", other_config, "default_ha_timeout")):
        raw = source.get(key)
        if raw is None:
            continue
        # XML-RPC map values are strings, read with OCaml's int_of_string (Timeouts.get_base_t):
        # "0xB4" and "1_80" are 180 to XAPI; " 180" and Arabic-Indic digits are no number to it
        if not isinstance(raw, str):
            raise UnparsableOutput(f"XAPI pool record: {where} {key} {raw!r} is not a number")
        timeout = read_ocaml_int(raw, f"XAPI pool record: {where} {key}")
        return PoolHA(enabled, timeout, f"{timeout} s" if where == "ha_configuration" else
                      f"{timeout} s (pool other_config default_ha_timeout)")
    return PoolHA(enabled, None, DEFAULT_TIMEOUT_TEXT)
