"""No module over 400 lines: a module that long holds more than one idea; split it by subject."""
from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FOLDERS = ("stackaudit", "checks", "lab", "tests", "benchmarks")
MOST_LINES = 400


def modules_over(root: Path, folders=FOLDERS, most: int = MOST_LINES) -> dict[str, int]:
    """Each .py file under the folders with more than `most` lines, by its path from `root`, with its count."""
    counts = {str(path.relative_to(root)): len(path.read_text(encoding="utf-8").splitlines())
              for folder in folders for path in sorted((root / folder).rglob("*.py"))}
    return {name: count for name, count in counts.items() if count > most}


def test_no_module_is_over_400_lines():
    over = modules_over(ROOT)
    assert not over, "over 400 lines: " + ", ".join(f"{name} ({count})" for name, count in sorted(over.items()))


def test_a_module_over_the_limit_is_named_with_its_count(tmp_path):
    (tmp_path / "stackaudit" / "rules").mkdir(parents=True)
    (tmp_path / "tests").mkdir()
    (tmp_path / "stackaudit" / "rules" / "long.py").write_text("x = 1\n" * 401)
    (tmp_path / "stackaudit" / "just.py").write_text("x = 1\n" * 400)
    (tmp_path / "tests" / "notes.txt").write_text("x\n" * 500)
    assert modules_over(tmp_path) == {"stackaudit/rules/long.py": 401}


def test_every_folder_is_read():
    counts = modules_over(ROOT, most=0)
    for folder in FOLDERS:
        assert any(name.startswith(folder + "/") for name in counts), folder
    assert counts["tests/unit/test_module_sizes.py"] == len(Path(__file__).read_text().splitlines())
