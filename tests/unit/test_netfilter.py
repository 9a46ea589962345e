"""The INPUT walk (and the tables around it), on real recorded rulesets (tests/data/recorded/SOURCES.md) and on
rules written before [CSC-WIKI]'s chain: which ports it finds open, closed or not checked, and why."""
from __future__ import annotations

import pytest

from stackaudit.errors import NotCheckable
from stackaudit.collect.declared.firewall import Firewall
from stackaudit.parsers.iptables import parse_iptables_save
from stackaudit.config.policy import policy_from_data
from stackaudit.rules.firewall import (firewall_evidence, firewall_findings, judge, rejects_port, walk_firewall,
                                       walk_port)
from stackaudit.rules.netfilter.connections import port_verdicts
from stackaudit.rules.netfilter.matches import Connection
from stackaudit.rules.netfilter.verdict import evaluate
from tests.unit.netfilter_samples import COMPLIANT, POLICY, recorded, with_input


def rejects_16509(ruleset) -> bool:
    return rejects_port(walk_port(ruleset, 4, 16509, POLICY), 16509)


def first_table(text: str) -> str:
    """A paste cut at its first '# Completed' line: the complete filter table it starts with."""
    return text[:text.index("# Completed")]


# ---- real rulesets recorded by others ------------------------------------------------------------

def test_cloudstack_7318_kvm_host_accepts_libvirt_ports_and_has_no_chain():
    findings = judge(parse_iptables_save(recorded("iptables-save-cloudstack-7318-kvmhost2.txt")), 4, POLICY).findings
    assert findings[:2] == ["chain CLOUDSTACK-SERVICES does not exist",
                            "tcp 16509 is open to every source on eth-other: accepted by INPUT:4 "
                            "`-p tcp -m tcp --dport 16509 -j ACCEPT`"]
    assert not rejects_16509(parse_iptables_save(recorded("iptables-save-cloudstack-7318-kvmhost2.txt")))


def test_the_iptables_services_default_closes_every_port_with_its_catch_all_reject():
    ruleset = parse_iptables_save(recorded("sysconfig-iptables-iptables-services-default.txt"), "/etc/sysconfig/iptables")
    assert judge(ruleset, 4, POLICY).findings == ["chain CLOUDSTACK-SERVICES does not exist"]
    verdict = evaluate(ruleset, Connection(16509, "203.0.113.9", "198.18.0.21", "eth0"))
    assert (verdict.outcome, verdict.reason) == ("REJECT", "INPUT:5 `-j REJECT --reject-with icmp-host-prohibited`")


def test_the_lab_defaults_use_libvirts_and_the_agents_recorded_rules():
    from lab.firewall_rules import LIBVIRT_V4_RULES, KVM_AGENT_PORTS
    args = recorded("libvirt-nat-default-linux.args.txt").replace("\\\n", "")
    inserted = [line.split("--insert ")[1] for line in args.splitlines() if "LIBVIRT_INP" in line]
    assert len(inserted) == 4 and all("--in-interface virbr0" in line for line in inserted)
    assert sum("-A LIBVIRT_INP -i virbr0" in rule for rule in LIBVIRT_V4_RULES) == 4
    agent = recorded("cloudstack-serviceConfig-firewall.py.txt")
    assert 'iptables -I INPUT -p tcp -m tcp --dport %s -j ACCEPT' in agent
    kvmhost2 = parse_iptables_save(recorded("iptables-save-cloudstack-7318-kvmhost2.txt"))
    assert tuple(r.match("--dport").values[0] for r in kvmhost2.chain("filter", "INPUT").rules) == KVM_AGENT_PORTS


@pytest.mark.parametrize("name, index, through_libvirt", [("sysconfig-iptables-cloudstack-7838-kvm001.txt", 6, True),
                                                          ("sysconfig-iptables-cloudstack-7838-kvm002.txt", 5, False)])
def test_cloudstack_7838_sysconfig_files_walk_through_libvirts_chain_to_the_accept(name, index, through_libvirt):
    ruleset = parse_iptables_save(first_table(recorded(name)))
    verdict = evaluate(ruleset, Connection(16509, "203.0.113.9", "198.18.0.21", "eth0"))
    assert verdict.outcome == "ACCEPT"
    assert verdict.reason == f"INPUT:{index} `-p tcp -m tcp --dport 16509 -j ACCEPT`"
    # kvm001 jumps to libvirt's (empty) chain before the ACCEPT and comes back; kvm002 after it
    assert ("LIBVIRT_INP" in verdict.chains) is through_libvirt


