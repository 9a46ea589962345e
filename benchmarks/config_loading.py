"""How long the configuration loaders take on the biggest and the most hostile files they accept.

    python benchmarks/config_loading.py

Prints wall seconds (best of 3) for: a valid YAML file of about 0.9 MiB, an alias bomb of 30 levels
(9**30 leaves if it were expanded; refused before that), two policy files near the 1 MiB limit, and
the slowest row of the bad-input table (tests/unit/test_config_bad_input.py) through `validate`.
These figures were assertions in the unit tests once; a loaded machine made them fail, so they are
printed here instead and the tests keep only what the loaders answer.
"""
from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path
from unittest.mock import patch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from stackaudit.cli.run_command import validate  # noqa: E402
from stackaudit.config.policy import load_policy  # noqa: E402
from stackaudit.config.yamltext import YamlRefused, load_yaml_text  # noqa: E402
from stackaudit.errors import ConfigError  # noqa: E402
from tests.unit.config_breakage import alias_bomb  # noqa: E402
from tests.unit.test_config_bad_input import CASES, broken_site  # noqa: E402

LARGE_VALID = "values:\n" + "  - 1234567890\n" * 60000
NEAR_LIMIT_POLICIES = {
    "150,000 reject_ports": "firewall: {reject_ports: [" + ", ".join(str(1 + i % 65535) for i in range(150000)) + "]}\n",
    "60,000 global_settings": "management: {global_settings: {" + ", ".join(f"s{i}: v" for i in range(60000)) + "}}\n",
}


def best_seconds(action) -> float:
    best = float("inf")
    for _ in range(3):
        started = time.monotonic()
        action()
        best = min(best, time.monotonic() - started)
    return best


def refused(action, *errors) -> None:
    try:
        action()
    except errors:
        pass


def policy_seconds(document: str) -> float:
    with tempfile.TemporaryDirectory() as work:
        path = Path(work) / "policy.yml"
        path.write_text(document)
        return best_seconds(lambda: refused(lambda: load_policy(path), ConfigError))


def slowest_bad_input_row() -> tuple[str, float]:
    slowest = ("", 0.0)
    for case in CASES:
        with tempfile.TemporaryDirectory() as work:
            site = broken_site(Path(work), case)
            with patch.dict(os.environ, site.env):
                started = time.monotonic()
                validate(str(site.inventory), str(site.waivers), site.workers)
                seconds = time.monotonic() - started
        slowest = max(slowest, (case.name, seconds), key=lambda row: row[1])
    return slowest


def main(argv: list[str]) -> int:
    print(f"{'valid YAML file, ' + format(len(LARGE_VALID), ',') + ' bytes':56}"
          f"{best_seconds(lambda: load_yaml_text(LARGE_VALID)):8.3f} s")
    print(f"{'alias bomb of 30 levels, refused':56}"
          f"{best_seconds(lambda: refused(lambda: load_yaml_text(alias_bomb(levels=30)), YamlRefused)):8.3f} s")
    for name, document in NEAR_LIMIT_POLICIES.items():
        print(f"{'policy.yml of ' + name + ', ' + format(len(document), ',') + ' bytes':56}"
              f"{policy_seconds(document):8.3f} s")
    name, seconds = slowest_bad_input_row()
    print(f"{'slowest of ' + str(len(CASES)) + ' bad-input rows (' + name + ')':56}{seconds:8.3f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
