"""A night whose discovery failed still has a result in its report: no check ran, and the report
must not read as an empty, quiet night. One broken Allure result says why the cloud's targets could
not be listed, in the same "not checked (<reason>)" category a broken check would be in."""
from __future__ import annotations

import hashlib
import json
import time
import uuid
from pathlib import Path

from stackaudit.config.safe_files import private_dir, write_file

from stackaudit.report.auditor import not_checked_message, not_checked_reason
from stackaudit.report.description import not_checked_html, shown_html
from stackaudit.report.not_checked import fix_for
from stackaudit.report.visible import visible

RULE = "the cloud's targets are listed through its management API"


def discovery_failure(cloud: str, error: BaseException, text: str, now_ms: int | None = None) -> dict:
    """An Allure 2 result (allure-results/*-result.json) for a discovery that failed; `text` is the
    error's text with secrets masked."""
    now = now_ms if now_ms is not None else int(time.time() * 1000)
    reason = not_checked_reason(error)
    message = visible(not_checked_message(reason, text), multiline=True)
    return {
        "uuid": str(uuid.uuid4()),
        "historyId": hashlib.md5(f"stackaudit-discovery:{cloud}".encode()).hexdigest(),
        "name": f"Discovery · {RULE} · {cloud}", "fullName": "stackaudit.discovery",
        "status": "broken", "stage": "finished", "start": now, "stop": now,
        "statusDetails": {"message": message},
        "descriptionHtml": (f"<p>No check ran on {shown_html(cloud)}: StackAudit lists every target through "
                            f"the CloudStack API before it checks anything, and that failed.</p>"
                            f"<p>{shown_html(message)}</p>{not_checked_html(reason, fix_for(reason))}"),
        "labels": [{"name": "severity", "value": "blocker"}, {"name": "epic", "value": "Discovery"},
                   {"name": "parentSuite", "value": "The cloud"}, {"name": "suite", "value": cloud}],
    }


def write_result(results_dir: Path, result: dict) -> Path:
    private_dir(results_dir)
    path = results_dir / f"{result['uuid']}-result.json"
    write_file(path, json.dumps(result))
    return path
