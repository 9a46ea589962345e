"""Security-group hosts at real size (issue 19, item 1) and the addresses the kernel never delivers to
TCP (item 2): the rules CloudStack's security_group.py writes, recorded from its own golden files
(tests/data/recorded/SOURCES.md), leave the verdicts alone; what INPUT reaches still counts."""
from __future__ import annotations

import ipaddress
from pathlib import Path

import pytest

from lab import firewall_rules
from lab.security_groups import host_rules, vm_rules
from stackaudit.collect.declared.firewall import Firewall
from stackaudit.config.policy import policy_from_data
from stackaudit.parsers.iptables import parse_iptables_save
from stackaudit.rules.firewall import firewall_evidence, firewall_findings, judge, rejects_port, walk_firewall, walk_port
from stackaudit.rules.netfilter.connections import port_verdicts
from stackaudit.rules.netfilter.matches import Connection
from stackaudit.rules.netfilter.verdict import evaluate
from stackaudit.rules.netfilter.walk import reachable_chains

RECORDED = Path(__file__).resolve().parent.parent / "data" / "recorded"
PREFIX = "fd00:5341:4c41::/64"
POLICY = policy_from_data({"firewall": {"v6_management_prefix": PREFIX}}, "test").firewall
FIREWALL = {"chain": True, "jump": True, "reject_ports": [16509, 16514, 45335, 41047, 8250]}
PORTS = FIREWALL["reject_ports"]


def recorded(name: str) -> str:
    return (RECORDED / name).read_text()


def outcomes(ruleset, family: int) -> dict[int, set]:
    return {port: {(v.outcome, v.reason) for v in port_verdicts(ruleset, family, port, [])} for port in PORTS}


def prefix(family: int) -> str | None:
    return PREFIX if family == 6 else None


# ---- the generator follows security_group.py's own golden files -----------------------------------

def golden_rules(chain: str, tool: str = "iptables") -> list[str]:
    """`<tool> -A <chain> ...` lines of the golden files, as rule texts without the chain."""
    lines = recorded("cloudstack-security_group-golden_default_network_rules.txt").splitlines()
    return [line.split(f" -A {chain} ", 1)[1] for line in lines if line.startswith(f"{tool} -A {chain} ")]


def as_ruleset(chain_rules: dict[str, list[str]]) -> dict[str, list[frozenset]]:
    """Each chain's rules parsed, as the set of (option, values, negated) of each rule and its target."""
    chains = sorted(set(chain_rules) - {"FORWARD"} | {"i-2-N-VM", "i-2-N-VM-eg", "i-2-N-def", "BF-cloudbr0-IN",
                                                     "BF-cloudbr0-OUT"})
    text = "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n" + "".join(
        f":{c} - [0:0]\n" for c in chains) + "".join(
        f"-A {c} {r}\n" for c, rules in chain_rules.items() for r in rules) + "COMMIT\n"
    ruleset = parse_iptables_save(text)
    return {c: [frozenset({(m.option, m.values, m.negated) for m in rule.matches} | {("-j", (rule.target,), False)})
                for rule in ruleset.chain("filter", c).rules] for c in chain_rules}


def test_the_generated_v4_rules_of_a_vm_are_security_group_pys_match_for_match():
    _, lines = vm_rules(4, 0)
    ours = {}
    for line in lines:
        chain, rule = line.split(" ", 2)[1], line.split(" ", 2)[2]
        ours.setdefault(chain.replace("i-2-10", "i-2-N"), []).append(rule.replace("vnet0", "vnetN").replace(
            "i-2-10", "i-2-N"))
    golden = {chain.replace("i-2-7", "i-2-N"): [r.replace("vnet3", "vnetN").replace("i-2-7", "i-2-N")
                                                for r in golden_rules(chain)]
              for chain in ("BF-cloudbr0-OUT", "BF-cloudbr0-IN", "i-2-7-def")}
    mine, theirs = as_ruleset({c: ours[c] for c in golden}), as_ruleset(golden)
    assert mine == theirs


def test_the_generated_framework_is_add_fw_framework_in_the_order_its_inserts_leave():
    commands = recorded("cloudstack-security_group-golden_add_fw_framework.txt").splitlines()
    inserted = [c.removeprefix("iptables -I FORWARD ") for c in commands if c.startswith("iptables -I FORWARD ")]
    appended = [c.removeprefix("iptables -A BF-cloudbr0 ") for c in commands
                if c.startswith("iptables -A BF-cloudbr0 ")]
    ruleset = parse_iptables_save(host_rules(4, 1, FIREWALL))
    ours = {"FORWARD": [r.text for r in ruleset.chain("filter", "FORWARD").rules][:4],
            "BF-cloudbr0": [r.text for r in ruleset.chain("filter", "BF-cloudbr0").rules]}
    # each -I FORWARD goes on top: the last inserted comes first
    assert as_ruleset(ours) == as_ruleset({"FORWARD": inserted[::-1], "BF-cloudbr0": appended})


