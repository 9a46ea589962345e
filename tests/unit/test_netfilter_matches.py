"""Matches netfilter decides, judged (issue 19 item 3): on recorded real rulesets (tests/data/recorded/SOURCES.md),
forms that must be judged open or closed, forms that must stay UNDECIDABLE, and a property test against a
reference walk. The tables before filter INPUT (item 4): test_netfilter_tables.py."""
from __future__ import annotations

import pytest
from hypothesis import given, settings, strategies as st

from stackaudit.errors import NotCheckable
from stackaudit.parsers.iptables import parse_iptables_save
from stackaudit.rules.firewall import judge, rejects_port, walk_port
from stackaudit.rules.netfilter.matches import Connection
from stackaudit.rules.netfilter.verdict import MAX_BRANCHES, MAX_SOURCE_PORTS, evaluate
from tests.unit.hypothesis_budget import examples
from tests.unit.netfilter_samples import (FROM_OUTSIDE, FROM_OUTSIDE_V6, POLICY, outcomes, recorded, services_after,
                                          table, verdict_of)


# ---- recorded real rulesets -------------------------------------------------------------------------

def webserver() -> str:
    """mitchellkrogza's web server rules (policy DROP, addrtype DROPs, recent), with the SSHBRUTE chain the same
    author published for them in fail2ban issue 1795."""
    brute = recorded("fail2ban-issue1795-sshbrute.txt").replace("-N SSHBRUTE\n", "")
    return recorded("iptables-save-webserver-addrtype-recent.txt") + brute + "COMMIT\n"


def test_a_web_servers_addrtype_drops_are_judged_and_the_policy_closes_the_cloudstack_ports():
    ruleset = parse_iptables_save(webserver())
    # before: "not checked" at INPUT:5 (-m addrtype); a connection to the host's address is LOCAL, never
    # BROADCAST, MULTICAST or ANYCAST, so it falls through to INPUT's policy DROP
    result = judge(ruleset, 4, POLICY)
    assert result.findings == ["chain CLOUDSTACK-SERVICES does not exist"]
    assert result.undecidable == []
    assert {v.outcome for v in walk_port(ruleset, 4, 16509, POLICY).running[16509]} == {"DROP"}
    assert evaluate(ruleset, FROM_OUTSIDE).reason == "INPUT's policy DROP"


def test_recent_set_always_matches_so_the_web_servers_3306_accept_opens_it():
    verdict = evaluate(parse_iptables_save(webserver()), Connection(3306, "203.0.113.9", "198.18.0.21", "eth0"))
    assert (verdict.outcome, verdict.reason) == (
        "ACCEPT", "INPUT:10 `-p tcp -m tcp --dport 3306 -m recent --set --name portscan --mask 255.255.255.255 "
                  "--rsource -j ACCEPT`")


def test_a_rate_limited_drop_before_an_accept_stays_undecidable_and_names_the_rule():
    verdict = evaluate(parse_iptables_save(webserver()), Connection(22, "203.0.113.9", "198.18.0.21", "eth0"))
    assert verdict.outcome == "UNDECIDABLE"
    assert verdict.reason == ("SSHBRUTE:3 `-m recent --name SSH --update --seconds 300 --hitcount 10 -j DROP`: "
                              "--update (not judged: DROP if it matches, ACCEPT if not)")
    assert verdict.path[-1].line() == ("SSHBRUTE:3 `-m recent --name SSH --update --seconds 300 --hitcount 10 "
                                       "-j DROP` -> cannot judge: --update")


def test_an_rh0_drop_in_a_vpn_servers_ip6tables_rules_is_judged():
    ruleset = parse_iptables_save(recorded("ip6tables-rules-hwdsl2-vpnsetup.txt"))
    verdict = evaluate(ruleset, FROM_OUTSIDE_V6)
    assert (verdict.outcome, verdict.reason) == ("DROP", "INPUT:6 `-j DROP`")
    assert verdict.path[0].line() == ("INPUT:3 `-m rt --rt-type 0 -j DROP` -> no match (assumed: the connection "
                                      "carries no routing header, which -m rt never matches)")
    assert "closed whatever the client chooses (tried with and without a routing header)" in verdict.assumed
    assert judge(ruleset, 6, POLICY).undecidable == []