def test_a_set_match_on_the_path_is_undecidable():
    ruleset = parse_iptables_save(with_input("-A INPUT -m set --match-set admins src -j ACCEPT",
                                             "-A INPUT -j CLOUDSTACK-SERVICES"))
    with pytest.raises(NotCheckable, match=r"INPUT:1 `-m set --match-set admins src -j ACCEPT`: -m set"):
        rejects_16509(ruleset)


# ---- the walk ------------------------------------------------------------------------------------

def findings(text: str, family: int = 4, policy=POLICY) -> list[str]:
    return judge(parse_iptables_save(text), family, policy).findings


def test_accept_of_16509_before_the_jump_opens_it_and_libvirt_is_exposed():
    text = with_input("-A INPUT -p tcp -m tcp --dport 16509 -j ACCEPT", "-A INPUT -j CLOUDSTACK-SERVICES")
    assert findings(text) == ["tcp 16509 is open to every source on eth-other: accepted by INPUT:1 "
                              "`-p tcp -m tcp --dport 16509 -j ACCEPT`"]
    assert not rejects_16509(parse_iptables_save(text))


def test_accept_after_the_jump_is_never_reached_for_the_policy_ports():
    text = with_input("-A INPUT -j CLOUDSTACK-SERVICES", "-A INPUT -p tcp -m tcp --dport 16509 -j ACCEPT")
    assert findings(text) == []


@pytest.mark.parametrize("rule", [
    "-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT",
    "-A INPUT -m state --state ESTABLISHED -j ACCEPT",
    "-A INPUT -i lo -j ACCEPT",
    "-A INPUT -p udp -m udp --dport 16509 -j ACCEPT",
    "-A INPUT -p tcp -m tcp ! --dport 16509:16514 -m multiport ! --ports 8250,45335,41047 -j ACCEPT",
    "-A INPUT -p tcp -m tcp --tcp-flags SYN,ACK ACK -j ACCEPT",
    "-A INPUT -p tcp -m tcp --dport 16509 -m conntrack --ctstate INVALID -j ACCEPT",
    "-A INPUT -j LOG --log-prefix \"in: \"",
    "-A INPUT -p tcp -m multiport --dports 5900:6100,49152:49216 -j ACCEPT",
    "-A INPUT -f -j ACCEPT",
])
def test_accepts_a_new_connection_to_a_policy_port_never_meets_pass(rule):
    assert findings(with_input(rule, "-A INPUT -j CLOUDSTACK-SERVICES")) == []


def test_negated_state_invalid_matches_new_connections():
    text = with_input("-A INPUT -m conntrack ! --ctstate INVALID -p tcp --dport 8250 -j ACCEPT",
                      "-A INPUT -j CLOUDSTACK-SERVICES")
    assert findings(text)[0].startswith("tcp 8250 is open to every source")


def test_a_reject_limited_to_one_source_leaves_the_others_open():
    text = with_input("-A INPUT -j CLOUDSTACK-SERVICES").replace(
        "-A CLOUDSTACK-SERVICES -p tcp", "-A CLOUDSTACK-SERVICES -s 198.18.0.0/15 -p tcp")
    assert findings(text)[0] == (
        "tcp 16509 is open to sources 1.0.0.1, 198.20.0.1 on eth-other: accepted by INPUT's policy ACCEPT "
        "(closed only where CLOUDSTACK-SERVICES:1 `-s 198.18.0.0/15 -p tcp -m multiport --dports "
        "16509,16514,45335,41047,8250 -j REJECT --reject-with icmp-port-unreachable` matches)")


def test_an_accept_on_one_interface_opens_the_port_on_that_interface_only():
    text = with_input("-A INPUT -i eth1 -p tcp --dport 16509 -j ACCEPT", "-A INPUT -j CLOUDSTACK-SERVICES")
    assert findings(text) == ["tcp 16509 is open to every source on eth1: accepted by INPUT:1 "
                              "`-i eth1 -p tcp --dport 16509 -j ACCEPT`"]


