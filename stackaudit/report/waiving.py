"""A waiver's effect on a failed result (README, "Waivers").

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
        since = waiver.expires + datetime.timedelta(days=1)
        return "failed", (f"{message} (waiver {waiver.ticket}, approved by {waiver.approver}, expired on "
                          f"{waiver.expires}: a failure again since {since})"), fields
    return "waived", (f"waived until {waiver.expires} by {waiver.approver} ({waiver.ticket}, waiver target "
                      f"{waiver.target}): {waiver.reason}. The failure: {message}"), fields


def waiver_label(fields: dict) -> str:
    return f"{fields['ticket']} · {fields['approver']} · expires {fields['expires']}"