def test_dockers_raw_prerouting_drop_closes_a_published_port_before_input():
    ruleset = parse_iptables_save(recorded("iptables-save-moby-49518-raw.txt") + "COMMIT\n")
    from_outside = evaluate(ruleset, Connection(1000, "203.0.113.9", "172.18.0.2", "eth0"))
    assert (from_outside.outcome, from_outside.reason) == (
        "DROP", "raw PREROUTING:1 `-d 172.18.0.2/32 ! -i br-3cdb1cb92a36 -p tcp -m tcp --dport 1000 -j DROP`")
    # before: only filter INPUT was read, whose policy ACCEPT took it
    from_the_bridge = evaluate(ruleset, Connection(1000, "172.18.0.9", "172.18.0.2", "br-3cdb1cb92a36"))
    assert (from_the_bridge.outcome, from_the_bridge.reason) == ("ACCEPT", "INPUT's policy ACCEPT")


def test_dockers_nat_prerouting_addrtype_jump_is_walked_and_returns():
    text = recorded("iptables-save-exadata-docker-nat.txt") + recorded("iptables-save-v4-compliant.txt")
    verdict = verdict_of(text)
    assert verdict.outcome == "REJECT"
    assert [step.line() for step in verdict.path[:2]] == [
        f"nat PREROUTING:{n} `-m addrtype --dst-type LOCAL -j DOCKER` -> jump to DOCKER" for n in (1, 2)]
    assert judge(parse_iptables_save(text), 4, POLICY).findings == []


def test_a_fail2ban_ipset_reject_for_all_ports_only_closes_more():
    start = recorded("fail2ban-iptables-ipset-proto6-actionstart.txt")
    assert "-m set --match-set f2b-<name> src -j <blocktype>" in start
    ban = "-A INPUT -p tcp -m set --match-set f2b-sshd src -j REJECT --reject-with icmp-port-unreachable"
    ruleset = parse_iptables_save(services_after(ban))
    assert judge(ruleset, 4, POLICY).findings == [] and judge(ruleset, 4, POLICY).undecidable == []
    assert rejects_port(walk_port(ruleset, 4, 16509, POLICY), 16509)
    verdict = evaluate(ruleset, FROM_OUTSIDE)
    assert verdict.path[0].line() == (f"INPUT:1 `{ban[len('-A INPUT '):]}` -> no match (assumed: -m set not judged; "
                                      "the same if it matches)")
    assert verdict.assumed == (f"INPUT:1 `{ban[len('-A INPUT '):]}`: -m set: not judged; closed whether it "
                               "matches or not",)


def test_several_rules_it_cannot_judge_that_each_close_leave_the_port_closed_and_say_so():
    text = services_after("-A INPUT -m set --match-set a src -j DROP", "-A INPUT -m mark --mark 0x1 -j REJECT",
                          "-A INPUT -m limit --limit 5/s -j LOG")
    verdict = verdict_of(text)
    assert (verdict.outcome, verdict.reason) == ("REJECT", "CLOUDSTACK-SERVICES:1 `-p tcp -m multiport --dports "
                                                 "16509,16514,45335,41047,8250 -j REJECT`")
    assert verdict.assumed == ("INPUT:1 `-m set --match-set a src -j DROP`: -m set: not judged; closed whether it "
                               "matches or not", "INPUT:2 `-m mark --mark 0x1 -j REJECT`: -m mark: not judged; closed "
                               "whether it matches or not")


# ---- forms that must be judged ----------------------------------------------------------------------

@pytest.mark.parametrize("rule", [
    "-A INPUT -m addrtype ! --dst-type LOCAL -j ACCEPT",
    "-A INPUT -m addrtype --dst-type BROADCAST,MULTICAST -j ACCEPT",
    "-A INPUT -m addrtype --dst-type UNICAST -j ACCEPT",          # IPv4: the host's own address is LOCAL
    "-A INPUT -m addrtype --src-type LOCAL -j ACCEPT",
    "-A INPUT -m addrtype --dst-type BROADCAST --limit-iface-in -j ACCEPT",
    "-A INPUT -p tcp --sport 1024:65535 --dport 16509 -j DROP",
    "-A INPUT -p tcp -m multiport --sports 53,123 -j REJECT",
    "-A INPUT -m set --match-set blocklist src -j DROP",
    "-A INPUT -m recent --rcheck --name bad --seconds 60 -j REJECT",
    "-A INPUT -m limit --limit 5/min -j DROP",
    "-A INPUT -m mark --mark 0x1 -j DROP",
    "-A INPUT -p tcp -m connlimit --connlimit-above 10 -j REJECT --reject-with tcp-reset",
    "-A INPUT -m set --match-set watch src -j LOG --log-prefix watch",
    "-A INPUT -m recent ! --set --name seen -j ACCEPT",
    "-A INPUT -m physdev --physdev-is-bridged -j ACCEPT",              # delivered to the host, not bridged
    "-A INPUT -m physdev --physdev-out vnet0 -j ACCEPT",
    "-A INPUT -m physdev --physdev-in eth0 -j DROP",
])
def test_forms_that_cannot_open_the_port_leave_it_closed(rule):
    assert outcomes(services_after(rule)) <= {"REJECT", "DROP"}


