"""What `localhost`-like names and a server's own addresses mean on it (MS-DB-HOST-NOT-LOCAL), and
which addresses a database server holds (DB-VIP-SINGLE-HOLDER: the VIP keepalived moves)."""
from __future__ import annotations

from stackaudit.collect.readings import Command, Fact, cat, shell
from stackaudit.parsers.localnames import OwnNames, parse_etc_hosts, parse_hostname, parse_ip_addresses


def own_names(facts) -> OwnNames:
    """This server's host names, its interfaces' addresses and /etc/hosts."""
    names = {parse_hostname(facts.section("hostname"), "hostname")}
    etc_hostname = facts.section("etc_hostname")
    if etc_hostname is not None:
        names.add(parse_hostname(etc_hostname, "/etc/hostname"))
    hosts_file = facts.section("etc_hosts") or ""
    addresses = frozenset(address for _, address in parse_ip_addresses(facts.section("ip_addresses")))
    return OwnNames(frozenset(names), addresses, tuple(parse_etc_hosts(hosts_file)))


FACTS = [
    Fact("own_names", ("mgmt", "db"), (Command("hostname", shell("hostname")), cat("etc_hostname", "/etc/hostname"),
                                  cat("etc_hosts", "/etc/hosts"),
                                  Command("ip_addresses", shell("ip", "-o", "addr", "show"))), own_names),
]
