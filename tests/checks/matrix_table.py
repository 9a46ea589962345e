"""The detection matrix as a Markdown table, from the last matrix test run (reports/detection-matrix).

python -m tests.checks.matrix_table   (after `make test`)
"""
from __future__ import annotations

import json
from pathlib import Path

from tests.checks.test_matrix import OBSERVED_DIR


def main() -> None:
    rows = [row for path in sorted(OBSERVED_DIR.glob("*.json")) for row in json.loads(path.read_text())]
    print("| check ID | case | scenario | target | expected | observed |")
    print("|---|---|---|---|---|---|")
    for r in sorted(rows, key=lambda r: (r["check"], r["case"], r["target"])):
        print(f"| {r['check']} | {r['case']} | {Path(r['scenario']).stem} | {r['target']} | {r['expected']} | "
              f"{r['observed']} |")
    print(f"\n{len(rows)} seeded results; {sum(r['expected'] == r['observed'] for r in rows)} observed as expected.")


if __name__ == "__main__":
    main()