@pytest.mark.parametrize("rule, assumed", [
    ("-A INPUT -m addrtype --dst-type LOCAL -j ACCEPT", ""),
    ("-A INPUT -m addrtype --dst-type unicast,local -j ACCEPT", ""),
    ("-A INPUT -m addrtype --dst-type LOCAL --limit-iface-in -j ACCEPT",
     "the address connected to is on the interface the connection arrives on"),
    ("-A INPUT -m addrtype --src-type UNICAST -j ACCEPT",
     "the host routes the source as unicast (no blackhole, unreachable or prohibit route to it)"),
    ("-A INPUT -m addrtype ! --src-type BROADCAST,MULTICAST,LOCAL -j ACCEPT",
     "the host routes the source as unicast (no blackhole, unreachable or prohibit route to it)"),
    ("-A INPUT -m recent --set --name seen --rsource -j ACCEPT", ""),
    ("-A INPUT -m conntrack --ctstate NEW --ctorigdstport 16509 --ctdir ORIGINAL -j ACCEPT", ""),
    ("-A INPUT -m physdev ! --physdev-is-bridged -j ACCEPT", ""),
])
def test_forms_netfilter_decides_open_the_port_to_everyone(rule, assumed):
    text = services_after(rule)
    assert outcomes(text) == {"ACCEPT"}
    assert verdict_of(text).path[0].assumed == assumed


@pytest.mark.parametrize("rule, source_port", [
    ("-A INPUT -p tcp --sport 53 -j ACCEPT", 53),
    ("-A INPUT -p tcp -m multiport --sports 80,443 -j ACCEPT", 80),
    ("-A INPUT -p tcp -m multiport --ports 123 -j ACCEPT", 123),         # source or destination port
    ("-A INPUT -p tcp ! --sport 0:1023 -j ACCEPT", 1024),
    ("-A INPUT -m conntrack --ctorigsrcport 20 -j ACCEPT", 20),
])
def test_an_accept_limited_to_a_source_port_opens_the_port_to_anyone_who_sends_from_it(rule, source_port):
    text = services_after(rule)
    verdict = verdict_of(text)
    assert verdict.open and verdict.connection.source_port == source_port
    assert verdict.assumed[0] == f"the client sends from source port {source_port}"
    assert verdict.connection.describe() == (f"new tcp connection from 203.0.113.9 port {source_port} to port "
                                             "16509 on eth0 (to 198.18.0.21)")
    assert judge(parse_iptables_save(text), 4, POLICY).findings[0].startswith("tcp 16509 is open to every source")


def test_source_ports_told_apart_by_a_drop_and_an_accept_find_the_one_left_open():
    text = services_after("-A INPUT -p tcp --sport 1000:2000 -j DROP", "-A INPUT -p tcp --sport 1500:3000 -j ACCEPT")
    verdict = verdict_of(text)
    assert (verdict.outcome, verdict.connection.source_port) == ("ACCEPT", 2001)


@pytest.mark.parametrize("rules, outcome", [
    (["-A INPUT -m rt --rt-type 0 -j ACCEPT"], "ACCEPT"),        # the client may send one; Linux ignores it
    (["-A INPUT -m rt ! --rt-type 0 -j ACCEPT"], "ACCEPT"),      # ... or another type, which it ignores too
    (["-A INPUT -m rt --rt-type 0 -j DROP"], "DROP"),
    (["-A INPUT -m rt --rt-type 0 --rt-segsleft 0 -j DROP", "-A INPUT -p tcp --dport 16509 -j ACCEPT"], "ACCEPT"),
    (["-A INPUT -m rt --rt-type 0 -j DROP", "-A INPUT -m rt --rt-type 253 -j DROP",
      "-A INPUT -p tcp --dport 16509 -j ACCEPT"], "ACCEPT"),
])
def test_ip6tables_rt_matches_only_a_routing_header_the_client_chooses_to_send(rules, outcome):
    verdict = verdict_of(table("filter", *rules, policy="DROP"), FROM_OUTSIDE_V6)
    assert verdict.outcome == outcome
    if outcome == "ACCEPT" and "-m rt" in verdict.reason:
        assert "with segments left 0, which Linux ignores" in verdict.assumed[0]


