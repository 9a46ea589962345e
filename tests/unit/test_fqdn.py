"""MS-FQDN: `hostname --fqdn` and the getent lookup of its answer (parsers/fqdn.py) on recorded outputs,
and the rule (rules/fqdn.py) against the server's own addresses."""
from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stackaudit.collect.declared.mgmt_host import FQDN_COMMAND
from stackaudit.errors import NotCheckable, UnparsableOutput
from stackaudit.parsers.fqdn import FqdnLookup, parse_fqdn_lookup
from stackaudit.parsers.localnames import OwnNames
from stackaudit.rules.fqdn import fqdn_findings
from tests.unit.hypothesis_budget import examples

RECORDED = Path(__file__).resolve().parent.parent / "data" / "recorded"
SERVER = OwnNames(frozenset({"ms1"}), frozenset({"127.0.0.1", "::1", "198.18.0.10", "fd00::10"}))


def recorded(name: str) -> str:
    return (RECORDED / name).read_text()


def test_recorded_short_name_resolving_to_loopback_fails_twice():
    lookup = parse_fqdn_lookup(recorded("fqdn-lookup-short-name-debian12.txt"))
    assert lookup == FqdnLookup("vm", "", ("127.0.0.1",))
    assert fqdn_findings(lookup, SERVER)[0] == [
        "hostname --fqdn gives 'vm', not a fully qualified name (no domain)",
        "vm resolves only to loopback (127.0.0.1): map it to the server's own address in /etc/hosts or DNS"]


def test_recorded_failing_hostname_fqdn():
    lookup = parse_fqdn_lookup(recorded("fqdn-lookup-failed-debian12.txt"))
    assert lookup == FqdnLookup(None, "hostname: Name or service not known")
    assert fqdn_findings(lookup, SERVER)[0] == [
        "hostname --fqdn fails (hostname: Name or service not known): the server's own name does not resolve; "
        "put its fully qualified name on its address in /etc/hosts or DNS"]


def test_recorded_resolver_that_cannot_answer_is_not_checked():
    lookup = parse_fqdn_lookup(recorded("fqdn-lookup-resolver-down-debian12.txt"))
    assert lookup == FqdnLookup(None, "hostname: Temporary failure in name resolution")
    with pytest.raises(NotCheckable, match=r"could not ask the resolver \(hostname: Temporary failure in name "
                                           r"resolution\): whether the server's name resolves cannot be told now"):
        fqdn_findings(lookup, SERVER)


def lookup(name: str, *addresses: str, code: int = 0) -> FqdnLookup:
    lines = "".join(f" {a}       STREAM {name}\n {a}       DGRAM\n" for a in addresses)
    return parse_fqdn_lookup(f"fqdn {name}\n{lines}= {code}\n")


def test_a_dotted_name_on_an_own_address_passes_also_over_ipv6_or_beside_another_address():
    assert fqdn_findings(lookup("ms1.lab.example", "198.18.0.10"), SERVER)[0] == []
    assert fqdn_findings(lookup("ms1.lab.example", "fd00::10"), SERVER)[0] == []
    assert fqdn_findings(lookup("ms1.lab.example", "127.0.1.1", "198.18.0.10"), SERVER)[0] == []


@pytest.mark.parametrize("found, expected", [
    (lookup("ms1.lab.example", "127.0.1.1"),
     ["ms1.lab.example resolves only to loopback (127.0.1.1): map it to the server's own address in /etc/hosts or DNS"]),
    (lookup("localhost.localdomain", "127.0.0.1"),
     ["hostname --fqdn gives 'localhost.localdomain', a localhost name",
      "localhost.localdomain resolves only to loopback (127.0.0.1): map it to the server's own address in /etc/hosts "
      "or DNS"]),
    (lookup("ms1.lab.example", "198.18.0.99"),
     ["ms1.lab.example resolves to 198.18.0.99, none of them an address of this server (198.18.0.10, fd00::10)"]),
    (lookup("ms1.lab.example", code=2), ["ms1.lab.example does not resolve on the server (getent ahosts finds no address)"]),
])
def test_names_that_fail(found, expected):
    assert fqdn_findings(found, SERVER)[0] == expected


def test_the_command_looks_up_the_name_hostname_gave_on_the_server():
    assert FQDN_COMMAND.startswith("if fqdn=$(hostname --fqdn 2>&1); then")
    assert 'getent ahosts "$fqdn"' in FQDN_COMMAND


@pytest.mark.parametrize("text", ["", "ms1\n= 0\n", "fqdn two words\n= 0\n", "fqdn ms1\n= 1\n",
                                  "fqdn-failed oops\n 127.0.0.1 STREAM x\n", "fqdn ms1\n 127.0.0.1 STREAM ms1\n"])
def test_other_shapes_are_unparsable(text):
    with pytest.raises(UnparsableOutput):
        parse_fqdn_lookup(text)


@settings(max_examples=examples(200))
@given(st.text(max_size=120))
def test_the_parser_answers_or_says_unparsable(text):
    try:
        found = parse_fqdn_lookup(text)
    except UnparsableOutput:
        return
    if found.fqdn is None:
        assert text.startswith("fqdn-failed") and found.addresses is None
    else:
        assert found.fqdn and not any(c.isspace() for c in found.fqdn) and text.startswith(f"fqdn {found.fqdn}\n")
