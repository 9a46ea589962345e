"""A waiver's effect on a failed result (docs/waivers.md, "Waivers").

Only a failure is ever waived: a broken result (the target could not be checked) stays broken, and
a waiver past its expiry date leaves the failure failed, saying since when.
"""
from __future__ import annotations

import datetime

from stackaudit.config.waivers import Waiver


def waive(waiver: Waiver, message: str, today: datetime.date) -> tuple[str, str, dict]:
    """(status, message, the waiver's fields) of a failure that `waiver` covers."""
    fields = {**waiver.fields(), "expired": waiver.expired(today)}
    if waiver.expired(today):
        return "failed", f"{message} {expired_note(fields)}", fields
    return "waived", f"{waived_note(fields)}: {waiver.reason}. The failure: {message}", fields


def expired_note(fields: dict) -> str:
    """What a failure's message ends with when its waiver expired (report/auditor.py's Expired waivers
    category matches it)."""
    since = datetime.date.fromisoformat(fields["expires"]) + datetime.timedelta(days=1)
    return (f"(waiver {fields['ticket']}, approved by {fields['approver']}, expired on {fields['expires']}: "
            f"a failure again since {since})")


def waived_note(fields: dict) -> str:
    """What a waived result's message starts with (the Waived category matches it)."""
    return f"waived until {fields['expires']} by {fields['approver']} ({fields['ticket']}, waiver target {fields['target']})"


def waiver_label(fields: dict) -> str:
    return f"{fields['ticket']} · {fields['approver']} · expires {fields['expires']}"