def test_the_jump_reached_through_a_user_chain_and_a_goto_counts():
    text = with_input("-A INPUT -j LIBVIRT_INP", "-A INPUT -g HOST-IN", "-A INPUT -j ACCEPT").replace(
        ":CLOUDSTACK-SERVICES - [0:0]",
        ":CLOUDSTACK-SERVICES - [0:0]\n:LIBVIRT_INP - [0:0]\n:HOST-IN - [0:0]\n"
        "-A LIBVIRT_INP -i virbr0 -p tcp -m tcp --dport 67 -j ACCEPT\n-A HOST-IN -j CLOUDSTACK-SERVICES")
    assert findings(text) == []


def test_the_end_of_a_goto_chain_returns_to_the_chain_that_jumped_last():
    # INPUT -j A; A -g B; B ends: netfilter goes back to INPUT after its jump to A, not to A
    text = with_input("-A INPUT -j A", "-A INPUT -p tcp --dport 16509 -j REJECT").replace(
        ":CLOUDSTACK-SERVICES - [0:0]", ":CLOUDSTACK-SERVICES - [0:0]\n:A - [0:0]\n:B - [0:0]\n"
        "-A A -g B\n-A A -j ACCEPT\n-A B -j LOG")
    verdict = evaluate(parse_iptables_save(text), Connection(16509, "203.0.113.9", "198.18.0.21", "eth0"))
    assert (verdict.outcome, verdict.reason) == ("REJECT", "INPUT:2 `-p tcp --dport 16509 -j REJECT`")
    assert [step.effect for step in verdict.path] == ["jump to A", "goto B", "LOG, continues", "REJECT"]


def test_return_in_input_applies_the_policy():
    text = with_input("-A INPUT -p tcp --dport 16509 -j RETURN", "-A INPUT -j CLOUDSTACK-SERVICES", policy="DROP")
    verdict = evaluate(parse_iptables_save(text), Connection(16509, "203.0.113.9", "198.18.0.21", "eth0"))
    assert (verdict.outcome, verdict.reason) == ("DROP", "INPUT's policy DROP")
    assert findings(text) == []          # dropped by the policy: closed


def test_drop_closes_the_port_and_the_evidence_says_so():
    text = with_input("-A INPUT -p tcp --dport 16509 -j DROP", "-A INPUT -j CLOUDSTACK-SERVICES")
    ruleset = parse_iptables_save(text)
    assert findings(text) == []
    firewall = Firewall(4, ruleset, "/etc/iptables/rules.v4", ruleset, "netfilter-persistent.service", True)
    assert "=> DROP (closed: dropped, not refused)" in firewall_evidence(firewall, walk_firewall(firewall, POLICY))


def test_an_undecidable_match_before_the_verdict_is_not_checked_and_quotes_the_rule():
    text = with_input("-A INPUT -p tcp -m recent --rcheck --seconds 60 -j ACCEPT", "-A INPUT -j CLOUDSTACK-SERVICES")
    ruleset = parse_iptables_save(text)
    firewall = Firewall(4, ruleset, "/etc/iptables/rules.v4", ruleset, "netfilter-persistent.service", True)
    with pytest.raises(NotCheckable, match=r"INPUT:1 `-p tcp -m recent --rcheck --seconds 60 -j ACCEPT`: --rcheck "
                       r"\(not judged: ACCEPT if it matches, REJECT if not\)"):
        firewall_findings(firewall, walk_firewall(firewall, POLICY))
    with pytest.raises(NotCheckable, match="cannot judge INPUT:1"):
        rejects_16509(ruleset)


def test_an_undecidable_rule_that_cannot_match_anyway_does_not_matter():
    text = with_input("-A INPUT -p udp -m limit --limit 3/min -j ACCEPT", "-A INPUT -j CLOUDSTACK-SERVICES")
    assert findings(text) == []


def test_v6_management_prefix_must_return_before_the_reject():
    text = recorded("ip6tables-save-v6-compliant.txt").replace(
        "-A CLOUDSTACK-SERVICES -s fd00:5341:4c41::/64 -j RETURN\n", "")
    assert findings(text, 6) == [
        "no RETURN for the management prefix fd00:5341:4c41::/64 before the REJECT (tcp 16509 from "
        "fd00:5341:4c41::1: CLOUDSTACK-SERVICES:1 `-p tcp -m multiport --dports 16509,16514,45335,41047,8250 "
        "-j REJECT --reject-with icmp6-port-unreachable`)"]


