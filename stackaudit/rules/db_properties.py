"""MS-DB-HOST-NOT-LOCAL: which database db.properties makes the management server use.

Read as CloudStack 4.19+ reads it (apache/cloudstack
framework/db/src/main/java/com/cloud/utils/db/TransactionLegacy.java):
- getConnectionUriAndDriver: a non-empty `db.<schema>.uri` is the JDBC URL, used as is; host,
  port, name, url.params and replicas are then ignored (pull request 7895, "Flexible URI for
  connection with DB"); its driver is `split(":")` fields 0 and 1;
- otherwise buildConnectionUri: `<db.X.driver>://<db.X.host>[,<db.X.replicas> when db.ha.enabled]
  :<db.X.port>/<db.X.name>?...` (Integer.parseInt of the port);
- initDataSource: any failure is caught, and both pools fall back on `jdbc:mysql://localhost:3306`
  (getDefaultDataSource). The failures a file can cause, each a finding (`fallback_reasons`):
  Integer.parseInt of `db.cloud.port` / `db.usage.port` (without a uri; getPropertiesAndBuildConnectionUri),
  Long.parseLong of `db.cloud.timeBetweenEvictionRunsMillis` and `db.cloud.minEvictableIdleTimeMillis`,
  and, up to 4.19, of `db.{cloud,usage}.{maxActive,maxIdle,maxWait}` (4.20's parseNumber forgives
  those, pull request 9518); System.setProperty(key, null) where `db.cloud.useSSL` is true and a key
  or trust store key is missing; a driver DriverLoader.loadDriver does not know. Read at
  https://github.com/apache/cloudstack/blob/0676dd5588c51ff314df3b2203206310e3fbcea8/framework/db/src/main/java/com/cloud/utils/db/TransactionLegacy.java
  (4.20.0 before 9518: the 4.19 reading) and https://github.com/apache/cloudstack/pull/9518.
The driver then connects to every host the URL names (stackaudit.parsers.jdbc).
"""
from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field

from stackaudit.errors import UnparsableOutput
from stackaudit.parsers.cloudstack import parse_cloudstack_version
from stackaudit.parsers.jdbc import cloudstack_driver, parse_jdbc_url
from stackaudit.parsers.localnames import OwnNames
from stackaudit.parsers.numbers import read_java_int, read_or_none

SCHEMAS = ("cloud", "usage")
# DriverLoader.DRIVERS
SUPPORTED_DRIVERS = ("jdbc:mysql", "jdbc:postgresql", "jdbc:h2", "jdbc:mariadb")
# Loopback names of Debian's and RHEL's /etc/hosts and glibc's own; "" is Java's empty host (loopback).
LOOPBACK_NAMES = ("localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback", "localhost6",
                  "localhost6.localdomain6", "")
# TransactionLegacy.initDataSource reads these with Long.parseLong, outside any catch of its own, in
# every release since 4.0; a value that is no number (or no key: parseLong(null)) makes it fall back.
JAVA_LONGS = ("db.cloud.timeBetweenEvictionRunsMillis", "db.cloud.minEvictableIdleTimeMillis")
# The pools' sizes and waits: Integer.parseInt / Long.parseLong in the same way up to CloudStack 4.19
# (apache/cloudstack commit 0676dd5588c51ff314df3b2203206310e3fbcea8); from 4.20 (pull request 9518,
# "framework/db: use HikariCP as default and improvements", 2024) its parseNumber catches the
# NumberFormatException and the pool takes its default instead: no fallback.
POOL_NUMBERS = {f"db.{schema}.{name}": bits for schema in ("cloud", "usage")
                for name, bits in (("maxActive", 32), ("maxIdle", 32), ("maxWait", 64))}
