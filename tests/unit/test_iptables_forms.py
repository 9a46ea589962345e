"""Rules read as iptables-restore reads them and printed as iptables-save prints them: on files written
in odd spellings and the output the real iptables 1.8.9 (nf_tables) saved after restoring them
(tests/data/recorded/SOURCES.md; the lab test tests/lab/test_iptables_restore.py does it again)."""
from __future__ import annotations

from pathlib import Path

import pytest

from stackaudit.collect.declared.firewall import Firewall
from stackaudit.config.policy import policy_from_data
from stackaudit.errors import UnparsableOutput
from stackaudit.parsers.iptables import parse_iptables_save
from stackaudit.rules.firewall import chain_differences, firewall_findings, walk_firewall
from stackaudit.rules.netfilter.matches import Connection
from stackaudit.rules.netfilter.verdict import evaluate

RECORDED = Path(__file__).resolve().parent.parent / "data" / "recorded"
POLICY = policy_from_data({"firewall": {"v6_management_prefix": "fd00:5341:4c41::/64"}}, "test").firewall
SPELLINGS = [("restore-spellings.v4", "iptables-save-restore-spellings-v4.txt", 4),
             ("restore-spellings.v6", "ip6tables-save-restore-spellings-v6.txt", 6)]


def saved_form(ruleset) -> dict:
    """Every chain's policy and rules, as iptables-save prints them and by meaning."""
    return {(table, name): (chain.policy, [r.text for r in chain.rules], [r.key for r in chain.rules])
            for table, chains in ruleset.tables.items() for name, chain in chains.items()}


@pytest.mark.parametrize("written, saved, family", SPELLINGS)
def test_a_hand_written_file_reads_as_what_iptables_save_printed_after_restoring_it(written, saved, family):
    by_hand = parse_iptables_save((RECORDED / written).read_text(), written, family)
    restored = parse_iptables_save((RECORDED / saved).read_text(), saved, family)
    assert saved_form(by_hand) == saved_form(restored)


@pytest.mark.parametrize("written, saved, family", SPELLINGS)
def test_the_persisted_file_in_other_spellings_holds_the_same_chain(written, saved, family):
    running = parse_iptables_save((RECORDED / saved).read_text(), family=family)
    persisted = parse_iptables_save((RECORDED / written).read_text(), written, family)
    assert chain_differences(running, persisted) == ""
    firewall = Firewall(family, running, f"/etc/iptables/rules.v{family}", persisted, "netfilter-persistent.service",
                        True)
    assert not [f for f in firewall_findings(firewall, walk_firewall(firewall, POLICY)) if "rules.v" in f]


def test_a_comment_or_the_order_of_matches_is_no_difference_but_a_port_is():
    running = parse_iptables_save((RECORDED / "iptables-save-v4-compliant.txt").read_text())
    text = (RECORDED / "iptables-save-v4-compliant.txt").read_text()
    commented = text.replace("-A CLOUDSTACK-SERVICES -p tcp -m multiport",
                             '-A CLOUDSTACK-SERVICES -m comment --comment "CSC wiki" -p tcp -m multiport')
    assert chain_differences(running, parse_iptables_save(commented)) == ""
    narrowed = text.replace("16509,16514,45335,41047,8250", "16514,45335,41047,8250")
    assert chain_differences(running, parse_iptables_save(narrowed)) == (
        "missing from the file: -A CLOUDSTACK-SERVICES -p tcp -m multiport --dports 16509,16514,45335,41047,8250 "
        "-j REJECT --reject-with icmp-port-unreachable; only in the file: -A CLOUDSTACK-SERVICES -p tcp -m multiport "
        "--dports 16514,45335,41047,8250 -j REJECT --reject-with icmp-port-unreachable")


def rules_of(*lines: str, family: int = 4):
    text = "*filter\n:INPUT DROP [0:0]\n" + "".join(f"-A INPUT {line}\n" for line in lines) + "COMMIT\n"
    return parse_iptables_save(text, "f", family)


def test_match_options_after_the_target_still_belong_to_the_rule():
    ruleset = rules_of("-j ACCEPT -p tcp --dport 22")
    (rule,) = ruleset.chain("filter", "INPUT").rules
    assert (rule.text, rule.target_args) == ("-p tcp -m tcp --dport 22 -j ACCEPT", ())
    assert evaluate(ruleset, Connection(22, "203.0.113.9", "198.18.0.21", "eth0")).outcome == "ACCEPT"
    # before, every word after -j was the target's: the rule accepted every port
    assert evaluate(ruleset, Connection(16509, "203.0.113.9", "198.18.0.21", "eth0")).outcome == "DROP"


