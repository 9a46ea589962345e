"""What the command line says on stderr."""
from __future__ import annotations

import sys

from stackaudit.report.visible import visible


def say(message: str) -> None:
    """One line on stderr; text from the cloud or a file in it is shown escaped (report/visible.py)."""
    print(f"stackaudit: {visible(message)}", file=sys.stderr)
