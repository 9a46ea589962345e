"""What a check's source shows and no declaration does: the rule functions it calls, the helpers it
calls them through, and the API rows it reads straight from discovery's listing
(`facts.api_rows("listHosts", clusterid=...)`), read from the source with `ast`; and where a function
is defined (file:line of its `def`, the path from the checkout)."""
from __future__ import annotations

import ast
import inspect
import textwrap
from dataclasses import dataclass
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parent.parent    # the checkout (or site-packages, installed)
RULES_PACKAGE = "stackaudit.rules"
# Helpers a check calls its rules through, followed like the check's own module-level helpers.
HELPER_MODULES = ("stackaudit.groups",)


@dataclass(frozen=True)
class Calls:
    rules: tuple[tuple[str, str], ...]      # (module.function, file:line), in file order
    helpers: tuple[tuple[str, str], ...]    # the same for the helpers in between
    api_rows: tuple[str, ...]               # "listHosts where clusterid=cluster.target.attrs.id"


def place_of(function) -> str:
    """`path:line` of the function's `def` (not its first decorator), the path from the checkout;
    a lambda's line is the line it is written on."""
    lines, start = inspect.getsourcelines(function)
    offset = next((i for i, line in enumerate(lines) if line.lstrip().startswith(("def ", "async def "))), 0)
    path = Path(inspect.getsourcefile(function)).resolve()
    shown = path.relative_to(CHECKOUT) if path.is_relative_to(CHECKOUT) else path
    return f"{shown}:{start + offset}"


def called_function(node: ast.expr, namespace: dict):
    """The function a call's `name(...)` or `module.name(...)` means in the module's namespace, if any."""
    if isinstance(node, ast.Name):
        found = namespace.get(node.id)
    elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) \
            and inspect.ismodule(namespace.get(node.value.id)):
        found = getattr(namespace[node.value.id], node.attr, None)
    else:
        return None
    return found if inspect.isfunction(found) else None


def api_rows_text(node: ast.Call) -> str:
    command = node.args[0].value if node.args and isinstance(node.args[0], ast.Constant) else \
        ", ".join(ast.unparse(arg) for arg in node.args)
    where = ", ".join(f"{keyword.arg}={ast.unparse(keyword.value)}" for keyword in node.keywords)
    return f"{command} where {where}" if where else str(command)


def qualified(function) -> str:
    return f"{function.__module__}.{function.__qualname__}"


def calls_of(check_function) -> Calls:
    """The rule functions the check calls, directly or through its module's helpers and groups.py's."""
    own_module = check_function.__module__
    rules, helpers, rows = {}, {}, {}
    pending, seen = [check_function], set()
    while pending:
        function = pending.pop()
        if function in seen:
            continue
        seen.add(function)
        namespace = vars(inspect.getmodule(function))
        for node in ast.walk(ast.parse(textwrap.dedent(inspect.getsource(function)))):
            if not isinstance(node, ast.Call):
                continue
            if isinstance(node.func, ast.Attribute) and node.func.attr == "api_rows":
                rows.setdefault(api_rows_text(node))
                continue
            called = called_function(node.func, namespace)
            if called is None or hasattr(called, "stackaudit_check_id"):
                continue
            if called.__module__.startswith(RULES_PACKAGE):
                rules.setdefault(qualified(called), place_of(called))
            elif called.__module__ in (own_module, *HELPER_MODULES):
                helpers.setdefault(qualified(called), place_of(called))
                pending.append(called)

    def in_file_order(found: dict) -> tuple[tuple[str, str], ...]:
        return tuple(sorted(found.items(), key=lambda item: (item[1].rsplit(":", 1)[0], int(item[1].rsplit(":", 1)[1]))))
    return Calls(in_file_order(rules), in_file_order(helpers), tuple(rows))
