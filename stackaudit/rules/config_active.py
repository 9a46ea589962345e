"""MS-CONFIG-ACTIVE (not yet a registered check: docs/ms-build.md): since the management server's
process started, no setting that is read only at start (listConfigurations `isdynamic` false) was
changed, and no file read only at start was modified. Changes older than `event.purge.delay` days
(default 15) are no longer listed by listEvents: they cannot be seen."""
from __future__ import annotations

from datetime import datetime, timezone

from stackaudit.errors import NotCheckable
from stackaudit.parsers.events import SettingEdit

# Read once at start (log4j-cloud.xml is not: log4j2 rereads it every 60 s).
START_ONLY_FILES = tuple(f"/etc/cloudstack/management/{name}"
                         for name in ("db.properties", "server.properties", "key", "environment.properties"))


def shown(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


def config_active_findings(started: int, edits: list[SettingEdit], dynamic: dict[str, bool],
                           file_mtimes: dict[str, int | None]) -> list[str]:
    """`started`: the process's start (epoch seconds); `dynamic`: setting name -> isdynamic;
    `file_mtimes`: path -> modification time (None: no such file)."""
    later = [e for e in edits if e.created.timestamp() > started]
    unknown = sorted({e.name for e in later if e.name not in dynamic})
    if unknown:
        raise NotCheckable(f"listConfigurations does not say whether {', '.join(unknown)} is dynamic")
    findings = []
    for name in sorted({e.name for e in later if not dynamic[e.name]}):
        last = max(e.created.timestamp() for e in later if e.name == name)
        findings.append(f"{name} was changed at {shown(last)}, after the server started ({shown(started)}), and "
                        "is read only at start: the server still runs with the old value until it is restarted")
    for path, mtime in sorted(file_mtimes.items()):
        if mtime is not None and mtime > started:
            findings.append(f"{path} was modified at {shown(mtime)}, after the server started ({shown(started)}): "
                            "it is read only at start")
    return findings
