"""XAPI records (XML-RPC: ints arrive as decimal strings, maps as dicts)."""
from __future__ import annotations

import re
from dataclasses import dataclass

from stackaudit.errors import UnparsableOutput

DEFAULT_TIMEOUT_TEXT = "no explicit timeout: XenServer's default applies"


@dataclass(frozen=True)
class PoolHA:
    enabled: bool
    timeout: int | None       # ha_configuration["timeout"]; None when the key is absent
    timeout_text: str


def parse_pool_ha(pool: dict) -> PoolHA:
    """A pool record's HA fields: `ha_enabled` and the `timeout` key of `ha_configuration`.

        {"ha_enabled": True, "ha_configuration": {"timeout": "180"}, ...}
    """
    try:
        enabled, configuration = pool["ha_enabled"], pool["ha_configuration"]
    except (KeyError, TypeError):
        raise UnparsableOutput("XAPI pool record: no ha_enabled or ha_configuration field") from None
    if not isinstance(enabled, bool) or not isinstance(configuration, dict):
        raise UnparsableOutput(f"XAPI pool record: ha_enabled {enabled!r} / ha_configuration "
                               f"{configuration!r} are not a bool and a map")
    raw = configuration.get("timeout")
    if raw is None:
        return PoolHA(enabled, None, DEFAULT_TIMEOUT_TEXT)
    # XML-RPC map values are strings; anything else, or not ASCII digits (int() would take " 180",
    # "1_80" or Arabic-Indic digits), is not what XAPI stores
    if not isinstance(raw, str) or not re.fullmatch(r"[0-9]+", raw):
        raise UnparsableOutput(f"XAPI pool record: ha_configuration timeout {raw!r} is not a number")
    timeout = int(raw)
    return PoolHA(enabled, timeout, f"{timeout} s")
