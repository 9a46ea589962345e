"""Where the loaders put a configuration mistake: raised at once, or collected to list them all.

`stackaudit run` and the plugin stop at the first mistake (a `Problems()` that raises, the loaders'
default); `stackaudit validate` collects every mistake of the inventory, its policy and the waivers
(`Problems(collect=True)`) and lists them together. A loader runs its checks as independent steps;
a step whose input already failed (a section that failed the schema) is not run.
"""
from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

from stackaudit.errors import SchemaError


class Problems:
    def __init__(self, collect: bool = False, error: type[SchemaError] = SchemaError):
        self.collect = collect
        self.error = error      # what a mistake is raised as without `collect` (the loaders: ConfigError)
        self.lines: list[str] = []

    def add(self, error: SchemaError) -> None:
        """Record a mistake (one line); without `collect`, raise it at once."""
        if not self.collect:
            raise error if isinstance(error, self.error) else self.error(str(error)) from None
        line = str(error)
        if line not in self.lines:
            self.lines.append(line)

    @contextmanager
    def step(self) -> Iterator[None]:
        """One independent check: its mistake is recorded and the loader goes on with the next step."""
        try:
            yield
        except SchemaError as err:
            self.add(err)