@pytest.mark.parametrize("rule", [
    "-A INPUT -m addrtype --dst-type UNICAST -j ACCEPT",            # IPv6: a unicast address, local or not
    "-A INPUT -m addrtype --dst-type LOCAL -j ACCEPT",
    "-A INPUT -m addrtype ! --src-type LOCAL -j ACCEPT",
])
def test_ipv6_address_types_as_match_type6_checks_them(rule):
    assert verdict_of(table("filter", rule, policy="DROP"), FROM_OUTSIDE_V6).outcome == "ACCEPT"


@pytest.mark.parametrize("rule", ["-A INPUT -m addrtype --dst-type MULTICAST -j ACCEPT",
                                  "-A INPUT -m addrtype --src-type UNICAST,LOCAL -j ACCEPT"])
def test_ipv6_address_types_that_do_not_hold(rule):
    assert verdict_of(table("filter", rule, policy="DROP"), FROM_OUTSIDE_V6).outcome == "DROP"


# ---- forms that must stay "not checked" ---------------------------------------------------------------

@pytest.mark.parametrize("rule, condition", [
    ("-A INPUT -m set --match-set admins src -j ACCEPT", "-m set"),
    ("-A INPUT -p tcp -m limit --limit 3/min -j ACCEPT", "-m limit"),
    ("-A INPUT -m recent --rcheck --name ok -j ACCEPT", "--rcheck"),
    ("-A INPUT -m mark --mark 0x1 -j ACCEPT", "-m mark"),
    ("-A INPUT -m physdev --physdev-in eth0 -j ACCEPT", "--physdev-in eth0"),
    ("-A INPUT -p tcp --sport 53 -m set --match-set dns src -j ACCEPT", "-m set"),
])
def test_an_accept_on_unknown_state_before_the_reject_stays_undecidable(rule, condition):
    text = services_after(rule)
    assert outcomes(text) == {"UNDECIDABLE"}
    reason = verdict_of(text).reason
    assert reason.startswith(f"INPUT:1 `{rule[len('-A INPUT '):]}`: {condition}")
    assert reason.endswith("(not judged: ACCEPT if it matches, REJECT if not)")
    with pytest.raises(NotCheckable, match="cannot judge INPUT:1"):
        rejects_port(walk_port(parse_iptables_save(text), 4, 16509, POLICY), 16509)


def test_the_policy_drop_after_an_accept_on_a_set_is_undecidable():
    verdict = verdict_of(table("filter", "-A INPUT -m set --match-set admins src -j ACCEPT", policy="DROP"))
    assert verdict.reason == ("INPUT:1 `-m set --match-set admins src -j ACCEPT`: -m set (not judged: ACCEPT if it "
                              "matches, DROP if not)")


def test_more_ways_than_the_bound_are_undecidable():
    counting = [f"-A INPUT -m set --match-set s{n} src -j COUNTED" for n in range(7)]    # 2**7 ways
    verdict = verdict_of(services_after("-N COUNTED", *counting))
    assert verdict.outcome == "UNDECIDABLE"
    assert verdict.reason.startswith(f"more than {MAX_BRANCHES} ways through conditions the walk cannot judge, "
                                     "the first INPUT:1 `-m set --match-set s0 src -j COUNTED`")


