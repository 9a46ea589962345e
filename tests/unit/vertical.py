"""The mysql client's vertical (`\\G`) format as the row dicts PyMySQL's DictCursor would return.

    *************************** 1. row ***************************
                   Slave_IO_State: Waiting for master to send event
                      Master_Host: 127.0.0.1
            Seconds_Behind_Master: NULL

NULL becomes None; every other value stays text (PyMySQL would give int columns as int; the
parsers take both). A value that runs over lines (Executed_Gtid_Set) continues on lines with no
`Name:` of their own. Lines before the first row that are not fields (the prompt) and the client's
"N rows in set" are left out; fields with no row header (a paste without it) open a row.
"""
from __future__ import annotations

import re

ROW_HEADER = re.compile(r"^\*+ \d+\. row \*+$")
FIELD = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*): ?(.*)$")
FOOTER = re.compile(r"^\d+ rows? in set")


def vertical_rows(text: str) -> list[dict]:
    rows: list[dict] = []
    last = None
    for line in text.splitlines():
        if ROW_HEADER.match(line.strip()):
            rows.append({})
            last = None
            continue
        if FOOTER.match(line.strip()):
            last = None
            continue
        field = FIELD.match(line)
        if field:
            if not rows:
                rows.append({})
            value = field[2].rstrip()
            rows[-1][field[1]] = None if value == "NULL" else value
            last = field[1]
        elif last is not None and rows:
            rows[-1][last] = f"{rows[-1][last] or ''}\n{line.rstrip()}"
    return rows
