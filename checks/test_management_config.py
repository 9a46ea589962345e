"""Whether management servers run with the settings they show: the server's start over SSH, the
cloud's setting changes from the CloudStack API ([CS-CODE] in docs/sources.md)."""
from stackaudit import groups
from stackaudit.catalog import check
from stackaudit.rules import config_active as rules


@check("MS-CONFIG-ACTIVE", reads=("management_start",), members={"cloud": ("setting_edits", "configurations")})
def test_config_active(management_server):
    """Since cloudstack-management's main process started, no setting listConfigurations marks
    isdynamic false was changed (CONFIGURATION.VALUE.EDIT events) and no file it reads only at start
    was modified."""
    facts = management_server.facts
    started = rules.server_started(facts.management_start)     # this server first: its own reading names it
    edits = groups.cloud_fact(facts, "setting_edits")
    dynamic = {c.name: c.isdynamic for c in groups.cloud_settings(facts) if isinstance(c.isdynamic, bool)}
    facts.attach("since the server's start", {
        "started": rules.shown(started),
        "settings changed since": sorted({e.name for e in edits if e.created.timestamp() > started}),
        "start-only files": {path: None if mtime is None else rules.shown(mtime)
                             for path, mtime in facts.management_start.file_mtimes}}, as_json=True)
    findings = rules.config_active_findings(facts.management_start, edits, dynamic)
    assert not findings, "; ".join(findings)
