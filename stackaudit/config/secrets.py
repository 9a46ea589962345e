"""Where a secret comes from: an environment variable or a file only the owner can read.

A secret is never taken inline from an inventory (inventories get copied, committed and pasted
into tickets). It is read when a connection needs it and never logged.
"""
from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

from stackaudit.config.redact import remember_secret
from stackaudit.errors import ConfigError


@dataclass(frozen=True)
class SecretSource:
    where: str                 # the inventory key, for error messages
    env: str | None = None
    file: Path | None = None

    def read(self) -> str:
        if self.env is not None:
            value = os.environ.get(self.env)
            if not value:
                raise ConfigError(f"{self.where}: environment variable {self.env} is not set; export it "
                                  "before the run")
            remember_secret(value)
            return value
        assert self.file is not None
        try:
            value = self.file.read_text().strip()
        except OSError as err:
            raise ConfigError(f"{self.where}: cannot read {self.file}: {err.strerror}; fix the path") from None
        if not value:
            raise ConfigError(f"{self.where}: {self.file} is empty; put the secret in it")
        remember_secret(value)
        return value

    def check_permissions(self) -> None:
        if self.file is None:
            return
        try:
            mode = self.file.stat().st_mode
        except OSError as err:
            raise ConfigError(f"{self.where}: cannot read {self.file}: {err.strerror}; fix the path") from None
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise ConfigError(f"{self.where}: {self.file} is readable by others (mode {stat.S_IMODE(mode):04o}); "
                              f"run chmod 600 {self.file}")