def test_an_empty_v6_ruleset_leaves_every_port_open():
    # the address space's second address is ::1, loopback; the walk still needs a destination
    findings = judge(parse_iptables_save("*filter\n:INPUT ACCEPT [0:0]\nCOMMIT\n"), 6, POLICY).findings
    assert findings[1] == "tcp 16509 is open to every source on eth-other: accepted by INPUT's policy ACCEPT"


def test_an_accept_for_the_exception_prefix_is_compliant():
    text = recorded("ip6tables-save-v6-compliant.txt").replace(
        "-A INPUT -j CLOUDSTACK-SERVICES", "-A INPUT -s fd00:5341:4c41::/64 -j ACCEPT\n-A INPUT -j CLOUDSTACK-SERVICES")
    assert findings(text, 6) == []


def test_a_chain_that_jumps_in_a_circle_ends_undecidable_not_in_a_loop():
    # iptables refuses loops; a hand-built ruleset may still hold one
    ruleset = parse_iptables_save(with_input("-A INPUT -j A").replace(
        ":CLOUDSTACK-SERVICES - [0:0]", ":CLOUDSTACK-SERVICES - [0:0]\n:A - [0:0]\n:B - [0:0]\n-A B -j A"))
    ruleset.chain("filter", "A").rules.append(ruleset.chain("filter", "B").rules[0].__class__(
        "A", "-j B", "B"))
    verdict = evaluate(ruleset, Connection(16509, "203.0.113.9", "198.18.0.21", "eth0"))
    assert verdict.outcome == "UNDECIDABLE"


def test_one_walk_per_port_and_ruleset_serves_the_findings_the_boot_comparison_and_the_evidence(monkeypatch):
    from stackaudit.rules import firewall as firewall_rules
    walked = []
    monkeypatch.setattr(firewall_rules, "port_verdicts", lambda ruleset, family, port, *rest:
                        walked.append((ruleset, port)) or port_verdicts(ruleset, family, port, *rest))
    running, persisted = parse_iptables_save(COMPLIANT), parse_iptables_save(with_input("-A INPUT -j ACCEPT"))
    firewall = Firewall(4, running, "/etc/iptables/rules.v4", persisted, "netfilter-persistent.service", True)
    walk = walk_firewall(firewall, POLICY)
    ports = list(POLICY.reject_ports)
    assert sorted(walked, key=lambda w: (id(w[0]), w[1])) == sorted(
        [(running, p) for p in ports] + [(persisted, p) for p in ports], key=lambda w: (id(w[0]), w[1]))
    findings_text = "; ".join(firewall_findings(firewall, walk))
    evidence = firewall_evidence(firewall, walk)
    assert len(walked) == 2 * len(ports)                 # reading the walk walks nothing again
    assert "gives other verdicts at boot than the running rules: tcp 16509" in findings_text
    assert "=> REJECT" in evidence
    # the boot comparison pairs connection with connection: both rulesets over the same connections
    assert [v.connection for v in walk.running[16509]] == [v.connection for v in walk.at_boot[16509]]


def test_without_an_ipv6_prefix_the_firewall_is_not_walked_and_not_checked():
    policy = policy_from_data({}, "test").firewall
    assert policy.v6_management_prefix is None
    ruleset = parse_iptables_save("*filter\n:INPUT ACCEPT [0:0]\nCOMMIT\n")
    firewall = Firewall(6, ruleset, "/etc/iptables/rules.v6", ruleset, "netfilter-persistent.service", True)
    walk = walk_firewall(firewall, policy)
    assert walk.running == {} and "v6_management_prefix" in walk.not_walked
    assert firewall_evidence(firewall, walk).endswith(f"(not evaluated: {walk.not_walked})\n")
    with pytest.raises(NotCheckable, match="names no IPv6 management prefix"):
        firewall_findings(firewall, walk)
    # KVM-LIBVIRTD-LISTEN asks only whether 16509 is closed: with no prefix, to every source
    assert not rejects_port(walk_port(ruleset, 6, 16509, policy), 16509)
