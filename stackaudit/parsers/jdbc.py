"""JDBC connection URLs as db.properties' `db.cloud.uri` / `db.usage.uri` hold them (CloudStack 4.19+).

Every host a URL names counts (failover, load-balancing and replication lists alike). The forms of
MySQL Connector/J 8 (Connection URL Syntax, Connector/J Developer Guide 6.2), MariaDB Connector/J
and the PostgreSQL driver, the drivers CloudStack loads (apache/cloudstack
framework/db/src/main/java/com/cloud/utils/db/DriverLoader.java):

    jdbc:mysql://host1:33060/sakila
    jdbc:mysql:loadbalance://localhost:3306,localhost:3310/sakila
    jdbc:mysql://sandy:secret@[myhost1:1111,myhost2:2222]/db
    jdbc:mysql://address=(type=master)(host=master1host),address=(type=slave)(host=slave1host)/database
    jdbc:mysql://(host=myhost1,port=1111,key1=value1),(host=myhost2,port=2222)/db
    jdbc:mariadb://[::1]:3306/cloud
    jdbc:postgresql://host1:5432,host2:5432/cloud

A host left out (`jdbc:mysql:///cloud`) is `localhost`, the drivers' default.
"""
from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from urllib.parse import unquote

from stackaudit.errors import UnparsableOutput
from stackaudit.parsers.numbers import read_java_int, reads

DEFAULT_HOST = "localhost"
JAVA_TRIMMED = "".join(map(chr, range(33)))   # String.trim: every character up to U+0020
URL = re.compile(r"jdbc:(?:mysql|mysql\+srv|mariadb|postgresql):(?:[a-z]+:)?//(?P<authority>[^/?#]*)(?:[/?#].*)?",
                 re.I | re.S)
# (key) = (value) without their blanks, blanks inside kept. Each run is taken once, possessively: a
# lazy key or value before \s* rescans every run of blanks, quadratic in blanks.
PAIR = re.compile(r"\(\s*+((?:[^=()\s]++|\s++(?=[^=()\s]))*+)\s*+=\s*+((?:[^()\s]++|\s++(?=[^()\s]))*+)\s*+\)")
HOST_PORT = re.compile(r"(?P<host>[^:\[\]()=,@]*)(?::(?P<port>[^:]*))?")
BRACKETED = re.compile(r"\[(?P<host>[^\[\]]*)\](?::(?P<port>.*))?")


@dataclass(frozen=True)
class JdbcUrl:
    hosts: tuple[str, ...]   # every host named, in order; IPv6 without its brackets


def cloudstack_driver(url: str) -> str | None:
    """TransactionLegacy.getConnectionUriAndDriver: `split(":")`, fields 0 and 1 (None: fewer fields)."""
    fields = url.split(":")
    return f"{fields[0]}:{fields[1]}" if len(fields) > 1 else None


def parse_jdbc_url(url: str) -> JdbcUrl:
    """Every host of a MySQL, MariaDB or PostgreSQL JDBC URL (the forms in the module docstring)."""
    match = URL.fullmatch(url.strip())
    if match is None:
        raise UnparsableOutput(f"JDBC URL {shown(url)}: expected jdbc:mysql://, jdbc:mariadb:// or "
                               "jdbc:postgresql:// followed by hosts")
    authority = match["authority"]
    hosts_text = authority.rpartition("@")[2]   # Connector/J: user info ends at the last '@'
    if hosts_text.startswith("[") and hosts_text.endswith("]") and is_host_list(hosts_text[1:-1]):
        hosts_text = hosts_text[1:-1]
    specs = split_top_level(hosts_text, url)
    hosts = tuple(host_of(spec, url) for spec in specs) if hosts_text.strip() else (DEFAULT_HOST,)
    return JdbcUrl(hosts)


def is_host_list(inner: str) -> bool:
    """`[a:1,b:2]` is Connector/J's bracketed host list; `[::1]` is one IPv6 address."""
    return not is_ipv6(inner)


def is_ipv6(text: str) -> bool:
    try:
        ipaddress.IPv6Address(text)
    except ValueError:
        return False
    return True


def split_top_level(text: str, url: str) -> list[str]:
    """Comma-separated host specs; commas inside (...) and [...] belong to the spec."""
    specs, depth, start = [], 0, 0
    for position, char in enumerate(text):
        if char in "([":
            depth += 1
        elif char in ")]":
            depth -= 1
            if depth < 0:
                raise UnparsableOutput(f"JDBC URL {shown(url)}: unbalanced {char!r} in the hosts")
        elif char == "," and depth == 0:
            specs.append(text[start:position])
            start = position + 1
    if depth:
        raise UnparsableOutput(f"JDBC URL {shown(url)}: unclosed bracket in the hosts")
    specs.append(text[start:])
    return specs


def host_of(spec: str, url: str) -> str:
    spec = spec.strip()
    if not spec:
        raise UnparsableOutput(f"JDBC URL {shown(url)}: an empty host in the host list")
    if spec.lower().startswith("address="):
        rest = spec[len("address="):]
        pairs = PAIR.findall(rest)
        if not pairs or PAIR.sub("", rest).strip():
            raise UnparsableOutput(f"JDBC URL {shown(url)}: expected address=(key=value)(key=value)... in "
                                   f"{spec[:60]!r}")
        return keyed_host(pairs, spec, url)
    if spec.startswith("("):
        pairs = [tuple(p.split("=", 1)) for p in spec[1:-1].split(",")] if spec.endswith(")") else []
        if not pairs or any(len(p) != 2 for p in pairs):
            raise UnparsableOutput(f"JDBC URL {shown(url)}: expected (key=value,key=value) in {spec[:60]!r}")
        return keyed_host([(k.strip(), v.strip()) for k, v in pairs], spec, url)
    match = BRACKETED.fullmatch(spec) if spec.startswith("[") else HOST_PORT.fullmatch(spec)
    if match is None and not spec.startswith("["):
        head, _, port = spec.rpartition(":")
        if is_ipv6(head) and reads(read_java_int, port):
            # CloudStack writes `<db.cloud.host>:<port>`: an unbracketed IPv6 host, then the port
            check_port(port, spec, url)
            return head
    if match is None:
        raise UnparsableOutput(f"JDBC URL {shown(url)}: cannot read host {spec[:60]!r} (an IPv6 address "
                               "goes in brackets)")
    check_port(match["port"], spec, url)
    return unquote(match["host"]) or DEFAULT_HOST


def keyed_host(pairs: list, spec: str, url: str) -> str:
    values = {k.lower(): v for k, v in pairs}
    check_port(values.get("port"), spec, url)
    host = unquote(values.get("host", ""))
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    return host or DEFAULT_HOST


def check_port(port: str | None, spec: str, url: str) -> None:
    if port is None:
        return
    # Connector/J's parseHostPortPair: the port trimmed as String.trim does, then Integer.parseInt,
    # which reads decimal digits of any script ("٣٣٠٦" is 3306) and a sign
    trimmed = port.strip(JAVA_TRIMMED)
    if not (reads(read_java_int, trimmed) and 0 < read_java_int(trimmed, "") < 65536):
        raise UnparsableOutput(f"JDBC URL {shown(url)}: port {port[:20]!r} of {spec[:60]!r} is not a port number")


def shown(url: str) -> str:
    """The URL for a message without user, password or parameters: scheme and hosts only."""
    head, _, tail = url.partition("//")
    hosts = re.split(r"[/?#]", tail.rpartition("@")[2], maxsplit=1)[0]
    return repr((head + "//" + hosts if _ else head.split("?")[0])[:120])
