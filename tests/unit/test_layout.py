"""The package layout follows the flow of an operator's data, and no import runs back up it.

Stages, earliest first (docs/adding-a-check.md, "Layout"). A module may import stackaudit.errors and modules of its
own stage or of earlier stages, never of a later one. stackaudit.errors imports nothing of the suite,
and the target model (targets.py) stands on the configuration only, so every later stage can name
targets. One stage is a sub-package of another: the transports (collect/transports/) come before
discovery, which the collectors build on.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "stackaudit"
# Most specific prefix first within each entry; order of the list is the order of the flow.
STAGES = [
    "stackaudit.config",
    "stackaudit.targets",
    "stackaudit.parsers",
    "stackaudit.rules",
    "stackaudit.collect.transports",
    "stackaudit.discovery",
    "stackaudit.collect",
    "stackaudit.report",
    # top level, wiring the stages: the checks' helpers, the catalog, the plugin and the command line
    "stackaudit.groups",
    "stackaudit.catalog",
    "stackaudit.applicability",
    "stackaudit.configuration",
    "stackaudit.session",
    "stackaudit.plugin",
    "stackaudit.fixtures",
    # `stackaudit explain`: reads the catalog, the declarations and the checks' source, runs nothing
    "stackaudit.explain_source",
    "stackaudit.explain_lab",
    "stackaudit.explain",
    # what the accounts need and the checks' list, made from the declarations and the catalog (docs/)
    "stackaudit.access_needs",
    "stackaudit.access_document",
    "stackaudit.checks_document",
    "stackaudit.generated_docs",
    "stackaudit.cli",
    "stackaudit.__main__",
]
ANYWHERE = ("stackaudit.errors",)  # every stage raises its errors; errors.py imports no stage


def stage_of(module: str) -> int:
    if module == "stackaudit":      # the package's own __init__ (a docstring): before every stage
        return -1
    matches = [i for i, stage in enumerate(STAGES) if module == stage or module.startswith(stage + ".")]
    if not matches:
        raise AssertionError(f"{module} belongs to no stage of the layout")
    return max(matches, key=lambda i: len(STAGES[i]))


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            # `from stackaudit.collect import batch` imports the module stackaudit.collect.batch
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return {name for name in names if name == "stackaudit" or name.startswith("stackaudit.")}


def sources() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if p.name != "__init__.py" or p.stat().st_size)


def upward_imports(module: str, names: set[str]) -> list[str]:
    if module in ANYWHERE:
        return sorted(n for n in names if not n.startswith(ANYWHERE))
    own = stage_of(module)
    found = []
    for name in names:
        if name.startswith(ANYWHERE) or name == "stackaudit":
            continue
        if stage_of(name) > own:
            found.append(f"{module} imports {name} ({STAGES[stage_of(name)]} comes after {STAGES[own]})")
    return sorted(found)


@pytest.mark.parametrize("path", sources(), ids=lambda p: str(p.relative_to(PACKAGE.parent)))
def test_no_import_runs_back_up_the_flow(path):
    assert upward_imports(module_name(path), imported(path)) == []


def test_every_module_belongs_to_a_stage():
    for path in sources():
        module = module_name(path)
        if module not in ANYWHERE and module != "stackaudit":
            stage_of(module)


def test_the_check_sees_an_upward_import(tmp_path):
    """The check is not vacuous: a parser that imports the collectors, or errors importing a stage, is reported."""
    copy = tmp_path / "agent.py"
    copy.write_text((PACKAGE / "parsers" / "agent.py").read_text() + "\nfrom stackaudit.collect import collectors\n")
    assert upward_imports("stackaudit.parsers.agent", imported(copy)) == [
        "stackaudit.parsers.agent imports stackaudit.collect.collectors "
        "(stackaudit.collect comes after stackaudit.parsers)"]
    assert upward_imports("stackaudit.errors", {"stackaudit.config.policy"}) == ["stackaudit.config.policy"]
