"""JDBC URLs as Connector/J and MariaDB Connector/J name their hosts: the forms published in their guides and
pages quoting them, and forms cut short (recorded inputs: tests/unit/properties_samples.py)."""
from __future__ import annotations

import pytest
from hypothesis import given, settings

from stackaudit.errors import UnparsableOutput
from stackaudit.parsers.jdbc import parse_jdbc_url
from tests.unit.hypothesis_budget import examples
from tests.unit.properties_samples import lines_of, mutated, recorded


# --- JDBC URLs -------------------------------------------------------------------------------------

PUBLISHED_URLS = {
    "jdbc:mysql://host1:33060/sakila": ("host1",),
    "jdbc:mysql://localhost:3306/sakila?profileSQL=true": ("localhost",),
    "jdbc:mysql:loadbalance://localhost:3306,localhost:3310/sakila": ("localhost", "localhost"),
    "jdbc:mysql:replication://master,slave1,slave2,slave3/test": ("master", "slave1", "slave2", "slave3"),
    "jdbc:mysql://myuser:secret_password@localhost:3306/db": ("localhost",),
    "jdbc:mysql://address=(type=master)(host=master1host),address=(type=master)(host=master2host),"
    "address=(type=slave)(host=slave1host)/database": ("master1host", "master2host", "slave1host"),
    "jdbc:mysql://localhost,192.168.10.8:3306/development": ("localhost", "192.168.10.8"),
    "jdbc:mysql://mysql.db.server:3306/my_database?useSSL=false&serverTimezone=UTC": ("mysql.db.server",),
}
PUBLISHED_BROKEN = {
    "jdbc:mysql//primaryhost,secondaryhost1,secondaryhost2/test": "expected jdbc:mysql://",
    "jdbc:mysql://myuser:secret_password@[myhost1:port1,myhost2:port2]/db": "port 'port1'",
    "jdbc:mysql:loadbalance://ip1:port1, ip2:port2/rizhiyi_system?roundRobinLoadBalance=true": "port 'port1'",
    "jdbc:driver:myFavoriteUri": "expected jdbc:mysql://",
}


def test_the_published_urls_are_all_in_the_recording():
    assert set(recorded("jdbc-urls-published.txt").splitlines()) == set(PUBLISHED_URLS) | set(PUBLISHED_BROKEN)


@pytest.mark.parametrize("url", sorted(PUBLISHED_URLS))
def test_published_urls_name_every_host(url):
    assert parse_jdbc_url(url).hosts == PUBLISHED_URLS[url]


@pytest.mark.parametrize("url", sorted(PUBLISHED_BROKEN))
def test_published_urls_no_driver_reads_are_unparsable_without_their_password(url):
    with pytest.raises(UnparsableOutput, match=PUBLISHED_BROKEN[url]) as error:
        parse_jdbc_url(url)
    assert "secret_password" not in str(error.value)


@pytest.mark.parametrize("url, hosts", [
    ("jdbc:mariadb://[::1]:3306/cloud", ("::1",)),
    ("jdbc:mysql://[::1]/cloud", ("::1",)),
    ("jdbc:mysql://198.18.0.100:3306,[::1]:3306/cloud", ("198.18.0.100", "::1")),
    ("jdbc:mysql:///cloud", ("localhost",)),
    ("jdbc:mysql://:3306/cloud", ("localhost",)),
    ("jdbc:mysql://(host=myhost1,port=1111,key1=value1),(host=myhost2,port=2222)/db", ("myhost1", "myhost2")),
    ("jdbc:mysql://sandy:secret@[myhost1:1111,address=(host=myhost2)(port=2222)]/db", ("myhost1", "myhost2")),
    ("jdbc:mysql://address=(host=[::1])(port=3306)/db", ("::1",)),
    ("jdbc:postgresql://a:5432,b/cloud", ("a", "b")),
])
def test_url_forms(url, hosts):
    assert parse_jdbc_url(url).hosts == hosts


@settings(max_examples=examples(200), deadline=None)
@given(mutated())
def test_jdbc_parser_raises_only_unparsable(text):
    for line in lines_of(text):
        try:
            parse_jdbc_url(line)
        except UnparsableOutput:
            pass


@pytest.mark.parametrize("url, message", [
    ("jdbc:mysql://[::1", "unclosed bracket"),
    ("jdbc:mysql://address=(host=198.18.0.100", "unclosed bracket"),
    ("jdbc:mysql://address=(host=198.18.0.100)(port=33", "unclosed bracket"),
    ("jdbc:mysql://198.18.0.100:3306,", "an empty host"),
    ("jdbc:mysql:", "expected jdbc:mysql://"),
])
def test_truncated_urls_are_unparsable(url, message):
    with pytest.raises(UnparsableOutput, match=message):
        parse_jdbc_url(url)
