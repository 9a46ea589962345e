"""What the simulated CloudStack API's listEvents answers: the scenario's events (lab/scenario_events.py)
as EventResponse rows ([CS-API]; the shape of listEvents rows recorded for CLOUD-VMS-RESTARTED), newest
first, paged and filtered on `type` like every other list command of the simulator."""
from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

from lab.topology import stable_id
from stackaudit.parsers.setting_edits import CONFIG_EDIT

API_DATE = "%Y-%m-%dT%H:%M:%S+0000"


def edit_description(setting: str, value: str) -> str:
    """As ConfigurationManagerImpl's details follow ActionEventInterceptor's description (recorded in a
    CloudStack database: tests/data/recorded/event-rows-cloudstack-2214.sql)."""
    return f"Successfully completed updating configuration.  Name: {setting} New Value: {value}"


def event_rows(scenario: dict, now: float | None = None) -> list[dict]:
    built = datetime.fromtimestamp(time.time() if now is None else now, timezone.utc).replace(microsecond=0)
    rows = []
    for n, event in enumerate(scenario["events"]):
        description = event["description"]
        if description is None:
            if event["type"] != CONFIG_EDIT or event["setting"] is None:
                raise ValueError(f"events[{n}]: a {event['type']} event needs a description")
            description = edit_description(event["setting"], event["value"])
        system = event["by"] == "system"
        rows.append({"id": stable_id("event", f"{n}/{event['type']}"), "type": event["type"], "level": "INFO",
                     "state": "Completed", "username": event["by"], "account": "system" if system else "admin",
                     "domain": "ROOT", "description": description,
                     "created": (built + timedelta(minutes=event["minutes"])).strftime(API_DATE)})
    return rows


def newest_first(rows: list[dict]) -> list[dict]:
    """As listEvents orders its rows."""
    return sorted(rows, key=lambda r: r["created"], reverse=True)
