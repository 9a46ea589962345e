"""The documents made from the code: `make docs` (python -m stackaudit.generated_docs) writes them, and
tests/unit/test_generated_docs.py fails, naming that command, when one is out of date."""
from __future__ import annotations

from pathlib import Path

from stackaudit import access_document, checks_document

ROOT = Path(__file__).resolve().parent.parent
REGENERATE = "make docs"
GENERATED = {"docs/accounts.md": access_document.markdown, "docs/checks.md": checks_document.markdown}


def main() -> None:
    for path, make in GENERATED.items():
        (ROOT / path).write_text(make())
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
