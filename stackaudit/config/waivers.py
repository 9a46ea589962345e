"""Waivers: known, accepted deviations (inventories/waivers.yml documents the format).

Read-only data: the suite reads the file and never writes it. Validated in full before anything
connects; a mistake is one line naming the file, the entry (index and check) and the fix
(ConfigError, exit code 4).
"""
from __future__ import annotations

import datetime
import fnmatch
import re
from dataclasses import asdict, dataclass
from pathlib import Path

from stackaudit.config.files import shown, shown_path
from stackaudit.config.kinds import Text
from stackaudit.config.problems import Problems
from stackaudit.config.schema import SchemaError, read_yaml
from stackaudit.errors import ConfigError

FIELDS = ("check", "target", "reason", "approver", "ticket", "expires")
# A target id is `kind://place` (targets.py); a waiver's target is one, or a glob of one.
TARGET = re.compile(r"^(?P<kind>[a-z][a-z-]*)://[A-Za-z0-9_.:/*?\[\]@+-]*$")


@dataclass(frozen=True)
class Waiver:
    check: str
    target: str          # an exact target id, or a glob (fnmatch) of target ids
    reason: str
    approver: str
    ticket: str
    expires: datetime.date

    def covers(self, check_id: str, target: str) -> bool:
        return check_id == self.check and fnmatch.fnmatchcase(target, self.target)

    def expired(self, today: datetime.date) -> bool:
        return today > self.expires

    def fields(self) -> dict:
        data = asdict(self)
        data["expires"] = self.expires.isoformat()
        return data


def load_waivers(path: Path | None, check_kinds: dict[str, tuple[str, ...]], max_days_ahead: int,
                 today: datetime.date) -> tuple[Waiver, ...]:
    """The waivers in `path` (none without a file). `check_kinds`: check ID -> the target kinds it runs on.
    ConfigError with the first mistake."""
    waivers = read_waivers(path, check_kinds, max_days_ahead, today, Problems(error=ConfigError))
    assert waivers is not None      # a Problems that does not collect raised the first mistake
    return waivers


def read_waivers(path: Path | None, check_kinds: dict[str, tuple[str, ...]], max_days_ahead: int,
                 today: datetime.date, problems: Problems) -> tuple[Waiver, ...] | None:
    """As load_waivers, each entry checked on its own; None when any mistake (each in `problems`)."""
    if path is None:
        return ()
    before = len(problems.lines)
    try:
        raw = read_yaml(path, "check the --waivers path", ConfigError)
        if not isinstance(raw, dict) or set(raw) != {"waivers"} or not isinstance(raw["waivers"], list):
            raise ConfigError(f"{shown_path(path)}: expected one key, waivers, holding a list of waivers; "
                              "see inventories/waivers.yml for the format")
    except ConfigError as err:
        problems.add(err)
        return None
    waivers = []
    seen: dict[tuple[str, str], int] = {}
    for index, entry in enumerate(raw["waivers"]):
        check = entry.get("check") if isinstance(entry, dict) else None
        named = check if isinstance(check, str) and check.isprintable() and len(check) <= 60 else "no check"
        where = f"{shown_path(path)}: waivers[{index}] ({named})"
        with problems.step():
            waiver = _waiver(entry, where, check_kinds, max_days_ahead, today)
            key = (waiver.check, waiver.target)
            if key in seen:
                raise ConfigError(f"{where}: same check and target as waivers[{seen[key]}]; "
                                  "keep one entry per check and target")
            seen[key] = index
            waivers.append(waiver)
    return None if len(problems.lines) > before else tuple(waivers)


def _waiver(entry, where: str, check_kinds, max_days_ahead: int, today: datetime.date) -> Waiver:
    if not isinstance(entry, dict):
        raise ConfigError(f"{where}: expected a mapping with keys {', '.join(FIELDS)}")
    unknown = sorted(str(k) for k in entry if k not in FIELDS)
    if unknown:
        raise ConfigError(f"{where}: unknown key {shown(unknown[0])[1:-1]}; expected only {', '.join(FIELDS)}")
    missing = [k for k in FIELDS if k not in entry or entry[k] in (None, "")]
    if missing:
        raise ConfigError(f"{where}: {missing[0]} missing; every waiver needs {', '.join(FIELDS)}")
    for key in FIELDS[:-1]:
        if not isinstance(entry[key], str):
            raise ConfigError(f"{where}: {key} is {type(entry[key]).__name__} {shown(entry[key])}; write it as text")
        try:
            Text(4096).check(entry[key], f"{where}: {key}")
        except SchemaError as err:
            raise ConfigError(str(err)) from None
    if entry["check"] not in check_kinds:
        raise ConfigError(f"{where}: check {shown(entry['check'])} is not a check ID of the catalog; "
                          "use the ID the run's table shows, e.g. MS-CA-STRICT")
    target = entry["target"]
    match = TARGET.match(target)
    if not match or target.count("[") != target.count("]") or "[]" in target:
        raise ConfigError(f"{where}: target {shown(target)} is not a target id or a glob of one; "
                          "write it like kvm-host://zone1/hv03 or kvm-host://zone1/*")
    kinds = check_kinds[entry["check"]]
    if match["kind"] not in kinds:
        raise ConfigError(f"{where}: {entry['check']} runs on {', '.join(kinds)} targets, so {shown(target)} "
                          f"never matches; write it like {kinds[0]}://...")
    expires = entry["expires"]
    if isinstance(expires, str):
        try:
            expires = datetime.date.fromisoformat(expires)
        except ValueError:
            pass
    if not isinstance(expires, datetime.date) or isinstance(expires, datetime.datetime):
        raise ConfigError(f"{where}: expires is {shown(expires)}, not a date; write it as YYYY-MM-DD")
    latest = today + datetime.timedelta(days=max_days_ahead)
    if expires > latest:
        raise ConfigError(f"{where}: expires {expires} is more than {max_days_ahead} days ahead "
                          f"(policy waivers.max_days_ahead); set it on or before {latest}")
    return Waiver(entry["check"], target, entry["reason"], entry["approver"], entry["ticket"], expires)


def utc_today() -> datetime.date:
    """Expiry dates are days in UTC, as the run directories' names are."""
    return datetime.datetime.now(datetime.timezone.utc).date()


def matching_waiver(waivers, check_id: str, target: str) -> Waiver | None:
    """The waiver covering (check, target): an exact target before a glob, then the latest expiry."""
    covering = [w for w in waivers if w.covers(check_id, target)]
    if not covering:
        return None
    return max(covering, key=lambda w: (w.target == target, w.expires))
