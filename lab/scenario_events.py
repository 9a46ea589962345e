"""The scenario format's CloudStack events, for every check that reads listEvents (MS-CONFIG-ACTIVE's
setting changes; any other type as written): lab/records_events.py turns them into listEvents rows."""
from __future__ import annotations

from stackaudit.config.schema import REQUIRED, Int, Optional, Record, Str, f

# An event `minutes` from the moment the lab builds the API simulator's answers, which is after the
# lab's servers started (negative: that long before; an hour before is before any server's start).
# A CONFIGURATION.VALUE.EDIT names its `setting`: the description is then the one CloudStack stores
# ("Successfully completed updating configuration.  Name: <setting> New Value: <value>").
EVENT = Record({
    "type": f(Str(), REQUIRED),
    "minutes": f(Int(), REQUIRED),
    "setting": f(Optional(Str())),
    "value": f(Str(), "1"),
    "description": f(Optional(Str())),
    "by": f(Str(), "admin"),
})