def test_the_targets_own_options_are_its_arguments_wherever_they_stand_after_it():
    (rule,) = rules_of("-j REJECT -p tcp --reject-with tcp-rst --dport 16509").chain("filter", "INPUT").rules
    assert rule.target_args == ("--reject-with", "tcp-reset")
    assert rule.text == "-p tcp -m tcp --dport 16509 -j REJECT --reject-with tcp-reset"


# What the real iptables-restore 1.8.9 accepted, and what its iptables-save printed.
ODD_BUT_VALID = [
    ("-p TCP --syn --destination-port ssh -j ACCEPT",
     "-p tcp -m tcp --dport 22 --tcp-flags FIN,SYN,RST,ACK SYN -j ACCEPT"),
    ("-s 10.0.0.0/255.0.0.0 -d 192.0.2.1 -j REJECT", "-s 10.0.0.0/8 -d 192.0.2.1/32 -j REJECT --reject-with "
                                                     "icmp-port-unreachable"),
    ("-m state --state ESTABLISHED,NEW,RELATED,INVALID -j ACCEPT",
     "-m state --state INVALID,NEW,RELATED,ESTABLISHED -j ACCEPT"),
    ('-m comment --comment "foo bar" -j LOG --log-level warning --log-prefix x',
     '-m comment --comment "foo bar" -j LOG --log-prefix x'),
    ("-m comment --comment foo.bar -j ACCEPT", '-m comment --comment "foo.bar" -j ACCEPT'),
    ("-m comment --comment it's -j ACCEPT", "-m comment --comment \"it\\'s\" -j ACCEPT"),
    ("-m comment --comment x -p tcp --dport 22 -j ACCEPT", "-p tcp -m comment --comment x -m tcp --dport 22 -j ACCEPT"),
    ("-m tcp -p tcp --dport 22 -j ACCEPT", "-p tcp -m tcp --dport 22 -j ACCEPT"),
    ("-p tcp -m tcp --dport 22 -m tcp --sport 1000 -j ACCEPT", "-p tcp -m tcp --sport 1000 --dport 22 -j ACCEPT"),
    ("-p 6 -m tcp --dport 22:22 -j ACCEPT", "-p tcp -m tcp --dport 22 -j ACCEPT"),
    ("-p tcp -m tcp -j ACCEPT", "-p tcp -m tcp -j ACCEPT"),
    ("-p tcp --tcp-flags ALL NONE -j DROP", "-p tcp -m tcp --tcp-flags FIN,SYN,RST,PSH,ACK,URG NONE -j DROP"),
    ("-p tcp --tcp-flags syn,ack syn -j DROP", "-p tcp -m tcp --tcp-flags SYN,ACK SYN -j DROP"),
    ("-p tcp ! --syn -j DROP", "-p tcp -m tcp ! --tcp-flags FIN,SYN,RST,ACK SYN -j DROP"),
    ("-p udp --sport 53 --dport 1024: -o eth1 ! -i lo -j ACCEPT",
     "! -i lo -o eth1 -p udp -m udp --sport 53 --dport 1024:65535 -j ACCEPT"),
    ("-f -p tcp -s 1.2.3.4 -j ACCEPT", "-s 1.2.3.4/32 -p tcp -f -j ACCEPT"),
    ("-p tcp -m multiport --destination-ports 22,ssh -j ACCEPT", "-p tcp -m multiport --dports 22,22 -j ACCEPT"),
    ("-p icmp --icmp-type echo-request -j ACCEPT", "-p icmp -m icmp --icmp-type 8 -j ACCEPT"),
    ("-p icmp --icmp-type port-unreachable -j DROP", "-p icmp -m icmp --icmp-type 3/3 -j DROP"),
    ("-m conntrack --ctstate new --ctproto tcp -j DROP", "-m conntrack --ctstate NEW --ctproto 6 -j DROP"),
    ("-p tcp -j REJECT --reject-with TCP-RESET", "-p tcp -j REJECT --reject-with tcp-reset"),
    ("-j REJECT --reject-with icmp-host", "-j REJECT --reject-with icmp-host-unreachable"),
    ("-j REJECT --reject-with host-prohib", "-j REJECT --reject-with icmp-host-prohibited"),
    ("-j LOG --log-level 4", "-j LOG"),
    ("-j LOG --log-level panic --log-prefix 123456789012345678901234567890",
     "-j LOG --log-prefix 12345678901234567890123456789 --log-level 0"),
    ("-j LOG --log-level debug --log-uid --log-tcp-options --log-ip-options --log-tcp-sequence",
     "-j LOG --log-level 7 --log-tcp-sequence --log-tcp-options --log-ip-options --log-uid"),
    ("-p all -s 0.0.0.0/0 -j DROP", "-j DROP"),
    ("-p 47 -j DROP", "-p gre -j DROP"),
    ("-p 112 -j DROP", "-p vrrp -j DROP"),
    ("-p 255 -j DROP", "-p 255 -j DROP"),
    ("-p tcp --dport=22 -j DROP", "-p tcp -m tcp --dport 22 -j DROP"),
    ("-p tcp --dp 22 -j DROP", "-p tcp -m tcp --dport 22 -j DROP"),
    ("--protocol tcp --source 1.1.1.1 --destination 2.2.2.2 --in-interface eth0 --jump ACCEPT",
     "-s 1.1.1.1/32 -d 2.2.2.2/32 -i eth0 -p tcp -j ACCEPT"),
    ("-c 10 20 -j DROP", "-j DROP"),
]


