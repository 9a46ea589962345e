"""A group check's broken message names its unreadable members once per reason."""
from __future__ import annotations

import pytest

from stackaudit.errors import NotCheckable
from stackaudit.groups import Gathered, findings_or_not_checked, not_checked, unreadable_by_reason


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
