"""MariaDB option files: the files as collected (collect/declared/database.py), and the options the
server takes from them.

The reading follows MariaDB's mysys/my_default.c (search_default_file_with_ext), checked against
`my_print_defaults` on a recorded Debian 12 layout (tests/data/recorded/mariadb-print-defaults-*).
"""
from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass

from stackaudit.errors import UnparsableOutput
from stackaudit.parsers.numbers import mariadb_unsigned

# The groups mariadbd reads (`mariadbd --help --verbose`: "mysqld server mysqld-10.11 mariadb
# mariadb-10.11 mariadbd mariadbd-10.11 client-server galera"), for any version suffix.
SERVER_GROUPS = {"mysqld", "server", "mariadb", "mariadbd", "client-server", "galera"}
VERSIONED_SERVER_GROUP = re.compile(r"(?:mysqld|mariadb|mariadbd)-[0-9]+(?:\.[0-9]+)*")
MAX_INCLUDE_DEPTH = 10
# Bounds the work of includes that fan out (each file including several others, no cycle).
MAX_FILE_READS = 500
# my_getopt.c (handle_options): an option not found by its own name is tried without a special
# prefix, "skip"/"disable" (the boolean off) or "enable" (on), joined by '-' or '_'. mariadbd's own
# options that start with one (`mariadbd --verbose --help`, 10.11) are found first.
BOOLEAN_PREFIXES = {"skip_": "0", "disable_": "0", "enable_": "1"}
SERVER_SKIP_OPTIONS = {"skip_grant_tables", "skip_host_cache", "skip_name_resolve", "skip_networking",
                       "skip_show_database", "skip_slave_start"}
ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "s": " ", '"': '"', "'": "'", "\\": "\\"}


@dataclass(frozen=True)
class Option:
    value: str | None     # None for an option given without '=' (skip-name-resolve)
    path: str             # the file of the setting that is in force
    loose: bool = False   # given as loose-NAME: a value the server cannot read is skipped with a warning


def parse_tail_files(text: str) -> dict[str, str]:
    """`tail -v -n +1 FILE...`: each file's text after a header; a blank line before every header
    but the first is tail's separator, not part of the file.

        ==> /etc/mysql/conf.d/mysql.cnf <==
        [mysql]

        ==> /etc/mysql/mariadb.cnf <==
        ...
    """
    if not text:
        return {}
    headers = list(re.finditer(r"^==> (.+) <==\n", text, re.M))
    if not headers or headers[0].start() != 0:
        first = text.split("\n", 1)[0]
        raise UnparsableOutput(f"tail -v line 1: expected '==> PATH <==', got {first[:80]!r}")
    files = {}
    for header, following in zip(headers, headers[1:] + [None]):
        end = following.start() - 1 if following else len(text)
        files[header[1]] = text[header.end():end]
    return files


def mysqld_options(files: dict[str, str], root: str, server_version: str | None = None) -> dict[str, Option]:
    """The options mariadbd takes from its option files, starting at `root`, reading only `files`.

        [mysqld]
        innodb_rollback_on_timeout=1
        binlog-format = 'ROW'
        skip-name-resolve
        !includedir /etc/mysql/conf.d/

    `!include FILE` and `!includedir DIR` (its *.cnf in name order) are followed; a file they name
    that is not in `files` is taken as absent, which the server skips. Names are given with '_'
    for '-' and without a `loose-` prefix; values unquoted and unescaped; the last setting wins.
    A version group ([mysqld-10.11]) counts for any version unless `server_version` ("10.11")
    says which one the server reads.

    A line the server cannot read is UnparsableOutput, also in an included file (where the
    server would only stop reading that file). The server also ignores world-writable files,
    which text alone cannot show.
    """
    if root not in files:
        raise UnparsableOutput(f"option files: {root} is not among the collected files")
    options: dict[str, Option] = {}
    read_option_file(files, root, (root,), options, server_version, [0])
    return options


def read_option_file(files: dict[str, str], path: str, chain: tuple[str, ...], options: dict[str, Option],
                     server_version: str | None, reads: list[int]) -> None:
    """One file, and the files it includes where it includes them. `chain`: the files that
    included this one. The server stops descending at depth 10; a cycle would have it read the
    same files over and over, so it is refused here, naming the files."""
    reads[0] += 1
    if reads[0] > MAX_FILE_READS:
        raise UnparsableOutput(f"option files: more than {MAX_FILE_READS} files read through !include")
    depth = len(chain) - 1
    group = None
    for number, line in enumerate(files[path].splitlines(), 1):
        line = line.strip()
        where = f"{path} line {number}"
        if not line or line[0] in "#;":
            continue
        if line[0] == "!":
            if depth < MAX_INCLUDE_DEPTH:
                for included in included_files(files, line, where):
                    if included in chain:
                        raise UnparsableOutput(f"{where}: !include cycle: {' -> '.join((*chain, included))}")
                    read_option_file(files, included, (*chain, included), options, server_version, reads)
            continue
        if line[0] == "[":
            end = line.find("]")
            if end < 0:
                raise UnparsableOutput(f"{where}: expected ']' after the group name, got {line[:80]!r}")
            # MariaDB drops trailing blanks only: "[ mysqld ]" is a group no program reads
            group = line[1:end].rstrip().lower()
            continue
        if group is None:
            raise UnparsableOutput(f"{where}: option {line[:80]!r} before any [group]")
        if is_server_group(group, server_version):
            name, value = parse_option_line(line)
            loose = name.replace("-", "_").startswith("loose_")
            name, value = boolean_prefix(normalise_option_name(name), value, where)
            options[name] = Option(value, path, loose)