@pytest.mark.parametrize("family", [4, 6])
@pytest.mark.parametrize("ipsets", [True, False])
def test_the_generated_rules_load_as_iptables_restore_reads_them_and_hang_off_forward(family, ipsets):
    ruleset = parse_iptables_save(host_rules(family, 20, FIREWALL, prefix(family), ipsets))
    chains = ruleset.tables["filter"]
    assert sum(len(c.rules) for c in chains.values()) > 20 * 15
    assert {"i-2-10-VM", "i-2-10-VM-eg", "i-2-10-def", "i-2-29-def", "BF-cloudbr0"} <= set(chains)
    assert {chain for chain in reachable_chains(ruleset, 16509) if chain[0] == "filter"} == \
        {("filter", "INPUT"), ("filter", "CLOUDSTACK-SERVICES"), ("filter", "LIBVIRT_INP")}


# ---- the SG rules change no verdict; what INPUT reaches still counts --------------------------------

@pytest.mark.parametrize("family", [4, 6])
def test_security_group_rules_do_not_change_the_verdicts_of_the_compliant_firewall(family):
    plain = parse_iptables_save(firewall_rules.running_rules("kvm-host", family, FIREWALL, prefix(family)))
    with_vms = parse_iptables_save(host_rules(family, 20, FIREWALL, prefix(family)))
    assert outcomes(with_vms, family) == outcomes(plain, family)
    assert judge(with_vms, family, POLICY).findings == [] == judge(plain, family, POLICY).findings


def test_a_whole_firewall_check_with_the_persisted_file_finds_nothing_on_a_compliant_sg_host():
    text = host_rules(4, 20, FIREWALL)
    firewall = Firewall(4, parse_iptables_save(text), "/etc/iptables/rules.v4",
                        parse_iptables_save(firewall_rules.saved_rules_file(text), "rules.v4"),
                        "netfilter-persistent.service", True)
    walk = walk_firewall(firewall, POLICY)
    assert firewall_findings(firewall, walk) == []
    evidence = firewall_evidence(firewall, walk)
    assert "new tcp connection from 1.0.0.1 to port 16509 on eth-other:" in evidence
    assert "i-2-10" not in evidence


def test_an_accept_in_a_per_vm_chain_that_input_jumps_to_opens_the_port_to_its_source():
    # the same per-VM chain, reached from INPUT: its ingress ACCEPT for one /32 opens every port
    # (without the cs_notrack ipsets: with them, see the next test)
    text = host_rules(4, 20, FIREWALL, ipsets=False).replace(
        "[4096:245760] -A INPUT -j CLOUDSTACK-SERVICES", "[4096:245760] -A INPUT -j i-2-10-VM\n-A INPUT -j CLOUDSTACK-SERVICES")
    ruleset = parse_iptables_save(text)
    findings = judge(ruleset, 4, POLICY).findings
    assert findings[0] == ("tcp 16509 is open to sources 203.0.113.1 on eth-other: accepted by i-2-10-VM:1 "
                           "`-s 203.0.113.1/32 -m state --state NEW -j ACCEPT`")
    assert not rejects_port(walk_port(ruleset, 4, 16509, POLICY), 16509)


def test_with_the_notrack_ipset_that_accept_depends_on_the_sets_contents_and_is_not_checked():
    # add_fw_framework NOTRACKs the cs_notrack ipset in raw PREROUTING: a source in the set is untracked,
    # so the per-VM chain's `--state NEW` ACCEPT does not match it; whether 203.0.113.1 is in the set is
    # not in the rules
    text = host_rules(4, 20, FIREWALL).replace("[4096:245760] -A INPUT -j CLOUDSTACK-SERVICES",
                                               "[4096:245760] -A INPUT -j i-2-10-VM\n-A INPUT -j CLOUDSTACK-SERVICES")
    judgement = judge(parse_iptables_save(text), 4, POLICY)
    assert judgement.findings == []
    assert judgement.undecidable[0].startswith("raw PREROUTING:")
    assert "--match-set cs_notrack" in judgement.undecidable[0]


