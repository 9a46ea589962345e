"""The tables a new connection meets before (and after) filter INPUT (issue 19 item 4): raw, mangle, nat and
security PREROUTING/INPUT, NOTRACK, and nat redirections the walk does not follow."""
from __future__ import annotations

import pytest

from stackaudit.collect.declared.firewall import Firewall
from stackaudit.parsers.iptables import parse_iptables_save
from stackaudit.rules.firewall import firewall_evidence, walk_firewall
from stackaudit.rules.netfilter.verdict import evaluate
from tests.unit.netfilter_samples import FROM_OUTSIDE, POLICY, services_after, table, verdict_of


# ---- the tables before (and after) filter INPUT --------------------------------------------------------

ACCEPTED = table("filter", "-A INPUT -p tcp --dport 16509 -j ACCEPT", policy="DROP")


@pytest.mark.parametrize("before, reason", [
    (table("raw", "-A PREROUTING -p tcp --dport 16509 -j DROP"), "raw PREROUTING:1 `-p tcp --dport 16509 -j DROP`"),
    (table("mangle", "-A PREROUTING -i eth0 -j DROP"), "mangle PREROUTING:1 `-i eth0 -j DROP`"),
    (table("mangle", "-A INPUT -m conntrack --ctstate NEW -j DROP"),
     "mangle INPUT:1 `-m conntrack --ctstate NEW -j DROP`"),
    (table("mangle", policy="DROP"), "mangle PREROUTING's policy DROP"),
    (table("security", "-A INPUT -p tcp -j DROP"), "security INPUT:1 `-p tcp -j DROP`"),
    (table("raw", "-N SCRUB", "-A PREROUTING -j SCRUB", "-A SCRUB -p tcp -m multiport --dports 16500:16600 -j DROP"),
     "raw SCRUB:1 `-p tcp -m multiport --dports 16500:16600 -j DROP`"),
])
def test_a_drop_in_another_table_closes_the_port_the_filter_accepts(before, reason):
    verdict = verdict_of(before + ACCEPTED)
    assert (verdict.outcome, verdict.reason) == ("DROP", reason)
    assert verdict.path[-1].line().startswith(reason.replace("'s policy DROP", "'s policy DROP -> DROP"))


def test_an_accept_in_raw_only_ends_raw_and_the_evidence_shows_it():
    text = table("raw", "-A PREROUTING -j ACCEPT", "-A PREROUTING -j DROP") + services_after()
    ruleset = parse_iptables_save(text)
    verdict = evaluate(ruleset, FROM_OUTSIDE)
    assert verdict.outcome == "REJECT"
    firewall = Firewall(4, ruleset, "/etc/iptables/rules.v4", ruleset, "netfilter-persistent.service", True)
    assert "    raw PREROUTING:1 `-j ACCEPT` -> ACCEPT (ends raw PREROUTING; goes on)\n" \
           "    INPUT:1 `-j CLOUDSTACK-SERVICES` -> jump to CLOUDSTACK-SERVICES" in firewall_evidence(firewall, walk_firewall(firewall, POLICY))


def test_notrack_in_raw_makes_a_new_only_reject_miss_the_connection():
    text = table("raw", "-A PREROUTING -p tcp --dport 16509 -j CT --notrack") + table(
        "filter", "-A INPUT -m conntrack --ctstate NEW -p tcp --dport 16509 -j REJECT")
    verdict = verdict_of(text)
    assert (verdict.outcome, verdict.reason) == ("ACCEPT", "INPUT's policy ACCEPT")
    assert verdict.path[0].effect == "CT, continues untracked (conntrack state UNTRACKED)"
    untracked = table("filter", "-A INPUT -m state --state UNTRACKED -j DROP")
    assert verdict_of(table("raw", "-A PREROUTING -j NOTRACK") + untracked).outcome == "DROP"


@pytest.mark.parametrize("nat, outcome", [
    (table("nat", "-A PREROUTING -p tcp --dport 16509 -j DNAT --to-destination 10.1.1.5:16509"), "UNDECIDABLE"),
    (table("nat", "-A PREROUTING -p tcp -m multiport --dports 16000:17000 -j REDIRECT --to-ports 8080"),
     "UNDECIDABLE"),
    (table("nat", "-A PREROUTING -j ACCEPT", "-A PREROUTING -p tcp --dport 16509 -j DNAT --to-destination 10.1.1.5"),
     "REJECT"),
    (table("raw", "-A PREROUTING -j NOTRACK") + table("nat", "-A PREROUTING -j DNAT --to-destination 10.1.1.5"),
     "REJECT"),                               # nat does not see untracked packets
])
def test_a_redirection_in_nat_prerouting_is_not_followed(nat, outcome):
    verdict = verdict_of(nat + services_after())
    assert verdict.outcome == outcome
    if outcome == "UNDECIDABLE":
        assert verdict.reason.endswith("sends the connection elsewhere than tcp 16509 as addressed; the walk does "
                                       "not follow it")


@pytest.mark.parametrize("nat, outcome", [
    (table("nat", "-A PREROUTING -p tcp --dport 2222 -j REDIRECT --to-ports 16509"), "UNDECIDABLE"),
    (table("nat", "-A PREROUTING -p tcp ! --dport 16509 -j DNAT --to-destination 198.18.0.21:16500-16510"),
     "UNDECIDABLE"),
    (table("nat", "-A PREROUTING -p tcp --dport 2222 -j REDIRECT --to-ports 16509x"), "UNDECIDABLE"),
    (table("nat", "-A PREROUTING -p tcp --dport 8080 -j DNAT --to-destination 172.17.0.2:80"), "REJECT"),
    (table("nat", "-A PREROUTING -p tcp --dport 8080 -j DNAT --to-destination 172.17.0.2"), "REJECT"),
    (table("nat", "-A PREROUTING -p tcp --dport 80 -j REDIRECT"), "REJECT"),
    (table("nat", "-A OUTPUT -p tcp --dport 2222 -j REDIRECT --to-ports 16509"), "REJECT"),   # local clients only
])
def test_a_port_other_connections_are_redirected_to_is_not_called_closed(nat, outcome):
    verdict = verdict_of(nat + services_after())
    assert verdict.outcome == outcome
    if outcome == "UNDECIDABLE":
        assert verdict.reason.startswith("nat PREROUTING:1 `")
        assert verdict.reason.endswith("sends connections addressed to other ports to tcp 16509; the walk does not "
                                       "follow them (closed as addressed: CLOUDSTACK-SERVICES:1 `-p tcp -m multiport "
                                       "--dports 16509,16514,45335,41047,8250 -j REJECT`)")


def test_a_port_open_as_addressed_stays_open_whatever_is_redirected_to_it():
    nat = table("nat", "-A PREROUTING -p tcp --dport 2222 -j REDIRECT --to-ports 16509")
    assert verdict_of(nat + table("filter")).outcome == "ACCEPT"
