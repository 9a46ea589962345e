"""Where a secret comes from: an environment variable or a file only the owner can read.

A secret is never taken inline from an inventory (inventories get copied, committed and pasted
into tickets). It is checked when the inventory is loaded (set, not empty, the file protected),
read again when a connection needs it, and never logged: no error message quotes its value.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from stackaudit.config.named_files import owner_only, readable_text
from stackaudit.config.files import shown_path
from stackaudit.config.redact import remember_secret
from stackaudit.config.schema import child
from stackaudit.errors import ConfigError

# A name is quoted back only when it looks like a conventional variable name: a secret pasted into
# `key_env` by mistake (mixed case, 40+ characters) must not be echoed.
_QUOTABLE_NAME = re.compile(r"[A-Z_][A-Z0-9_]{0,63}")


@dataclass(frozen=True)
class SecretSource:
    where: str                 # the inventory key, for error messages
    env: str | None = None
    file: Path | None = None

    def read(self) -> str:
        if self.env is not None:
            value = os.environ.get(self.env, "")
            if not value.strip():
                name = self.env if _QUOTABLE_NAME.fullmatch(self.env) else "the variable it names"
                raise ConfigError(f"{self.where}: environment variable {name} is not set or empty; export it "
                                  "before the run")
            remember_secret(value)
            return value
        assert self.file is not None
        value = readable_text(self.file, self.where).strip()
        if not value:
            raise ConfigError(f"{self.where}: {shown_path(self.file)} is empty; put the secret in it")
        if "\n" in value or "\r" in value:
            raise ConfigError(f"{self.where}: {shown_path(self.file)} holds more than one line; keep only the "
                              "secret in it")
        remember_secret(value)
        return value

    def check(self) -> None:
        """At load: the variable is set, or the file is protected and holds one line."""
        if self.file is not None:
            readable_text(self.file, self.where)
            owner_only(self.file, self.where)
        self.read()


def secret_source(section: dict, name: str, at: str, local) -> SecretSource:
    """Where the section's secret `name` comes from (NAME_env or NAME_file), checked: set, protected."""
    if section.get(name) is not None:
        raise ConfigError(f"{child(at, name)}: inline secrets are refused; use {name}_env (an environment "
                          f"variable) or {name}_file (a file with mode 0600)")
    env, file = section.get(f"{name}_env"), section.get(f"{name}_file")
    if (env is None) == (file is None):
        raise ConfigError(f"{child(at, name + '_env')}: give exactly one of {name}_env or {name}_file")
    source = SecretSource(child(at, f"{name}_env" if env else f"{name}_file"), env, local(file))
    source.check()
    return source
