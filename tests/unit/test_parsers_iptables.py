"""iptables-save parsing and the HOST-IPTABLES rules, on rules saved by the real iptables 1.8.9."""
from __future__ import annotations

from pathlib import Path

import pytest

from stackaudit.errors import UnparsableOutput
from stackaudit.facts import Firewall
from stackaudit.parsers.iptables import parse_iptables_save
from stackaudit.policy import policy_from_data
from stackaudit.rules.hosts import chain_findings, firewall_evidence, firewall_findings

RECORDED = Path(__file__).resolve().parent.parent / "data" / "recorded"
POLICY = policy_from_data({"firewall": {"v6_management_prefix": "fd00:5341:4c41::/64"}}, "test").firewall


def ruleset(name: str):
    return parse_iptables_save((RECORDED / name).read_text())


def test_compliant_chain_is_parsed_with_its_jump_and_ports():
    rules = ruleset("iptables-save-v4-compliant.txt")
    chain = rules.chain("filter", "CLOUDSTACK-SERVICES")
    assert rules.jumps("filter", "INPUT", "CLOUDSTACK-SERVICES")
    (reject,) = chain.rules
    assert (reject.target, reject.protocol, reject.dports, reject.conditions) == (
        "REJECT", "tcp", (16509, 16514, 45335, 41047, 8250), ())
    assert chain_findings(rules, 4, POLICY) == []


def test_ipv6_chain_returns_the_management_prefix_first():
    rules = ruleset("ip6tables-save-v6-compliant.txt")
    first = rules.chain("filter", "CLOUDSTACK-SERVICES").rules[0]
    assert (first.source, first.target) == ("fd00:5341:4c41::/64", "RETURN")
    assert chain_findings(rules, 6, POLICY) == []


def test_empty_ruleset_has_no_chain():
    assert chain_findings(ruleset("iptables-save-v4-empty.txt"), 4, POLICY) == [
        "chain CLOUDSTACK-SERVICES does not exist"]


def test_rejects_limited_to_an_interface_or_a_negated_source_do_not_count():
    rules = ruleset("iptables-save-v4-conditions.txt")
    chain = rules.chain("filter", "CLOUDSTACK-SERVICES")
    assert [r.conditions for r in chain.rules] == [(), ("-i eth1",), ("! -s 198.51.100.7/32",), ()]
    assert chain.rules[3].dports == (45335, 41047, (5900, 6100))
    # INPUT accepts lo and established traffic first (conditional ACCEPTs), then jumps: still a jump.
    assert rules.jumps("filter", "INPUT", "CLOUDSTACK-SERVICES")
    assert chain_findings(rules, 4, POLICY) == [
        "RETURN for 198.51.100.0/24 before the REJECT is not an exception the policy allows (none)",
        "tcp ports not rejected: 8250,16509,16514"]


def test_an_allowed_v4_exception_is_not_a_finding():
    policy = policy_from_data({"firewall": {"v4_exceptions": ["198.51.100.0/24"]}}, "test").firewall
    assert chain_findings(ruleset("iptables-save-v4-conditions.txt"), 4, policy) == [
        "tcp ports not rejected: 8250,16509,16514"]


def test_an_unconditional_accept_before_the_jump_means_no_jump():
    text = (RECORDED / "iptables-save-v4-compliant.txt").read_text().replace(
        "-A INPUT -j CLOUDSTACK-SERVICES", "-A INPUT -j ACCEPT\n-A INPUT -j CLOUDSTACK-SERVICES")
    assert chain_findings(parse_iptables_save(text), 4, POLICY) == ["INPUT does not jump to CLOUDSTACK-SERVICES"]


def firewall(running: str, persisted: str | None, loaded: bool = True) -> Firewall:
    return Firewall(4, ruleset(running), "/etc/iptables/rules.v4",
                    None if persisted is None else ruleset(persisted), "netfilter-persistent.service", loaded)


def test_persisted_file_equal_to_the_running_rules_and_loaded_at_boot_passes():
    assert firewall_findings(firewall("iptables-save-v4-compliant.txt", "iptables-save-v4-compliant.txt"),
                             POLICY) == []


def test_persisted_file_missing_drifted_or_not_loaded_is_each_a_finding():
    assert firewall_findings(firewall("iptables-save-v4-compliant.txt", None), POLICY) == [
        "/etc/iptables/rules.v4 does not exist: the rules are lost at the next boot"]
    assert firewall_findings(firewall("iptables-save-v4-compliant.txt", "iptables-save-v4-empty.txt", False),
                             POLICY) == [
        "/etc/iptables/rules.v4 differs from the running rules: missing from the file: "
        "-A INPUT -j CLOUDSTACK-SERVICES | -A CLOUDSTACK-SERVICES -p tcp -m multiport --dports "
        "16509,16514,45335,41047,8250 -j REJECT --reject-with icmp-port-unreachable",
        "netfilter-persistent.service is not enabled: the persisted rules are not loaded at boot"]


@pytest.mark.parametrize("text, message", [
    ("-A INPUT -j ACCEPT\n", "iptables-save line 1: '-A INPUT -j ACCEPT' outside a *table ... COMMIT block"),
    ("*filter\n-A NOPE -j ACCEPT\nCOMMIT\n", "iptables-save line 2: rule for undeclared chain 'NOPE'"),
    ("*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -s not-an-address -j ACCEPT\nCOMMIT\n",
     "iptables-save line 3: source 'not-an-address' is not an address or network"),
    ("*filter\nbogus\nCOMMIT\n", "iptables-save line 2: unexpected line 'bogus'"),
])
def test_malformed_rules_are_unparsable_with_the_line(text, message):
    with pytest.raises(UnparsableOutput) as error:
        parse_iptables_save(text)
    assert str(error.value) == message


def test_evidence_shows_wanted_running_and_persisted_rules_and_their_differences():
    text = firewall_evidence(firewall("iptables-save-v4-compliant.txt", "iptables-save-v4-empty.txt", False), POLICY)
    wanted_to_running, running_to_persisted = text.split("wanted -> running:\n")[1].split("running -> persisted:\n")
    reject = ("-A CLOUDSTACK-SERVICES -p tcp -m multiport --dports 16509,16514,45335,41047,8250 -j REJECT "
              "--reject-with icmp-port-unreachable")
    assert f"wanted (policy, seed 004):\n  -A INPUT -j CLOUDSTACK-SERVICES\n  {reject}\n" in text
    assert "persisted (/etc/iptables/rules.v4):\n  (no chain, no jump)" in text
    assert "loaded at boot (netfilter-persistent.service enabled): no" in text
    assert wanted_to_running.strip() == ""                     # the running rules are the wanted ones
    assert f"--A INPUT -j CLOUDSTACK-SERVICES\n-{reject}" in running_to_persisted
