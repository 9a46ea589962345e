"""iptables-save parsing and the HOST-IPTABLES rules, on rules saved by the real iptables 1.8.9."""
from __future__ import annotations

from pathlib import Path

import pytest

from stackaudit.errors import UnparsableOutput
from stackaudit.collect.declared.firewall import Firewall
from stackaudit.parsers.iptables import parse_iptables_save
from stackaudit.config.policy import policy_from_data
from stackaudit.rules.firewall import firewall_evidence, firewall_findings, judge, walk_firewall

RECORDED = Path(__file__).resolve().parent.parent / "data" / "recorded"
POLICY = policy_from_data({"firewall": {"v6_management_prefix": "fd00:5341:4c41::/64"}}, "test").firewall


def ruleset(name: str):
    return parse_iptables_save((RECORDED / name).read_text())


def test_compliant_chain_is_parsed_with_its_jump_and_ports():
    rules = ruleset("iptables-save-v4-compliant.txt")
    chain = rules.chain("filter", "CLOUDSTACK-SERVICES")
    assert rules.calls("filter", "INPUT", "CLOUDSTACK-SERVICES")
    (reject,) = chain.rules
    assert (reject.target, reject.match("-p").values, reject.match("--dports").values) == (
        "REJECT", ("tcp",), ("16509,16514,45335,41047,8250",))
    assert judge(rules, 4, POLICY).findings == []


def test_compliant_v6_chain_returns_the_management_prefix_first():
    assert judge(ruleset("ip6tables-save-v6-compliant.txt"), 6, POLICY).findings == []


def test_empty_ruleset_has_no_chain_and_every_port_open():
    findings = judge(ruleset("iptables-save-v4-empty.txt"), 4, POLICY).findings
    assert findings[0] == "chain CLOUDSTACK-SERVICES does not exist"
    assert findings[1] == "tcp 16509 is open to every source on eth-other: accepted by INPUT's policy ACCEPT"


def test_rejects_limited_to_an_interface_or_a_negated_source_leave_the_port_open_to_the_rest():
    findings = judge(ruleset("iptables-save-v4-conditions.txt"), 4, POLICY).findings
    assert findings[0] == ("tcp 16509 is open to every source on eth-other, eth1: accepted by INPUT's policy "
                           "ACCEPT (closed only where CLOUDSTACK-SERVICES:2 `-i eth1 -p tcp -m tcp --dport 16509 -j "
                           "REJECT --reject-with tcp-reset` matches)")
    # 198.51.100.0/24 is RETURNed before the REJECT and is no exception of the policy: open to it
    assert findings[2].startswith("tcp 45335 is open to sources 198.51.100.1 on ")
    assert any(f.startswith("tcp 8250 is open to sources 198.51.100.1, 198.51.100.7") for f in findings)


def test_an_allowed_v4_exception_is_not_a_finding():
    policy = policy_from_data({"firewall": {"v4_exceptions": ["198.51.100.0/24"]}}, "test").firewall
    findings = judge(ruleset("iptables-save-v4-conditions.txt"), 4, policy).findings
    assert [f.split(" is open")[0] for f in findings] == ["tcp 16509", "tcp 16514"]


def test_an_unconditional_accept_before_the_jump_opens_every_port():
    text = (RECORDED / "iptables-save-v4-compliant.txt").read_text().replace(
        "-A INPUT -j CLOUDSTACK-SERVICES", "-A INPUT -j ACCEPT\n-A INPUT -j CLOUDSTACK-SERVICES")
    findings = judge(parse_iptables_save(text), 4, POLICY).findings
    assert findings[0] == "tcp 16509 is open to every source on eth-other: accepted by INPUT:1 `-j ACCEPT`"


def firewall(running: str, persisted: str | None, loaded: bool = True) -> Firewall:
    return Firewall(4, ruleset(running), "/etc/iptables/rules.v4",
                    None if persisted is None else ruleset(persisted), "netfilter-persistent.service", loaded)


def findings_of(firewall: Firewall) -> list[str]:
    return firewall_findings(firewall, walk_firewall(firewall, POLICY))


