"""How a fact is read: the four kinds of reading (a shell command, an SQL statement, an XAPI class,
a CloudStack API call) and `Fact`, which ties a fact's name and target kinds to its readings and to
the function that makes its typed value of what they returned.

The facts themselves are declared one module per family under collect/declared/ (firewall.py,
database.py, ...) and registered in collect/declarations.py.
"""
from __future__ import annotations

import shlex
from dataclasses import dataclass
from typing import Any, Callable


def shell(*argv: str) -> str:
    """One command line from its arguments, each quoted for sh."""
    return " ".join(shlex.quote(arg) for arg in argv)


@dataclass(frozen=True)
class Command:
    """A shell command run over SSH, in the target's one batched exec; its output is section `name`."""
    name: str
    line: str | Callable[[Any, str], str | None]   # or (policy, kind) -> line; None: not asked of this target
    absent_if_missing_file: bool = False   # a failure saying "No such file" means the file is absent
    ok_exit_codes: tuple[int, ...] = (0,)   # exit codes that still mean a complete output
    # (stdout) -> the secret values the file holds under known secret keys (collect/target_secrets.py)
    secrets: Callable[[str], list[str]] | None = None
    # an SQL answer this command is built from: `line` is then (answer) -> line, the answer a
    # collected.Collected; the target's SQL part is read before its commands run
    after_query: str | None = None

    def line_for(self, policy, kind: str, answers: dict | None = None) -> str | None:
        """The command line on a target of `kind`; `answers`: the target's SQL readings by name."""
        if self.after_query:
            answer = (answers or {}).get(self.after_query)
            return self.line(answer) if answer is not None and answer.error is None else None
        return self.line(policy, kind) if callable(self.line) else self.line


@dataclass(frozen=True)
class Query:
    """An SQL statement, asked as the read-only audit user; or (policy) -> statement, chosen from the
    run's policy. No statement: `statement_of` chooses it from the answers of the queries `after`
    names (raising a TargetError when it cannot), once. The collector records the one it asked as
    the answer's `used`."""
    name: str
    statement: str | Callable[[Any], str] | None
    after: tuple[str, ...] = ()    # queries whose answer this one needs
    statement_of: Callable[[dict[str, Any]], str] | None = None   # ({name: collected.Collected}) -> statement
    # (rows) -> the secret values the rows hold (collect/target_secrets.py)
    secrets: Callable[[Any], list[str]] | None = None


@dataclass(frozen=True)
class Records:
    """`<xapi_class>.get_all_records` on the pool master."""
    xapi_class: str

    @property
    def name(self) -> str:
        return self.xapi_class


@dataclass(frozen=True)
class ApiCall:
    """One reading from the CloudStack API (collectors.read_cloud_settings): every row of `command`
    with `params`; or, where one reading takes several calls, `reader` (api, discovery snapshot) ->
    Collected, whose calls `asks` gives in words and `sends` by command name (the API role the suite
    needs: access_needs.py). `rows` says what the rows are (explain shows it)."""
    name: str
    command: str = ""
    params: tuple[tuple[str, str], ...] = ()
    rows: str = ""
    reader: Callable[[Any, Any], Any] | None = None
    asks: str = ""
    sends: tuple[str, ...] = ()

    @property
    def commands(self) -> tuple[str, ...]:
        """The API commands this reading sends."""
        return (self.command,) if self.command else self.sends

    @property
    def calls(self) -> str:
        """The call line as `stackaudit explain` and Collected.used give it."""
        return self.asks or " ".join([self.command, *(f"{key}={value}" for key, value in self.params)])


Reading = Command | Query | Records | ApiCall
CHANNELS = {Command: "ssh", Query: "sql", Records: "xapi", ApiCall: "api"}


@dataclass(frozen=True)
class Fact:
    name: str
    kinds: tuple[str, ...]
    reads: tuple[Reading, ...]
    parse: Callable[[Any], Any]        # (facts) -> the typed value; facts gives the collected readings
    uses: tuple[str, ...] = ()         # other facts `parse` reads


def cat(name: str, path: str, secrets: Callable[[str], list[str]] | None = None) -> Command:
    return Command(name, shell("cat", path), absent_if_missing_file=True, secrets=secrets)


def config_file(facts, section: str, path: str, parser):
    """A configuration file's parsed content; None when the file does not exist."""
    text = facts.section(section)
    return None if text is None else parser(text, path)


def config_file_fact(name: str, kinds: tuple[str, ...], path: str, parser, secrets=None) -> Fact:
    """A fact that is one file's parsed content (None when the file does not exist); `parser(text, path)`."""
    return Fact(name, kinds, (cat(name, path, secrets),), lambda facts: config_file(facts, name, path, parser))