POOL_NUMBERS_LENIENT_FROM = (4, 20)
# With db.cloud.useSSL true, System.setProperty of each of these; a key left out is a null value,
# and setProperty(key, null) throws NullPointerException: fallback (an empty value is no null).
SSL_PROPERTIES = ("db.cloud.keyStore", "db.cloud.keyStorePassword", "db.cloud.trustStore",
                  "db.cloud.trustStorePassword")


@dataclass
class Connection:
    schema: str
    source: str                                  # the key(s) the hosts came from
    hosts: tuple[str, ...] = ()
    evidence: dict = field(default_factory=dict)


def java_number(text: str | None, bits: int) -> int | None:
    """Integer.parseInt (bits 32) or Long.parseLong (bits 64) of the text (numbers.read_java_int: any
    BMP decimal digit, no blank); None where Java throws NumberFormatException."""
    return read_or_none(read_java_int, text, bits=bits)


def java_int(text: str | None) -> bool:
    return java_number(text, 32) is not None


def java_long(text: str | None) -> bool:
    return java_number(text, 64) is not None


def pool_numbers_fall_back(version: str | None) -> bool:
    """Whether a pool size or wait that is no number makes this release fall back (unknown: assume so)."""
    try:
        return version is None or parse_cloudstack_version(version)[:2] < POOL_NUMBERS_LENIENT_FROM
    except UnparsableOutput:
        return True


def fallback_reasons(properties: dict[str, str], version: str | None = None) -> list[str]:
    """Why initDataSource would fail and fall back on localhost:3306 (empty: it would not), for the
    management server's CloudStack `version` where it is known."""
    reasons = [not_a_number(properties, key) for key in JAVA_LONGS if not java_long(properties.get(key))]
    if pool_numbers_fall_back(version):
        release = f"CloudStack {version}" if version else "CloudStack up to 4.19"
        reasons += [f"{not_a_number(properties, key)} ({release} reads it with "
                    f"{'Integer.parseInt' if bits == 32 else 'Long.parseLong'})"
                    for key, bits in POOL_NUMBERS.items() if java_number(properties.get(key), bits) is None]
    if str(properties.get("db.cloud.useSSL")).lower() == "true":
        reasons += [f"db.cloud.useSSL is true and {key} is not set (System.setProperty of a null value)"
                    for key in SSL_PROPERTIES if key not in properties]
    for schema in SCHEMAS:
        uri = properties.get(f"db.{schema}.uri")
        driver = cloudstack_driver(uri) if uri else properties.get(f"db.{schema}.driver")
        if not uri and not java_int(properties.get(f"db.{schema}.port")):
            reasons.append(not_a_number(properties, f"db.{schema}.port"))
        if driver not in SUPPORTED_DRIVERS:
            where = f"db.{schema}.uri" if uri else f"db.{schema}.driver"
            reasons.append(f"{where} names driver {driver!r}, which CloudStack does not load")
    return reasons


def not_a_number(properties: dict[str, str], key: str) -> str:
    value = properties.get(key)
    if value is None:
        return f"{key} is not set"
    try:
        written = value.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        written = value
    if written != value:     # UTF-8 in the file: Properties.load reads its bytes as ISO 8859-1
        return f"{key} is {written!r} (to Java, reading ISO 8859-1: {value!r}), not a number"
    return f"{key} is {value!r}, not a number"


def connection_of(properties: dict[str, str], schema: str) -> Connection:
    """The hosts one pool connects to (its URL parsed as the JDBC driver parses it)."""
    uri = properties.get(f"db.{schema}.uri")
    if uri:
        return Connection(schema, f"db.{schema}.uri", parse_jdbc_url(uri).hosts, {f"db.{schema}.uri": uri})
    host = properties.get(f"db.{schema}.host")
    keys = [f"db.{schema}.host"]
    hosts_text = "null" if host is None else host     # Java's string concatenation of a null
    if str(properties.get("db.ha.enabled")).lower() == "true":
        keys.append(f"db.{schema}.replicas")
        hosts_text += f",{properties.get(f'db.{schema}.replicas')}"
    port = java_number(properties.get(f"db.{schema}.port"), 32)     # the int buildConnectionUri appends
    url = f"{properties.get(f'db.{schema}.driver')}://{hosts_text}:{port}/"
    return Connection(schema, " and ".join(keys), parse_jdbc_url(url).hosts,
                      {"built as TransactionLegacy.buildConnectionUri": url,
                       **{k: properties.get(k) for k in keys}})