def test_more_source_port_ranges_than_the_bound_are_undecidable():
    drops = [f"-A INPUT -p tcp --sport {n * 10} -j DROP" for n in range(1, MAX_SOURCE_PORTS // 2 + 2)]
    verdict = verdict_of(services_after(*drops))
    assert (verdict.outcome, verdict.reason) == ("UNDECIDABLE", f"the rules tell more than {MAX_SOURCE_PORTS} "
                                                 "source port ranges apart")


def test_source_ports_only_of_rules_a_connection_to_the_port_can_meet_count_toward_the_bound():
    forwarded = [f"-A FORWARD -p tcp --sport {n * 10} -j DROP" for n in range(1, MAX_SOURCE_PORTS)]
    udp = [f"-A INPUT -p udp --sport {n * 10} -j DROP" for n in range(1, MAX_SOURCE_PORTS)]
    verdict = verdict_of(services_after(*forwarded, *udp, "-A INPUT -p tcp --sport 53 -j ACCEPT"))
    assert (verdict.outcome, verdict.connection.source_port) == ("ACCEPT", 53)


# ---- Hypothesis: forking never changes a certain answer of the plain walk --------------------------------

SOURCES = ["0.0.0.0/0", "203.0.113.0/24", "198.18.0.0/15", "10.0.0.0/8"]
PLAIN = st.tuples(st.sampled_from(["", "-p udp ", "-p tcp --dport 16509 ", "-p tcp --dport 8250 ", "-i eth1 "]),
                  st.sampled_from(SOURCES), st.sampled_from(["ACCEPT", "DROP", "REJECT", "RETURN", "SIDE"]))
UNKNOWN = ["-m set --match-set s src ", "-m limit --limit 1/s ", "-m mark --mark 1 ", "-m recent --rcheck ",
           "-p tcp --sport 1024:2048 "]


def plain_rule(chain: str, matches: str, source: str, target: str) -> str:
    return f"-A {chain} {matches}" + (f"-s {source} " if source != "0.0.0.0/0" else "") + f"-j {target}"


def reference(rules: list[tuple[str, str, str]], policy: str, connection: Connection) -> str:
    """The walk on judgeable rules, written plainly: INPUT's rules in order, SIDE a user chain that REJECTs
    tcp 16509 and returns otherwise."""
    for matches, source, target in rules:
        if "udp" in matches or ("eth1" in matches and connection.interface != "eth1"):
            continue
        if "--dport" in matches and str(connection.port) not in matches:
            continue
        if source != "0.0.0.0/0" and not connection.source.startswith(source.split(".")[0] + "."):
            continue
        if target == "SIDE":
            if connection.port == 16509:
                return "REJECT"
            continue
        return policy if target == "RETURN" else target
    return policy


@st.composite
def rulesets(draw):
    rules = draw(st.lists(PLAIN, max_size=6))
    policy = draw(st.sampled_from(["ACCEPT", "DROP"]))
    extra_at = draw(st.integers(0, len(rules)))
    extra = draw(st.tuples(st.sampled_from(UNKNOWN), st.sampled_from(["ACCEPT", "DROP", "REJECT"])))
    return rules, policy, extra_at, extra


def filter_text(lines: list[str], policy: str) -> str:
    return table("filter", "-N SIDE", *lines, "-A SIDE -p tcp --dport 16509 -j REJECT", policy=policy)


@settings(max_examples=examples(300), deadline=None)
@given(rulesets(), st.sampled_from(["203.0.113.9", "198.18.0.9", "10.0.0.9"]), st.sampled_from(["eth0", "eth1"]),
       st.sampled_from([16509, 8250]))
def test_forking_keeps_every_certain_answer_of_the_plain_walk(drawn, source, interface, port):
    rules, policy, extra_at, (condition, extra_target) = drawn
    connection = Connection(port, source, "198.18.0.21", interface)
    lines = [plain_rule("INPUT", *rule) for rule in rules]
    plain = reference(rules, policy, connection)
    assert evaluate(parse_iptables_save(filter_text(lines, policy)), connection).outcome == plain
    # one more rule on a condition the walk cannot judge (or the client chooses): the answer when it matches
    # and when it does not; the same kind (open, closed) is certain, else "not checked", but for the source
    # port, which the client chooses: open if either opens
    lines.insert(extra_at, f"-A INPUT {condition}-j {extra_target}")
    forked = evaluate(parse_iptables_save(filter_text(lines, policy)), connection).outcome
    matched = reference(rules[:extra_at] + [("", "0.0.0.0/0", extra_target)] + rules[extra_at:], policy, connection)
    opens = {matched == "ACCEPT", plain == "ACCEPT"}
    if "--sport" in condition:
        assert forked == ("ACCEPT" if True in opens else plain)
    else:
        assert forked == (plain if len(opens) == 1 else "UNDECIDABLE")