def is_server_group(group: str, server_version: str | None) -> bool:
    if group in SERVER_GROUPS:
        return True
    return bool(VERSIONED_SERVER_GROUP.fullmatch(group)) and (
        server_version is None or group.endswith("-" + server_version))


def included_files(files: dict[str, str], line: str, where: str) -> list[str]:
    """The files an `!include`/`!includedir` line brings in; other `!` directives are ignored."""
    directive = line[1:].lstrip()
    for keyword in ("includedir", "include"):
        rest = directive[len(keyword):]
        if directive.startswith(keyword) and (not rest or rest[0].isspace()):
            target = rest.strip()
            if not target:
                raise UnparsableOutput(f"{where}: '!{keyword}' without a path")
            if keyword == "include":
                target = posixpath.normpath(target)
                return [target] if target in files else []
            directory = posixpath.normpath(target)
            return sorted((path for path in files if posixpath.dirname(path) == directory
                           and path.endswith(".cnf")), key=posixpath.basename)
    return []


def parse_option_line(line: str) -> tuple[str, str | None]:
    line = without_end_comment(line)
    name, sep, value = line.partition("=")
    if not sep:
        return line.rstrip(), None
    value = value.strip()
    if len(value) > 1 and value[0] in "'\"" and value[-1] == value[0]:
        value = value[1:-1]
    return name.rstrip(), unescape_option(value)


def without_end_comment(line: str) -> str:
    """The line up to the first '#' outside quotes (remove_end_comment)."""
    quote, escaped = None, False
    for position, char in enumerate(line):
        if char in "'\"" and not escaped:
            quote = char if quote is None else (None if quote == char else quote)
        if quote is None and char == "#":
            return line[:position]
        escaped = bool(quote) and char == "\\" and not escaped
    return line


def unescape_option(value: str) -> str:
    out, position = [], 0
    while position < len(value):
        char = value[position]
        if char == "\\" and position + 1 < len(value):
            following = value[position + 1]
            out.append(ESCAPES.get(following, "\\" + following))
            position += 2
        else:
            out.append(char)
            position += 1
    return "".join(out)


def normalise_option_name(name: str) -> str:
    name = name.replace("-", "_")
    return name[len("loose_"):] if name.startswith("loose_") else name


def boolean_prefix(name: str, value: str | None, where: str) -> tuple[str, str | None]:
    """`skip-log-bin` is log_bin = 0 and `enable-X` is X = 1, as the server takes them; a skip or
    disable with a value is refused by the server ("cannot take an argument")."""
    if name in SERVER_SKIP_OPTIONS:
        return name, value
    for prefix, meaning in BOOLEAN_PREFIXES.items():
        if name.startswith(prefix) and len(name) > len(prefix):
            if value is not None and meaning == "0":
                raise UnparsableOutput(f"{where}: {name.replace('_', '-')} takes no value (the server refuses "
                                       f"'={value[:40]}')")
            return name[len(prefix):], meaning if value is None else value
    return name, value


# --- values as mariadbd reads them at start (MariaDB's mysys/my_getopt.c) ----------------------
# Unsigned integer options of mariadbd (sys_vars.cc Sys_var_ulong / Sys_var_uint / Sys_var_ulonglong,
# InnoDB's UINT and ULONG variables) that the policy, CloudStack's block or Debian's files set.
UNSIGNED_OPTIONS = frozenset({
    "server_id", "max_connections", "innodb_lock_wait_timeout", "auto_increment_increment",
    "auto_increment_offset", "port", "max_allowed_packet", "innodb_buffer_pool_size", "max_binlog_size",
    "thread_stack", "thread_cache_size", "key_buffer_size", "table_open_cache", "open_files_limit",
    "wait_timeout", "interactive_timeout", "max_heap_table_size", "tmp_table_size", "innodb_log_file_size",
    "max_connect_errors", "binlog_expire_logs_seconds"})


def getopt_unsigned(name: str, argument: str | None) -> int:
    """An unsigned integer option's value as my_getopt.c reads it at start (numbers.mariadb_unsigned);
    `--NAME` without a value is refused too ("requires an argument"). UnparsableOutput carries the
    server's message."""
    if argument is None:
        raise UnparsableOutput(f"option '--{name.replace('_', '-')}' requires an argument")
    return mariadb_unsigned(argument, name)


def getopt_bool(argument: str | None) -> bool | None:
    """A boolean option as get_bool_argument reads it: on/true/1 and off/false/0, any case; no value
    is on. Anything else (`yes`) is None: the server warns "wasn't recognized. Set to OFF."."""
    if argument is None:
        return True
    word = argument.lower()
    return True if word in ("on", "true", "1") else False if word in ("off", "false", "0") else None


def startup_refusals(options: dict[str, Option]) -> list[str]:
    """The settings mariadbd would refuse at its next start, each with the server's own message: a
    value of an unsigned integer option that my_getopt cannot read (handle_options returns the error
    and the server aborts), unless written loose-NAME (skipped with a warning), except a missing value,
    which handle_options refuses even then."""
    refused = []
    for name in sorted(UNSIGNED_OPTIONS & set(options)):
        option = options[name]
        try:
            getopt_unsigned(name, option.value)
        except UnparsableOutput as err:
            if not option.loose or option.value is None:
                refused.append(f"{name} = {option.value} in {option.path}: {err}")
    return refused
