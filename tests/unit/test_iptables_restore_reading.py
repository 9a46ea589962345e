"""Rules files read as iptables-restore reads them, on real recorded rulesets (tests/data/recorded/SOURCES.md)
and on the forms iptables-restore accepts and refuses; Hypothesis: any text is read or refused, never more."""
from __future__ import annotations

import pytest
from hypothesis import given, settings, strategies as st

from stackaudit.errors import UnparsableOutput
from stackaudit.collect.declared.firewall import Firewall
from stackaudit.parsers.iptables import parse_iptables_save
from stackaudit.rules.firewall import firewall_findings, judge, walk_firewall
from stackaudit.rules.netfilter.connections import port_verdicts
from tests.unit.hypothesis_budget import examples
from tests.unit.netfilter_samples import COMPLIANT, POLICY, REAL, recorded, with_input


@pytest.mark.parametrize("name, message", [
    ("sysconfig-iptables-cloudstack-7838-kvm001.txt",
     "/etc/sysconfig/iptables line 29: chain line ':INPUT ACCEPT [' is not ':NAME POLICY [packets:bytes]'"),
    ("sysconfig-iptables-cloudstack-7838-kvm002.txt",
     "/etc/sysconfig/iptables line 43: chain line ':POSTROUTI' is not ':NAME POLICY [packets:bytes]'"),
    ("iptables-save-cloudstack-7961-kvm.txt", "/etc/sysconfig/iptables line 37: -j with no target"),
])
def test_truncated_pastes_are_refused_with_the_line(name, message):
    with pytest.raises(UnparsableOutput) as error:
        parse_iptables_save(recorded(name), "/etc/sysconfig/iptables")
    assert str(error.value) == message


def test_a_paste_cut_before_commit_would_not_load():
    text = recorded("iptables-save-cloudstack-7318-kvmhost2.txt").replace("COMMIT\n", "")
    with pytest.raises(UnparsableOutput, match=r"no COMMIT for \*filter"):
        parse_iptables_save(text, "/etc/iptables/rules.v4")


# ---- what iptables-restore accepts: same chain, same verdicts ----------------------------------

RESTORE_FORMS = """# written by hand, restored by netfilter-persistent
*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
-A POSTROUTING -s 192.168.122.0/24 ! -d 192.168.122.0/24 -j MASQUERADE
COMMIT
*filter
:INPUT ACCEPT [1043:88412]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-N CLOUDSTACK-SERVICES
[12:720] -A CLOUDSTACK-SERVICES -p tcp -m tcp -m multiport --dports 16509,16514,45335,41047,8250 -j REJECT --reject-with icmp-port-unreachable
-I INPUT -m comment --comment "site firewall" -j CLOUDSTACK-SERVICES
-I INPUT 1 -p tcp --dport ssh -j ACCEPT
COMMIT
"""


def test_insert_counters_service_names_and_other_tables_restore_the_same_chain():
    running, persisted = parse_iptables_save(COMPLIANT), parse_iptables_save(RESTORE_FORMS, "rules.v4")
    firewall = Firewall(4, running, "/etc/iptables/rules.v4", persisted, "netfilter-persistent.service", True)
    assert [r.text for r in persisted.chain("filter", "INPUT").rules] == [
        "-p tcp -m tcp --dport 22 -j ACCEPT", '-m comment --comment "site firewall" -j CLOUDSTACK-SERVICES']
    assert judge(persisted, 4, POLICY).findings == []
    # the chain differs in an explicit `-m tcp` without options only, which matches every tcp packet: no finding
    assert firewall_findings(firewall, walk_firewall(firewall, POLICY)) == []


