"""A group check's broken message names its unreadable members once per reason."""
from __future__ import annotations

import pytest

from stackaudit.errors import HostKeyRejected, LoginRefused, NotCheckable, Unreachable
from stackaudit.groups import Gathered, findings_or_not_checked, not_checked, unreadable_by_reason
from stackaudit.report.auditor import not_checked_reason
from stackaudit.targets import Target


def test_one_member_reads_as_before():
    assert unreadable_by_reason(["db://db2: MariaDB 198.18.0.101:3306: cannot connect (2003)"]) == \
        "db://db2: MariaDB 198.18.0.101:3306: cannot connect (2003)"


def test_members_are_grouped_by_reason_in_order_and_their_id_is_not_repeated():
    unreadable = ["xs-host://z1/xs02: xs-host://z1/xs02: host key changed",
                  "kvm-host://z1/kvm01: kvm-host://z1/kvm01: cannot connect: No route to host",
                  "kvm-host://z1/kvm02: kvm-host://z1/kvm02: cannot connect: No route to host"]
    assert unreadable_by_reason(unreadable) == ("xs-host://z1/xs02: host key changed; kvm-host://z1/kvm01, "
                                                "kvm-host://z1/kvm02: cannot connect: No route to host")


def test_hundreds_of_absent_members_make_one_short_line():
    unreadable = [f"kvm-host://z1/h{i:03}: kvm-host://z1/h{i:03}: cannot connect: No route to host" for i in range(500)]
    message = unreadable_by_reason(unreadable)
    assert message == (", ".join(f"kvm-host://z1/h{i:03}" for i in range(50)) +
                       " and 450 more: cannot connect: No route to host")


def test_findings_name_the_members_not_read_and_no_finding_with_a_member_not_read_is_broken():
    gathered = Gathered({"db://db1": {}}, ["db://db2: cannot connect (2003)"])
    assert findings_or_not_checked(["server ids repeat"], gathered) == ["server ids repeat", "(not checked: db://db2)"]
    with pytest.raises(NotCheckable, match=r"^could not read db://db2: cannot connect \(2003\)$"):
        findings_or_not_checked([], gathered)
    assert str(not_checked(gathered)) == "could not read db://db2: cannot connect (2003)"
    assert findings_or_not_checked([], Gathered({"db://db1": {}})) == []


class _Facts:
    """Members' facts: a member named in `errors` raises its error when read."""

    def __init__(self, errors: dict):
        self.errors = errors

    def of(self, member):
        if member.id in self.errors:
            raise self.errors[member.id]
        return {"read": member.id}


def gathered_from(errors: dict, *ids: str) -> Gathered:
    gathered, facts = Gathered(), _Facts(errors)
    for member_id in ids:
        kind, _, rest = member_id.partition("://")
        zone, _, name = rest.partition("/")
        gathered.read(facts, Target(kind, name, zone), lambda f: f)
    return gathered


def test_a_group_whose_members_failed_alike_is_not_checked_for_their_reason():
    gathered = gathered_from({"kvm-host://z1/kvm01": HostKeyRejected("kvm-host://z1/kvm01: host key unknown")},
                             "kvm-host://z1/kvm01", "kvm-host://z1/kvm02")
    assert not_checked_reason(not_checked(gathered)) == "host key"
    both = gathered_from({"kvm-host://z1/kvm01": Unreachable("no route"), "kvm-host://z1/kvm02": Unreachable("refused")},
                         "kvm-host://z1/kvm01", "kvm-host://z1/kvm02")
    assert not_checked_reason(not_checked(both)) == "unreachable"


def test_a_group_whose_members_failed_differently_is_not_checkable():
    mixed = gathered_from({"kvm-host://z1/kvm01": Unreachable("no route"),
                           "kvm-host://z1/kvm02": LoginRefused("denied")}, "kvm-host://z1/kvm01", "kvm-host://z1/kvm02")
    assert not_checked_reason(not_checked(mixed)) == "not checkable"
    missing = gathered_from({"kvm-host://z1/kvm01": Unreachable("no route")}, "kvm-host://z1/kvm01")
    missing.unreadable.append("kvm-host://z1/kvm03: not among the KVM hosts discovery found")
    assert not_checked_reason(not_checked(missing)) == "not checkable"
