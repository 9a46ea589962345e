"""MS-CONFIG-ACTIVE: since the management server's process started, no setting that is read only at
start (listConfigurations `isdynamic` false) was changed, and no file read only at start was
modified. Changes older than `event.purge.delay` days (default 15) are no longer listed by
listEvents: they cannot be seen."""
from __future__ import annotations

from datetime import datetime, timezone

from stackaudit.errors import CollectionFailed, NotCheckable
from stackaudit.parsers.setting_edits import ServerStart, SettingEdit

UNIT = "cloudstack-management"
# The start is known to the second from two readings a moment apart (`date +%s`, `ps -o etimes=`),
# and events and mtimes carry whole seconds: a change within this many seconds after the measured
# start may be the one the server read as it started, and is not counted.
SLACK_SECONDS = 2


def shown(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


def server_started(start: ServerStart) -> int:
    if start.main_pid is None or start.started is None:
        raise CollectionFailed(f"{UNIT} has no running main process (MainPID=0): when it started cannot be read")
    return start.started


def config_active_findings(start: ServerStart, edits: list[SettingEdit], dynamic: dict[str, bool]) -> list[str]:
    """`edits`: the cloud's CONFIGURATION.VALUE.EDIT events; `dynamic`: setting name -> isdynamic."""
    started = server_started(start)
    later = [e for e in edits if e.created.timestamp() > started + SLACK_SECONDS]
    unknown = sorted({e.name for e in later if e.name not in dynamic})
    if unknown:
        raise NotCheckable(f"listConfigurations does not say whether {', '.join(unknown)} is dynamic "
                           "(isdynamic): whether the server reads the new value cannot be told")
    findings = []
    for name in sorted({e.name for e in later if not dynamic[e.name]}):
        last = max(e.created.timestamp() for e in later if e.name == name)
        findings.append(f"{name} was changed at {shown(last)}, after the server started ({shown(started)}), and "
                        "is read only at start: the server still runs with the old value until it is restarted")
    for path, mtime in start.file_mtimes:
        if mtime is not None and mtime > started + SLACK_SECONDS:
            findings.append(f"{path} was modified at {shown(mtime)}, after the server started ({shown(started)}): "
                            "it is read only at start")
    return findings
