"""Hypothesis: the connections derived only from INPUT's path give the verdicts the whole filter table
gave (issue 19, item 1)."""
from __future__ import annotations

from unittest import mock

from hypothesis import given, settings, strategies as st

from stackaudit.parsers.iptables import parse_iptables_save
from stackaudit.rules.netfilter import walk
from stackaudit.rules.netfilter.connections import port_verdicts
from tests.unit.hypothesis_budget import examples

CHAINS = ["INPUT", "FORWARD", "OUTPUT", "A", "B", "C"]
USER = ["A", "B", "C"]
# No network's broadcast address as a /32 of its own: the walk leaves out the broadcast address of the
# networks the rules it reads name as destinations, so a /24 named only off INPUT's path no longer hides
# its .255 (`-d 192.0.2.255/32 -j ACCEPT` in INPUT then counts, as it should without that hint).
NETWORKS = ["10.0.0.0/8", "10.1.0.0/16", "192.0.2.7/32", "224.0.0.18/32", "127.0.0.0/8", "0.0.0.0/1",
            "198.18.0.0/15", "255.255.255.255/32", "192.0.2.0/24"]
INTERFACES = ["eth0", "eth+", "eth1", "e+", "virbr0", "lo", "+", "br-x+"]


@st.composite
def rule_for(draw, chain: str) -> str:
    words = []
    for option, pool in (("-s", NETWORKS), ("-d", NETWORKS), ("-i", INTERFACES)):
        if draw(st.integers(0, 2)) == 0:
            words += (["!"] if draw(st.booleans()) else []) + [option, draw(st.sampled_from(pool))]
    if draw(st.booleans()):
        words += ["-p", draw(st.sampled_from(["tcp", "udp"])), "--dport", draw(st.sampled_from(["16509", "22"]))]
    # jumps only to chains after this one: netfilter refuses loops
    later = [c for c in USER if chain not in USER or USER.index(c) > USER.index(chain)]
    targets = ["ACCEPT", "DROP", "REJECT", "RETURN"] + later
    target = draw(st.sampled_from(targets))
    goto = target in USER and draw(st.booleans())
    return f"-A {chain} " + " ".join(words + ["-g" if goto else "-j", target])


@st.composite
def rulesets(draw) -> str:
    lines = ["*filter", f":INPUT {draw(st.sampled_from(['ACCEPT', 'DROP']))} [0:0]", ":FORWARD ACCEPT [0:0]",
             ":OUTPUT ACCEPT [0:0]"] + [f":{c} - [0:0]" for c in USER]
    for chain in CHAINS:
        lines += [draw(rule_for(chain)) for _ in range(draw(st.integers(0, 4)))]
    return "\n".join(lines + ["COMMIT", ""])


def whole_table(ruleset, port):
    """The derivation before issue 19: every chain of the filter table."""
    return [("filter", name) for name in ruleset.tables.get("filter", {})]


def verdict_set(ruleset, family: int = 4, port: int = 16509) -> set:
    return {(v.outcome, v.reason) for v in port_verdicts(ruleset, family, port, [])}


@settings(max_examples=examples(300), deadline=None)
@given(rulesets())
def test_inputs_path_gives_the_verdicts_the_whole_table_gave(text):
    ruleset = parse_iptables_save(text)
    restricted = verdict_set(ruleset)
    with mock.patch.object(walk, "reachable_chains", whole_table):
        everything = verdict_set(ruleset)
    assert restricted == everything
