"""A run's configuration, read once: the inventory, its policy and the waivers.

`stackaudit run` loads it before anything is written and hands this one object to the pytest plugin
and to the report, so the files are read once and the report's SHA-256 is that of the bytes the run
used, even if a file is edited while the run goes on.
"""
from __future__ import annotations

import datetime
from dataclasses import dataclass
from pathlib import Path

from stackaudit.catalog import check_kinds
from stackaudit.config.inventory import Inventory, load_inventory
from stackaudit.config.policy import Policy, load_policy
from stackaudit.config.waivers import Waiver, load_waivers, utc_today


@dataclass(frozen=True)
class Configuration:
    inventory: Inventory
    policy: Policy
    waivers: tuple[Waiver, ...]
    today: datetime.date

    def input_files(self) -> dict[str, dict | None]:
        """summary.json's `inputs`: each file the run read, with the SHA-256 of the bytes it read
        (policy None: the built-in defaults)."""
        policy = self.inventory.policy_path
        return {"inventory": {"path": str(self.inventory.path), "sha256": self.inventory.sha256},
                "policy": None if policy is None else {"path": str(policy), "sha256": self.policy.sha256}}


def load_configuration(inventory: Path, waivers: Path | None, today: datetime.date | None = None) -> Configuration:
    """Read and check the inventory, its policy and the waivers; raises ConfigError."""
    today = today or utc_today()
    loaded = load_inventory(inventory)
    policy = load_policy(loaded.policy_path)
    return Configuration(loaded, policy, load_waivers(waivers, check_kinds(), policy.waivers.max_days_ahead, today),
                         today)
