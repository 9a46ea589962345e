"""Rows of MariaDB/MySQL status statements, as PyMySQL's DictCursor returns them."""
from __future__ import annotations

from stackaudit.errors import UnparsableOutput


def parse_global_variables(rows: list[dict]) -> dict[str, str]:
    """`SHOW GLOBAL VARIABLES ...`: [{"Variable_name": "log_bin", "Value": "ON"}, ...] -> {name: value}."""
    variables = {}
    for row in rows:
        try:
            variables[str(row["Variable_name"]).lower()] = "" if row["Value"] is None else str(row["Value"])
        except (KeyError, TypeError):
            raise UnparsableOutput(f"SHOW GLOBAL VARIABLES: unexpected row {str(row)[:80]}") from None
    return variables
