"""How many examples the Hypothesis tests draw, and no deadline on any of them.

`make test` (and CI) draws the count each test names; `make test-fast` sets HYPOTHESIS_PROFILE=fast,
which draws a tenth of it, so a change is checked in seconds and every night in full. No profile has a
deadline: how long one example takes depends on the machine's load, and timings belong to benchmarks/.
tests/unit/conftest.py loads the profile before any test module is imported.
"""
from __future__ import annotations

import os

from hypothesis import settings

FULL_EXAMPLES = settings.default.max_examples        # Hypothesis' own default, 100
settings.register_profile("full", deadline=None)
settings.register_profile("fast", deadline=None, max_examples=FULL_EXAMPLES // 10)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "full"))


def examples(count: int) -> int:
    """`count` under the full profile; in proportion under another (a tenth of it under `fast`)."""
    return max(1, count * settings.default.max_examples // FULL_EXAMPLES)
