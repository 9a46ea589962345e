"""The cloud's settings that decide, at collection, whether a check applies (rules/scope.py).

`cloud.kubernetes.service.enabled` (CLOUD-K8S-RUNNING): listConfigurations matches `name` with LIKE
%name%, so the row of exactly that name is taken. A failed read is kept as the reason, so the result
is broken rather than left out, and discovery goes on.
"""
from __future__ import annotations

from stackaudit.collect.transports import cloudstack
from stackaudit.errors import TargetError

KUBERNETES_SERVICE = "cloud.kubernetes.service.enabled"
SCOPE_SETTINGS = "listConfigurations"


def scope_settings(api) -> dict:
    """The cloud target's attrs: the setting's value (None when not listed), or the error reading it."""
    try:
        rows = cloudstack.list_all(api, SCOPE_SETTINGS, name=KUBERNETES_SERVICE)
    except TargetError as err:
        return {"kubernetes_service_error": str(err)}
    values = [r.get("value") for r in rows if isinstance(r, dict) and r.get("name") == KUBERNETES_SERVICE]
    value = values[0] if values else None
    if value is not None and not isinstance(value, str):
        return {"kubernetes_service_error": f"CloudStack API: listConfigurations: {KUBERNETES_SERVICE} "
                                            f"is {type(value).__name__}, not text"}
    return {"kubernetes_service": value}
