"""Ways to break one thing in a valid site (tests/unit/config_site.py), for the bad-input table."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import yaml

from tests.unit.config_site import ENV, inventory_document, ssh_key_pair, write_site

MIB = 1024 * 1024
# Secret values planted in the site or in a broken value: none may appear in any error line.
PLANTED = (*ENV.values(), "planted-api-secret-77ab", "planted-xapi-password-0e5f", "Planted-Userinfo-Pw",
           "Planted-Inline-Pw", "Zm9vYmFyLXBsYW50ZWQtYXBpLWtleQ")


@dataclass
class Site:
    directory: Path
    inventory: Path
    env: dict = field(default_factory=lambda: dict(ENV))
    workers: str = "auto"

    @property
    def waivers(self) -> Path:
        return self.directory / "waivers.yml"

    def path(self, relative: str) -> Path:
        return self.directory / relative

    def secrets(self) -> tuple[str, ...]:
        """Every secret value the site holds, the private key's body lines included."""
        key_lines = [line for line in ssh_key_pair()[0].splitlines() if line and not line.startswith("-----")]
        return (*PLANTED, *key_lines)


def make_site(directory: Path) -> Site:
    return Site(directory, write_site(directory))


@dataclass(frozen=True)
class Case:
    name: str
    breaks: Callable[[Site], None]
    fragment: str            # text the one line must hold (the key path, what was found, the fix)
    end_to_end: bool = False  # also run through `python -m stackaudit run`


def set_key(document: dict, dotted: str, value) -> None:
    """Set `a.b.0.c` in a document; a value of DELETE removes the key."""
    *parents, last = dotted.split(".")
    node = document
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    if value is DELETE:
        del node[last]
    elif isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value


DELETE = object()


def inventory(dotted: str, value, *more) -> Callable[[Site], None]:
    """The valid inventory with `dotted` set to `value` (and each further pair of `more`)."""
    def change(site: Site) -> None:
        document = inventory_document()
        for key, new in zip((dotted, *more[::2]), (value, *more[1::2])):
            set_key(document, key, new)
        site.inventory.write_text(yaml.safe_dump(document, sort_keys=False, allow_unicode=True))
    return change


def inventory_text(text: str | bytes) -> Callable[[Site], None]:
    return write("inventory.yml", text)


def write(relative: str, content: str | bytes) -> Callable[[Site], None]:
    def change(site: Site) -> None:
        path = site.path(relative)
        mode = path.stat().st_mode & 0o777 if path.exists() else 0o600
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
        path.chmod(mode)
    return change


def append(relative: str, text: str) -> Callable[[Site], None]:
    return lambda site: site.path(relative).write_text(site.path(relative).read_text() + text)


def fifo(relative: str) -> Callable[[Site], None]:
    def change(site: Site) -> None:
        site.path(relative).unlink()
        os.mkfifo(site.path(relative), 0o600)
    return change


def directory(relative: str) -> Callable[[Site], None]:
    def change(site: Site) -> None:
        site.path(relative).unlink()
        site.path(relative).mkdir(mode=0o700)
    return change


def remove(relative: str) -> Callable[[Site], None]:
    return lambda site: site.path(relative).unlink()


def sparse(relative: str, size: int) -> Callable[[Site], None]:
    def change(site: Site) -> None:
        with open(site.path(relative), "r+b") as file:
            file.truncate(size)
    return change


def chmod(relative: str, mode: int) -> Callable[[Site], None]:
    return lambda site: site.path(relative).chmod(mode)


def env(name: str, value: str | None) -> Callable[[Site], None]:
    def change(site: Site) -> None:
        if value is None:
            site.env.pop(name, None)
        else:
            site.env[name] = value
    return change


def workers(value: str) -> Callable[[Site], None]:
    def change(site: Site) -> None:
        site.workers = value
    return change


def policy(text: str) -> Callable[[Site], None]:
    return write("policy.yml", text)


def waivers(text: str) -> Callable[[Site], None]:
    return write("waivers.yml", text)


def waiver(**fields) -> Callable[[Site], None]:
    entry = {"check": "MS-CA-STRICT", "target": "cloud://*", "reason": "agents re-keyed", "approver": "j.doe",
             "ticket": "OPS-1", "expires": "2026-12-01", **fields}
    return waivers(yaml.safe_dump({"waivers": [entry]}, allow_unicode=True))


def alias_bomb(levels: int = 9) -> str:
    """The "billion laughs": each level lists the previous one nine times (9**9 leaves once expanded)."""
    lines = ['l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9)}]" for i in range(1, levels)]
    return "\n".join(lines) + "\n"