@pytest.mark.parametrize("text, message", [
    ("*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -p tcp --dport 22 -j\nCOMMIT\n", "line 3: -j with no target"),
    ("*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -p tcp --dport\nCOMMIT\n", "line 3: option --dport needs 1 value(s)"),
    ("*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -j NOCHAIN\nCOMMIT\n", None),
    ("*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -j nochain\nCOMMIT\n",
     "line 3: jump to undeclared chain 'nochain' (iptables: Couldn't load target)"),
    ("*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -p tcp --dport 70000 -j ACCEPT\nCOMMIT\n",
     "line 3: --dport '70000': '70000' is not a port"),
    ("*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -p tcp --dport 30:20 -j ACCEPT\nCOMMIT\n",
     "line 3: --dport '30:20': invalid port range (min > max)"),
    ("*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -p tcp --dportx 22 -j ACCEPT\nCOMMIT\n",
     "line 3: unknown option '--dportx' for -m tcp"),
    ("*filter\n:INPUT ACCEPT [0:0]\n-I INPUT 3 -j ACCEPT\nCOMMIT\n", "line 3: -I INPUT 3: index of insertion too big"),
    ("*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -m comment --comment \"open -j ACCEPT\nCOMMIT\n",
     "line 3: unbalanced quotes in '-A INPUT -m comment --comment \"open -j ACCEPT'"),
    ("*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -j ACCEPT\n", "no COMMIT for *filter (the input ends inside the table)"),
    ("*bogus\nCOMMIT\n", "line 1: unknown table 'bogus'"),
])
def test_what_iptables_restore_refuses_is_unparsable(text, message):
    if message is None:        # an upper-case name iptables would load as an extension target
        parse_iptables_save(text)
        return
    with pytest.raises(UnparsableOutput) as error:
        parse_iptables_save(text, "f")
    assert str(error.value) == ("f " + message if message.startswith("line") else "f: " + message)


def test_options_of_modules_this_reader_does_not_know_take_their_own_values():
    ruleset = parse_iptables_save(with_input(
        "-A INPUT -m set --match-set blocklist src -p udp -j DROP",
        "-A INPUT -m addrtype --dst-type LOCAL --limit-iface-in -p udp -j RETURN",
        '-A INPUT -m comment --comment "-- kept by hand" -j CLOUDSTACK-SERVICES'))
    assert [r.text for r in ruleset.chain("filter", "INPUT").rules] == [
        "-p udp -m set --match-set blocklist src -j DROP",
        "-p udp -m addrtype --dst-type LOCAL --limit-iface-in -j RETURN",
        '-m comment --comment "-- kept by hand" -j CLOUDSTACK-SERVICES']
    # both unknown matches are for udp: a tcp connection never depends on them
    assert judge(ruleset, 4, POLICY).findings == []


def test_a_huge_port_range_is_kept_as_one_range():
    ruleset = parse_iptables_save(with_input("-A INPUT -p tcp -m multiport --dports 0:65535,1:2 -j ACCEPT"))
    (rule,) = ruleset.chain("filter", "INPUT").rules
    assert rule.match("--dports").values == ("0:65535,1:2",)


# ---- Hypothesis: only UnparsableOutput, and always a verdict ---------------------------------------

MUTATIONS = st.sampled_from([" ", "!", "-j", "--dport", ":", ",", "\n", "[0:0]", "COMMIT", "*filter", "\"", "-I",
                             "-m", "multiport", "65536", "-g", "ACCEPT", "#", "x"])


@st.composite
def mutated(draw):
    text = recorded(draw(st.sampled_from(REAL)))
    for _ in range(draw(st.integers(1, 6))):
        at = draw(st.integers(0, len(text)))
        cut = draw(st.integers(0, 12))
        text = text[:at] + draw(MUTATIONS) + text[at + cut:]
    return text


def check_text(text: str) -> None:
    try:
        ruleset = parse_iptables_save(text)
    except UnparsableOutput:
        return
    for port in (16509, 8250):
        for verdict in port_verdicts(ruleset, 4, port, []):
            assert verdict.outcome in ("ACCEPT", "REJECT", "DROP", "UNDECIDABLE")


@settings(max_examples=examples(200), deadline=None)
@given(st.text(max_size=400))
def test_random_text_is_parsed_or_unparsable(text):
    check_text(text)


@settings(max_examples=examples(200), deadline=None)
@given(mutated())
def test_mutated_real_rulesets_are_parsed_or_unparsable_and_always_get_a_verdict(text):
    check_text(text)