def test_a_persisted_file_iptables_restore_refuses_would_not_load_at_boot():
    running = ruleset("iptables-save-v4-compliant.txt")
    broken = Firewall(4, running, "/etc/iptables/rules.v4", None, "netfilter-persistent.service", True,
                      "/etc/iptables/rules.v4: no COMMIT for *filter (the input ends inside the table)")
    assert findings_of(broken) == [
        "/etc/iptables/rules.v4 would not load at boot: /etc/iptables/rules.v4: no COMMIT for *filter "
        "(the input ends inside the table)"]


def test_persisted_file_equal_to_the_running_rules_and_loaded_at_boot_passes():
    assert findings_of(firewall("iptables-save-v4-compliant.txt", "iptables-save-v4-compliant.txt")) == []


def test_persisted_file_missing_drifted_or_not_loaded_is_each_a_finding():
    assert findings_of(firewall("iptables-save-v4-compliant.txt", None)) == [
        "/etc/iptables/rules.v4 does not exist: the rules are lost at the next boot"]
    assert findings_of(firewall("iptables-save-v4-compliant.txt", "iptables-save-v4-empty.txt", False)) == [
        "/etc/iptables/rules.v4 differs from the running rules: missing from the file: "
        "-A INPUT -j CLOUDSTACK-SERVICES | -A CLOUDSTACK-SERVICES -p tcp -m multiport --dports "
        "16509,16514,45335,41047,8250 -j REJECT --reject-with icmp-port-unreachable",
        "/etc/iptables/rules.v4 gives other verdicts at boot than the running rules: tcp 16509 from 1.0.0.1: "
        "running REJECT, at boot ACCEPT; tcp 16514 from 1.0.0.1: running REJECT, at boot ACCEPT; tcp 45335 from "
        "1.0.0.1: running REJECT, at boot ACCEPT; tcp 41047 from 1.0.0.1: running REJECT, at boot ACCEPT; "
        "tcp 8250 from 1.0.0.1: running REJECT, at boot ACCEPT",
        "netfilter-persistent.service is not enabled: the persisted rules are not loaded at boot"]


@pytest.mark.parametrize("text, message", [
    ("-A INPUT -j ACCEPT\n", "iptables-save line 1: '-A INPUT -j ACCEPT' outside a *table ... COMMIT block"),
    ("*filter\n-A NOPE -j ACCEPT\nCOMMIT\n", "iptables-save line 2: -A for undeclared chain 'NOPE'"),
    ("*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -s not-an-address -j ACCEPT\nCOMMIT\n",
     "iptables-save line 3: 'not-an-address' is not an address or network"),
    ("*filter\nbogus\nCOMMIT\n", "iptables-save line 2: 'bogus' is not a command with a chain"),
])
def test_malformed_rules_are_unparsable_with_the_line(text, message):
    with pytest.raises(UnparsableOutput) as error:
        parse_iptables_save(text)
    assert str(error.value) == message


def test_evidence_shows_wanted_running_and_persisted_rules_and_their_differences():
    seen = firewall("iptables-save-v4-compliant.txt", "iptables-save-v4-empty.txt", False)
    text = firewall_evidence(seen, walk_firewall(seen, POLICY))
    wanted_to_running, running_to_persisted = text.split("wanted -> running:\n")[1].split("running -> persisted:\n")
    reject = ("-A CLOUDSTACK-SERVICES -p tcp -m multiport --dports 16509,16514,45335,41047,8250 -j REJECT "
              "--reject-with icmp-port-unreachable")
    assert f"wanted (policy; CSC wiki, CloudStack, 2022):\n  -A INPUT -j CLOUDSTACK-SERVICES\n  {reject}\n" in text
    assert "persisted (/etc/iptables/rules.v4):\n  (no chain, no jump)" in text
    assert "loaded at boot (netfilter-persistent.service enabled): no" in text
    assert wanted_to_running.strip() == ""                     # the running rules are the wanted ones
    assert f"--A INPUT -j CLOUDSTACK-SERVICES\n-{reject}" in running_to_persisted
