"""Where each check applies, decided once, at collection, from its catalog record.

A record names the target kinds a check runs on and the conditions it applies under (`scope:`,
rules/scope.py). pytest_generate_tests asks `decide` for each check and parametrizes it over the
targets it applies to only: a result that does not apply is never collected. What was left out, and
why, is kept in the run's ScopeLedger; the report's "not applicable" count is read from there.

Everything a condition reads is in the snapshot when the items are collected: the target as
discovered, the versions the management servers report (the cloud target's attrs), the policy and
the inventory. A cloud whose management servers report different versions (mid-upgrade) is judged
conservatively: a check is out of scope only if it is out of scope at every reported version. A
cloud whose servers report no version leaves a version condition undecided: the result is collected
and reported broken with the reason (stackaudit/fixtures.py), never passed or left out.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Callable

from stackaudit.rules.scope import CONDITIONS, Undecided
from stackaudit.targets import Snapshot, Target


@dataclass(frozen=True)
class NotApplicable:
    check_id: str
    target: str | None      # None: the cloud has no target of the check's kinds at all
    reason: str

    def entry(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Applicability:
    applies: list[Target]                   # the targets to parametrize the check over, sorted by id
    not_applicable: list[NotApplicable]
    undecided: dict[str, str]               # target id -> why its scope could not be decided


def decide(record, snapshot: Snapshot, policy, inventory) -> Applicability:
    """Which targets of its kinds the check `record` (a catalog CheckRecord) applies to, and why not the others."""
    candidates = snapshot.of_kinds(record.targets)
    if not candidates:
        reason = f"the cloud {snapshot.cloud} has no {' or '.join(record.targets)} targets"
        return Applicability([], [NotApplicable(record.id, None, reason)], {})
    versions = snapshot.cloud_versions()
    applies, left_out, undecided = [], [], {}
    for target in candidates:
        try:
            reason = out_of_scope(record.scope, target, versions, policy, inventory, snapshot)
        except Undecided as why:
            applies.append(target)
            undecided[target.id] = f"{record.id} applies only to {why}"
            continue
        if reason is None:
            applies.append(target)
        else:
            left_out.append(NotApplicable(record.id, target.id, reason))
    return Applicability(applies, left_out, undecided)


def out_of_scope(condition_names, target: Target, versions: tuple[str, ...], policy, inventory,
                 snapshot: Snapshot | None = None) -> str | None:
    """Why `target` is out of the conditions' scope (the first that says so), or None."""
    for name in condition_names:
        condition = CONDITIONS[name]
        if condition.needs_snapshot:
            reason = condition.out_of_scope(target, None, policy, inventory, snapshot)
        elif not condition.needs_cloud_version:
            reason = condition.out_of_scope(target, None, policy, inventory)
        elif not versions:
            raise Undecided(f"{condition.name}, and the API reports no management server version")
        else:
            reasons = [condition.out_of_scope(target, v, policy, inventory) for v in versions]
            reason = None if None in reasons else "; ".join(reasons)
        if reason is not None:
            return reason
    return None


@dataclass
class ScopeLedger:
    """One run's decisions (RunState.scope): what each collected check left out and why, and the results
    whose scope could not be decided. Filled by pytest_generate_tests; `narrow` keeps the selected checks'."""
    not_applicable: dict[str, list[NotApplicable]] = field(default_factory=dict)   # by check id
    undecided: dict[tuple[str, str], str] = field(default_factory=dict)          # (check id, target id) -> reason
    definitions: dict[str, Any] = field(default_factory=dict)     # check id -> its function, as pytest collected it
    nowhere: set[str] = field(default_factory=set)                # the check ids that apply to no target

    def record(self, check_id: str, decision: Applicability, definition=None) -> None:
        self.not_applicable[check_id] = decision.not_applicable
        self.undecided.update(((check_id, target), reason) for target, reason in decision.undecided.items())
        self.definitions[check_id] = definition
        if not decision.applies:
            self.nowhere.add(check_id)

    def applies_nowhere(self, check_id: str) -> bool:
        return check_id in self.nowhere

    def narrow(self, items, in_shard: Callable[[str | None], bool], selected: Callable[[Any], bool]) -> None:
        """Keep what the run's selection left out: the checks of the items kept (after -m, -k, --shard),
        and each check that applies nowhere if `selected` (-m and -k) would have kept it; within them,
        the targets of this shard."""
        kept = {getattr(getattr(item, "function", None), "stackaudit_check_id", None) for item in items}
        for check_id in list(self.not_applicable):
            if check_id in kept or (check_id in self.nowhere and selected(self.definitions[check_id])):
                self.not_applicable[check_id] = [n for n in self.not_applicable[check_id] if in_shard(n.target)]
            else:
                del self.not_applicable[check_id]

    def entries(self) -> list[NotApplicable]:
        return sorted((n for left_out in self.not_applicable.values() for n in left_out),
                      key=lambda n: (n.check_id, n.target or ""))