@pytest.mark.parametrize("written, saved", ODD_BUT_VALID)
def test_odd_spellings_iptables_restore_accepts_read_as_iptables_save_prints_them(written, saved):
    (rule,) = rules_of(written).chain("filter", "INPUT").rules
    assert rule.text == saved
    (again,) = rules_of(saved).chain("filter", "INPUT").rules
    assert (again.text, again.key) == (saved, rule.key)


# Targets of the other tables, as the real iptables-restore 1.8.9 took them and its iptables-save printed them.
OTHER_TABLES = [
    ("filter", "INPUT", "-j NFLOG --nflog-size 100 --nflog-group 2", "-j NFLOG --nflog-group 2 --nflog-size 100"),
    ("filter", "INPUT", "-j NFLOG --nflog-range 5", "-j NFLOG"),
    ("mangle", "PREROUTING", "-j MARK --set-mark 1", "-j MARK --set-xmark 0x1/0xffffffff"),
    ("mangle", "PREROUTING", "-j MARK --set-mark 0x10/0xff", "-j MARK --set-xmark 0x10/0xff"),
    ("mangle", "PREROUTING", "-j MARK --and-mark 0xf0", "-j MARK --set-xmark 0x0/0xffffff0f"),
    ("mangle", "PREROUTING", "-j MARK --or-mark 4", "-j MARK --set-xmark 0x4/0x4"),
    ("mangle", "PREROUTING", "-j MARK --xor-mark 4", "-j MARK --set-xmark 0x4/0x0"),
    ("mangle", "PREROUTING", "-j CONNMARK --save-mark",
     "-j CONNMARK --save-mark --nfmask 0xffffffff --ctmask 0xffffffff"),
    ("mangle", "PREROUTING", "-j CONNMARK --set-mark 1", "-j CONNMARK --set-xmark 0x1/0xffffffff"),
    ("mangle", "POSTROUTING", "-p tcp --tcp-flags SYN,RST SYN -j TCPMSS --clamp-mss-to-pmtu",
     "-p tcp -m tcp --tcp-flags SYN,RST SYN -j TCPMSS --clamp-mss-to-pmtu"),
    ("raw", "PREROUTING", "-j CT --notrack", "-j CT --notrack"),
    ("nat", "PREROUTING", "-p tcp --dport 80 -j DNAT --to 10.0.0.1",
     "-p tcp -m tcp --dport 80 -j DNAT --to-destination 10.0.0.1"),
    ("nat", "PREROUTING", "-p tcp --dport 80 -j REDIRECT --to-ports 8080",
     "-p tcp -m tcp --dport 80 -j REDIRECT --to-ports 8080"),
]


@pytest.mark.parametrize("table, chain, written, saved", OTHER_TABLES)
def test_targets_of_the_other_tables_read_as_iptables_save_prints_them(table, chain, written, saved):
    ruleset = parse_iptables_save(f"*{table}\n-A {chain} {written}\nCOMMIT\n", "f")
    assert [r.text for r in ruleset.chain(table, chain).rules] == [saved]


def test_several_addresses_make_one_rule_per_pair_as_iptables_loads_them():
    rules = rules_of("-s 10.1.1.1,10.2.2.2 -d 192.0.2.1,192.0.2.2 -p tcp --dport 22 -j DROP").chain(
        "filter", "INPUT").rules
    assert [r.text.split(" -p")[0] for r in rules] == [
        "-s 10.1.1.1/32 -d 192.0.2.1/32", "-s 10.1.1.1/32 -d 192.0.2.2/32",
        "-s 10.2.2.2/32 -d 192.0.2.1/32", "-s 10.2.2.2/32 -d 192.0.2.2/32"]