def test_an_accept_in_libvirts_input_chain_still_opens_the_port_once_libvirt_jumps_first():
    # libvirtd, restarted after CLOUDSTACK-SERVICES was made, inserts its jump on top of INPUT again
    text = host_rules(4, 20, FIREWALL).replace(
        "-A LIBVIRT_INP -i virbr0 -p udp -m udp --dport 53 -j ACCEPT",
        "-A LIBVIRT_INP -i virbr0 -p tcp -m tcp --dport 16509 -j ACCEPT\n"
        "[0:0] -A LIBVIRT_INP -i virbr0 -p udp -m udp --dport 53 -j ACCEPT", 1).replace(
        "COMMIT\n# Completed", "-I INPUT 1 -j LIBVIRT_INP\nCOMMIT\n# Completed")
    assert judge(parse_iptables_save(text), 4, POLICY).findings == [
        "tcp 16509 is open to every source on virbr0: accepted by LIBVIRT_INP:1 "
        "`-i virbr0 -p tcp -m tcp --dport 16509 -j ACCEPT`"]


def test_a_chain_reached_only_through_a_rule_the_port_rules_out_is_not_on_the_path():
    text = ("*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:UDP-ONLY - [0:0]\n"
            ":CLOUDSTACK-SERVICES - [0:0]\n-A INPUT -p udp -j UDP-ONLY\n-A INPUT -j CLOUDSTACK-SERVICES\n"
            "-A UDP-ONLY -s 192.0.2.0/24 -j ACCEPT\n"
            "-A CLOUDSTACK-SERVICES -p tcp -m multiport --dports 16509 -j REJECT\nCOMMIT\n")
    ruleset = parse_iptables_save(text)
    assert reachable_chains(ruleset, 16509) == [("filter", "INPUT"), ("filter", "CLOUDSTACK-SERVICES")]
    assert {v.connection.source for v in port_verdicts(ruleset, 4, 16509, [])} == {"1.0.0.1"}


# ---- item 2: addresses no new TCP connection can have ---------------------------------------------

COMPLIANT_INPUT = ("*filter\n:INPUT {policy} [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n"
                   ":CLOUDSTACK-SERVICES - [0:0]\n{rules}-A INPUT -j CLOUDSTACK-SERVICES\n"
                   "{services}-A CLOUDSTACK-SERVICES -p tcp -m multiport --dports 16509,16514,45335,41047,8250 "
                   "-j REJECT --reject-with {answer}\nCOMMIT\n")


def ruleset_with(family: int, *rules: str, policy: str = "ACCEPT"):
    services = f"-A CLOUDSTACK-SERVICES -s {PREFIX} -j RETURN\n" if family == 6 else ""
    answer = "icmp-port-unreachable" if family == 4 else "icmp6-port-unreachable"
    return parse_iptables_save(COMPLIANT_INPUT.format(policy=policy, rules="".join(r + "\n" for r in rules),
                                                      services=services, answer=answer))


@pytest.mark.parametrize("family, rule", [
    (4, "-A INPUT -d 224.0.0.18/32 -j ACCEPT"),             # VRRP (CloudStack's router, CsAddress.fw_router)
    (4, "-A INPUT -d 225.0.0.50/32 -j ACCEPT"),
    (4, "-A INPUT -d 224.0.0.0/4 -p tcp -m tcp --dport 16509 -j ACCEPT"),
    (4, "-A INPUT -s 224.0.0.0/4 -j ACCEPT"),
    (4, "-A INPUT -i eth0 -s 127.0.0.0/8 -j ACCEPT"),
    (4, "-A INPUT -s 127.0.0.1/32 -p tcp --dport 16509 -j ACCEPT"),
    (4, "-A INPUT -d 127.0.0.0/8 -j ACCEPT"),
    (4, "-A INPUT -d 255.255.255.255/32 -j ACCEPT"),
    (4, "-A INPUT -s 255.255.255.255/32 -j ACCEPT"),
    (4, "-A INPUT -s 0.0.0.0/8 -j ACCEPT"),
    (4, "-A INPUT -d 0.0.0.0/32 -j ACCEPT"),
    (6, "-A INPUT -d ff02::/16 -j ACCEPT"),
    (6, "-A INPUT -d ff02::1:ff00:0/104 -p tcp --dport 16509 -j ACCEPT"),
    (6, "-A INPUT -s ff00::/8 -j ACCEPT"),
    (6, "-A INPUT -s ::1/128 -j ACCEPT"),
    (6, "-A INPUT -d ::1/128 -j ACCEPT"),
    (6, "-A INPUT -s ::ffff:0.0.0.0/96 -j ACCEPT"),
    (6, "-A INPUT -s ::/128 -j ACCEPT"),
])
def test_an_accept_only_undeliverable_packets_meet_opens_nothing(family, rule):
    assert judge(ruleset_with(family, rule), family, POLICY).findings == []


