"""Masking time against hostile lines (tests/unit/hostile_lines.py), at sizes growing 4x a step.

    python benchmarks/masking.py

Prints, per kind of hostile line, the CPU seconds mask_shapes takes at
4, 16 and 64 KiB (up to MAX_LINE: matched whole) and the ratio of each step to the one before
(about 4 is linear work, about 16 quadratic), then at 1 MiB (cut at MAX_LINE before matching).
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from stackaudit.config.secret_shapes import MAX_LINE, mask_shapes  # noqa: E402
from tests.unit.hostile_lines import HOSTILE, hostile_line  # noqa: E402


def cpu_seconds(line: str) -> float:
    best = float("inf")
    for _ in range(3):
        started = time.process_time()
        mask_shapes(line)
        best = min(best, time.process_time() - started)
    return best


def main(argv: list[str]) -> int:
    sizes = [MAX_LINE >> 4, MAX_LINE >> 2, MAX_LINE, 1 << 20]
    print(f"{'hostile line':28}" + "".join(f"{size:>12,}" for size in sizes) + "   ratios (x4 size, up to MAX_LINE)")
    for name in HOSTILE:
        seconds = [cpu_seconds(hostile_line(name, size)) for size in sizes]
        ratios = [later / earlier if earlier else float("nan") for earlier, later in zip(seconds[:2], seconds[1:3])]
        print(f"{name:28}" + "".join(f"{s:>11.3f}s" for s in seconds) + "   "
              + " ".join(f"{r:.1f}" for r in ratios))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