def local_meaning(host: str, own: OwnNames) -> str | None:
    """Why `host` means this server (None: it does not)."""
    name = host.strip().lower().rstrip(".")
    if name in LOOPBACK_NAMES:
        return "a loopback name" if name else "an empty host name, which Java resolves to loopback"
    address = java_address(name)
    if address is not None:
        if is_loopback_address(address):
            return "a loopback address"
        if str(address) in own.addresses:
            return "an address of this server's own interfaces"
        return None
    if name in {n.lower() for n in own.names}:
        return "this server's own host name"
    for entry in own.hosts_file:
        if name in (n.lower() for n in entry.names):
            mapped = ipaddress.ip_address(entry.address)
            if is_loopback_address(mapped) or entry.address in own.addresses:
                return f"mapped to {entry.address}, this server, in /etc/hosts"
            return None
    return None


def java_address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """An IP literal as Java's InetAddress reads it: IPv6 (brackets allowed), dotted IPv4 and its
    short forms (`127.1` is 127.0.0.1: the last part fills the remaining bytes)."""
    text = text[1:-1] if text.startswith("[") and text.endswith("]") else text
    try:
        return ipaddress.ip_address(text.split("%", 1)[0])
    except ValueError:
        pass
    parts = text.split(".")
    if not 1 <= len(parts) <= 4 or not all(p.isascii() and p.isdigit() and len(p) <= 10 for p in parts):
        return None
    values = [int(p) for p in parts]
    last_bytes = 5 - len(values)
    if any(v > 255 for v in values[:-1]) or values[-1] >= 256 ** last_bytes:
        return None
    number = 0
    for value in values[:-1]:
        number = number * 256 + value
    return ipaddress.IPv4Address(number * 256 ** last_bytes + values[-1])


def is_loopback_address(address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    # 0.0.0.0 and :: reach this host's own listeners on Linux
    return address.is_loopback or address.is_unspecified


def db_host_findings(properties: dict[str, str] | None, own: OwnNames, database_address: str | None,
                     version: str | None = None) -> tuple[list[str], dict]:
    """(findings, evidence): each pool's hosts are neither this server nor other than the policy's
    address; `version` is the management server's CloudStack version, where discovery knows it."""
    if properties is None:
        return ["/etc/cloudstack/management/db.properties does not exist"], {}
    reasons = fallback_reasons(properties, version)
    if reasons:
        return [f"CloudStack cannot load this db.properties ({'; '.join(reasons)}): it falls back on the "
                "database at localhost:3306"], {"fallback": reasons}
    findings, evidence = [], {}
    for schema in SCHEMAS:
        connection = connection_of(properties, schema)
        evidence[schema] = {**connection.evidence, "hosts": list(connection.hosts)}
        if connection.source.startswith(f"db.{schema}.host") and properties.get(f"db.{schema}.host") is None:
            findings.append(f"db.{schema}.host is not set (CloudStack would connect to a host named 'null')")
            continue
        for host in dict.fromkeys(connection.hosts):
            why = local_meaning(host, own)
            if why:
                findings.append(f"{connection.source} names {host or repr(host)} ({why}): the {schema} database "
                                "is this server, not the replicated database")
            elif database_address and host != database_address:
                findings.append(f"{connection.source} names {host}; the policy's database address is "
                                f"{database_address}")
    evidence["this server"] = {"names": sorted(own.names), "addresses": sorted(own.addresses)}
    return findings, evidence