def test_a_networks_broadcast_named_as_a_destination_opens_nothing():
    ruleset = ruleset_with(4, "-A INPUT -d 192.0.2.255/32 -j ACCEPT", "-A INPUT -d 192.0.2.0/24 -j CLOUDSTACK-SERVICES",
                           policy="DROP")
    assert judge(ruleset, 4, POLICY).findings == []


def test_the_routers_input_rules_open_no_policy_port():
    rules = [line.replace("%s", "eth2") for line in recorded("cloudstack-CsAddress-fw_router-input.txt").splitlines()]
    ruleset = ruleset_with(4, *rules)
    assert judge(ruleset, 4, POLICY).findings == []
    tried = {v.connection.destination for v in port_verdicts(ruleset, 4, 16509, [])}
    assert tried and not any(ipaddress.ip_address(d).is_multicast for d in tried)


@pytest.mark.parametrize("family, rule, finding", [
    (4, "-A INPUT -s 126.0.0.0/7 -j ACCEPT", "tcp 16509 is open to sources 126.0.0.1 on eth-other: accepted by "
                                             "INPUT:1 `-s 126.0.0.0/7 -j ACCEPT`"),
    (4, "-A INPUT -d 198.18.0.21/32 -p tcp --dport 16509 -j ACCEPT",
     "tcp 16509 is open to every source on eth-other: accepted by INPUT:1 `-d 198.18.0.21/32 -p tcp --dport 16509 "
     "-j ACCEPT`"),
    (4, "-A INPUT -d 224.0.0.0/2 -j ACCEPT", "tcp 16509 is open to every source on eth-other: accepted by INPUT:1 "
                                             "`-d 224.0.0.0/2 -j ACCEPT`"),
    (6, "-A INPUT -s 2001:db8::/32 -j ACCEPT", "tcp 16509 is open to sources 2001:db8::1 on eth-other: accepted by "
                                               "INPUT:1 `-s 2001:db8::/32 -j ACCEPT`"),
])
def test_a_genuine_accept_beside_them_still_opens_the_port(family, rule, finding):
    assert judge(ruleset_with(family, rule), family, POLICY).findings[0] == finding


def test_a_connection_to_a_multicast_destination_is_never_tried_but_evaluate_still_walks_one():
    ruleset = ruleset_with(4, "-A INPUT -d 224.0.0.18/32 -j ACCEPT")
    assert evaluate(ruleset, Connection(16509, "203.0.113.9", "224.0.0.18", "eth0")).outcome == "ACCEPT"
    assert all(v.outcome == "REJECT" for v in port_verdicts(ruleset, 4, 16509, []))


# ---- interface names: one per class the patterns tell apart ---------------------------------------

@pytest.mark.parametrize("rules, finding", [
    # `eth+` matched eth-other, eth-otherx, ...: the walk looked for a name forever
    (["-A INPUT -i eth+ -p tcp --dport 16509 -j ACCEPT"],
     "tcp 16509 is open to every source on eth0: accepted by INPUT:1 `-i eth+ -p tcp --dport 16509 -j ACCEPT`"),
    (["-A INPUT -i eth0 -j CLOUDSTACK-SERVICES", "-A INPUT -i eth+ -p tcp --dport 16509 -j ACCEPT"],
     "tcp 16509 is open to every source on eth1: accepted by INPUT:2 `-i eth+ -p tcp --dport 16509 -j ACCEPT`"),
    (["-A INPUT -i + -p tcp --dport 16509 -j ACCEPT"],
     "tcp 16509 is open to every source on 0: accepted by INPUT:1 `-i + -p tcp --dport 16509 -j ACCEPT`"),
])
def test_prefix_patterns_get_a_name_of_their_own_and_the_walk_ends(rules, finding):
    assert judge(ruleset_with(4, *rules), 4, POLICY).findings[0] == finding


def test_a_generated_cloud_gives_every_kvm_host_the_vms_rules_and_no_xenserver():
    from lab.generate import generate_scenario
    from lab.scenario import resolve_scenario
    scenario = resolve_scenario(generate_scenario(20, 1, security_group_vms=100), "generated")
    hosts = [(cluster["hypervisor"], host["firewall"]["security_group_vms"])
             for cluster in scenario["zones"][0]["pods"][0]["clusters"] for host in cluster["hosts"]]
    assert {vms for kind, vms in hosts if kind == "KVM"} == {100}
    assert {vms for kind, vms in hosts if kind == "XenServer"} == {0}