def test_ip6tables_forms():
    rules = rules_of("-s fd00::/ffff:ffff:ffff:ffff:: -j RETURN", "-p icmpv6 --icmpv6-type neighbor-solicitation "
                     "-j ACCEPT", "-j REJECT --reject-with adm-prohibited", "-p tcp -j REJECT", family=6)
    assert [r.text for r in rules.chain("filter", "INPUT").rules] == [
        "-s fd00::/64 -j RETURN", "-p ipv6-icmp -m icmp6 --icmpv6-type 135 -j ACCEPT",
        "-j REJECT --reject-with icmp6-adm-prohibited", "-p tcp -j REJECT --reject-with icmp6-port-unreachable"]


# What the real iptables-restore 1.8.9 refused (its own message in the comment where ours differs).
REFUSED = [
    ("--state NEW -m state -j ACCEPT", "unknown option '--state' (no -m module loaded)"),
    ("-m multiport --dports 22 -p tcp -j ACCEPT",
     "multiport needs `-p tcp', `-p udp', `-p udplite', `-p sctp' or `-p dccp'"),
    ("-p tcp --dport ! 22 -j ACCEPT", "unexpected word '22' (bad argument)"),     # invalid port/service `!'
    ("-j REJECT --reject-with tcp-reset", "REJECT --reject-with tcp-reset needs -p tcp"),
    ("-j REJECT --reject-with echo-reply", 'unknown reject type "echo-reply"'),
    ("-j ACCEPT -j DROP", "multiple -j flags not allowed"),
    ("-p tcp -p udp -j DROP", "multiple -p flags not allowed"),
    ("-s 1.1.1.1 -s 2.2.2.2 -j DROP", "multiple -s flags not allowed"),
    ("-i eth0 -i eth1 -j DROP", "multiple -i flags not allowed"),
    ("-p udp -m tcp --dport 22 -j DROP", "TCP match requires '-p tcp'"),
    ("-j ACCEPT --reject-with tcp-reset", "unknown option '--reject-with' (no -m module loaded)"),
    ("--reject-with tcp-reset -p tcp -j REJECT", "unknown option '--reject-with' (no -m module loaded)"),
    ("-j LOG --log-level WARNING", 'log level "WARNING" unknown'),
    ("-j LOG --log-level 8", 'log level "8" unknown'),
    ("-j LOG --log-level err", 'log level "err" unknown'),
    ("-p tcp --tcp-flags ECE SYN -j DROP", "Unknown TCP flag `ECE'"),
    ("! -s 0.0.0.0/0 -j DROP", "! -s 0.0.0.0/0 would never match"),
    ("! -p all -j DROP", "rule would never match protocol"),
    ("-p tcp --sport 1:2 --sport 3 -j DROP", "only one --sport allowed in one -m tcp"),
    ("-p tcp --syn --syn -j DROP", "only one --syn allowed in one -m tcp"),
    ("-m comment --comment 'a b' -j DROP", "unexpected word \"b'\" (bad argument)"),     # Bad argument `b''
    ("-s 1.1.1.1/33 -j DROP", "'1.1.1.1/33' is not an address or network"),
    ("-p bogus -j DROP", 'unknown protocol "bogus" specified'),
    ("-p tcp --d 22 -j DROP", "option '--d' is ambiguous"),
    ("! -s 10.0.0.1,10.0.0.2 -j DROP", "! not allowed with multiple source or destination IP addresses"),
    ("-j MARK --set-mark 0x1ffffffff", "'0x1ffffffff' is not a mark"),
    ("-j MARK --set-mark 09", "'09' is not a mark"),
]


@pytest.mark.parametrize("written, message", REFUSED)
def test_what_iptables_restore_refuses_would_not_load(written, message):
    with pytest.raises(UnparsableOutput) as error:
        rules_of(written)
    assert str(error.value) == f"f line 3: {message}"


@pytest.mark.parametrize("family, rule", [(4, "-6 -p tcp --dport 16509 -j ACCEPT"),
                                          (4, "-p tcp --ipv6 --dport 16509 -j ACCEPT"),
                                          (6, "-4 -p tcp --dport 16509 -j ACCEPT")])
def test_a_rule_for_the_other_family_is_skipped_as_iptables_restore_skips_it(family, rule):
    # iptables 1.8.9 xshared.c do_parse: in restore mode, `-6` in iptables' input (`-4` in ip6tables')
    # ends the line without a rule; iptables itself refuses it ("This is the IPv4 version of iptables")
    text = f"*filter\n:INPUT DROP [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n-A INPUT {rule}\nCOMMIT\n"
    assert parse_iptables_save(text, "rules", family).chain("filter", "INPUT").rules == []
