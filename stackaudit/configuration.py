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
from stackaudit.config.inventory import Inventory, load_inventory, read_inventory
from stackaudit.config.policy import Policy, load_policy, read_policy
from stackaudit.config.problems import Problems
from stackaudit.config.waivers import Waiver, load_waivers, read_waivers, utc_today


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


@dataclass(frozen=True)
class ConfigurationCheck:
    """Every mistake of the inventory, its policy and the waivers (`stackaudit validate`)."""
    configuration: Configuration | None     # None when there is any problem
    problems: tuple[str, ...]               # one line each, as `run` gives the first of them
    files: tuple[Path, ...]                 # the files read (the policy only where the inventory names it)


def check_configuration(inventory: Path, waivers: Path | None, today: datetime.date | None = None) -> ConfigurationCheck:
    """Read the inventory, its policy and the waivers as far as each can be read, collecting every mistake:
    the policy is read when the inventory's `policy` key could be, and the waivers always."""
    today = today or utc_today()
    problems = Problems(collect=True)
    reading = read_inventory(inventory, problems)
    files = [inventory]
    policy = None
    if reading.policy_known:
        policy = read_policy(reading.policy_path, problems)
        files += [reading.policy_path] if reading.policy_path else []
    # A policy that could not be read: the waivers are judged by the default waivers.max_days_ahead.
    max_days = (policy or load_policy(None)).waivers.max_days_ahead
    read = read_waivers(waivers, check_kinds(), max_days, today, problems)
    files += [waivers] if waivers else []
    valid = problems.lines == [] and reading.inventory is not None and policy is not None and read is not None
    return ConfigurationCheck(Configuration(reading.inventory, policy, read, today) if valid else None,
                              tuple(problems.lines), tuple(files))
