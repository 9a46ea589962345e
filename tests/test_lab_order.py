"""tests/labs.py's order: each shared scenario's tests together, a test going from one scenario to
another between the two groups, tests without a shared scenario first as collected."""
from __future__ import annotations

from dataclasses import dataclass

import pytest

from tests.labs import in_lab_order


@dataclass
class Item:
    name: str
    scenarios: tuple[str, ...] = ()

    def get_closest_marker(self, name: str):
        assert name == "lab_scenario"
        return pytest.mark.lab_scenario(*self.scenarios).mark if self.scenarios else None


def order(*items: Item) -> list[str]:
    return [item.name for item in in_lab_order(list(items))]


def brought_up(items: list[Item]) -> list[str]:
    """The scenarios a session brings up in this order, each test's in its marker's order."""
    ups: list[str] = []
    for item in items:
        for scenario in item.scenarios:
            if not ups or ups[-1] != scenario:
                ups.append(scenario)
    return ups


def test_each_scenario_comes_up_once_and_bridges_sit_between_their_groups():
    items = [Item("v1", ("violations.yml",)), Item("plain1"), Item("c1", ("compliant.yml",)),
             Item("nights", ("compliant.yml", "violations.yml")), Item("m1", ("matrix/hosts.yml",)),
             Item("tenants", ("hostile_tenants.yml", "compliant.yml")), Item("v2", ("violations.yml",)),
             Item("plain2"), Item("m2", ("matrix/agent_db.yml",)), Item("c2", ("compliant.yml",)),
             Item("m3", ("matrix/hosts.yml",))]
    ordered = in_lab_order(items)
    assert [i.name for i in ordered] == ["plain1", "plain2", "m2", "m1", "m3", "tenants", "c1", "c2", "nights",
                                         "v1", "v2"]
    ups = brought_up(ordered)
    assert len(ups) == len(set(ups)), ups
    assert ups == ["matrix/agent_db.yml", "matrix/hosts.yml", "hostile_tenants.yml", "compliant.yml",
                   "violations.yml"]


def test_collection_order_is_kept_within_a_scenario():
    assert order(Item("b", ("compliant.yml",)), Item("a", ("compliant.yml",)), Item("z")) == ["z", "b", "a"]
