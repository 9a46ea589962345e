"""A KVM host's firewall in a zone with security groups: the lab's compliant firewall
(lab/firewall_rules.py) plus the rules CloudStack's agent writes for every VM it runs (pure functions).

The shapes are those of Apache CloudStack, scripts/vm/network/security_group.py,
https://github.com/apache/cloudstack, as its own golden files record them
(scripts/vm/network/tests/golden_add_fw_framework.txt, golden_default_network_rules.txt):
 - add_fw_framework: chains BF-<bridge>, BF-<bridge>-IN and BF-<bridge>-OUT; FORWARD gets
   `-I FORWARD -i/-o <bridge> -j DROP` and, above them, `-I FORWARD -i/-o <bridge> -m physdev
   --physdev-is-bridged -j BF-<bridge>`; BF-<bridge> sends bridged packets to -IN/-OUT and accepts
   what leaves by the physical device; raw PREROUTING NOTRACKs the `cs_notrack` ipset;
 - default_network_rules, per VM `i-<account>-<id>-VM` on tap device vnetN: BF-<bridge>-IN/-OUT jump
   to `i-<account>-<id>-def` by physdev; that chain lets DHCP and DNS through, DROPs spoofed sources
   (an ipset named after the VM holding its addresses), sends the VM's own traffic to `...-VM-eg`
   (egress rules) and traffic to the VM to `...-VM` (ingress rules);
 - add_network_rules: one `-I <chain> -p tcp -m tcp --dport <range> -m state --state NEW
   -s|-d <cidr> -j ACCEPT|RETURN` per rule and CIDR (ingress in `-VM` ends with DROP, egress in
   `-VM-eg` with DROP once it has a rule).
The agent writes no rule into INPUT: every per-VM chain hangs off FORWARD.

Rules are written as `iptables-save` prints them (matches in the order given, `-m udp`/`-m tcp` where
the port option loads them, `--sport` before `--dport`). With `ipsets=False` the anti-spoofing rules
match the VM's address with `-s`/`-d` instead of `-m set` (as security_group.py did before it used
ipsets), for machines without the ipset tool: iptables-restore refuses a set that does not exist.
"""
from __future__ import annotations

import ipaddress

from lab import firewall_rules

BRIDGE = "cloudbr0"
PHYSICAL_DEVICE = "eth0"
ACCOUNT = 2
FIRST_VM_ID = 10
# 3 ingress and 2 egress rules per VM, each for one /32 peer: every protocol ("all"), all of tcp, one
# port; the forms a tenant picks in the UI's "Add rule" (protocol ALL, TCP 1-65535, TCP 22).
INGRESS_RULES = ("all", "1:65535", "22")
EGRESS_RULES = ("all", "443")
# Guest and peer addresses only appear in rules; no packet is ever sent to them.
V4_GUESTS = ipaddress.ip_network("10.1.0.0/16")
V4_PEERS = ipaddress.ip_network("203.0.113.0/24")
V6_GUESTS = ipaddress.ip_network("fd00:5347::/64")
V6_PEERS = ipaddress.ip_network("fd00:5350::/64")


def vm_address(family: int, index: int) -> str:
    network = V4_GUESTS if family == 4 else V6_GUESTS
    return str(network[index + 2])


def peer_address(family: int, index: int) -> str:
    network = V4_PEERS if family == 4 else V6_PEERS
    return str(network[(index % (network.num_addresses - 2)) + 1])


def framework_rules(family: int) -> list[str]:
    """add_fw_framework's FORWARD and BF-<bridge> rules, in the order the -I/-A calls leave them."""
    bf = f"BF-{BRIDGE}"
    return [f"-A FORWARD -o {BRIDGE} -m physdev --physdev-is-bridged -j {bf}",
            f"-A FORWARD -i {BRIDGE} -m physdev --physdev-is-bridged -j {bf}",
            f"-A FORWARD -o {BRIDGE} -j DROP",
            f"-A FORWARD -i {BRIDGE} -j DROP",
            f"-A {bf} -m physdev --physdev-is-in --physdev-is-bridged -j {bf}-IN",
            f"-A {bf} -m physdev --physdev-is-out --physdev-is-bridged -j {bf}-OUT",
            f"-A {bf} -m physdev --physdev-out {PHYSICAL_DEVICE} --physdev-is-bridged -j ACCEPT"]


def vm_rules(family: int, index: int, ipsets: bool = True) -> tuple[list[str], list[str]]:
    """(chains, rules) default_network_rules and add_network_rules write for the index-th VM."""
    vm = f"i-{ACCOUNT}-{FIRST_VM_ID + index}"
    vif, address = f"vnet{index}", vm_address(family, index)
    width = 32 if family == 4 else 128
    chain_in, chain_eg, chain_def = f"{vm}-VM", f"{vm}-VM-eg", f"{vm}-def"
    from_vm, to_vm = f"-m physdev --physdev-in {vif}", f"-m physdev --physdev-out {vif} --physdev-is-bridged"
    set_name = f"{vm}-VM" + ("" if family == 4 else "-6")
    if ipsets:
        spoofed_src, spoofed_dst = f"-m set ! --match-set {set_name} src", f"-m set ! --match-set {set_name} dst"
        own_src, own_src_v6 = f"-m set --match-set {set_name} src", f"-m set --match-set {set_name} src"
    else:
        spoofed_src, spoofed_dst = f"! -s {address}/{width}", f"! -d {address}/{width}"
        own_src = own_src_v6 = f"-s {address}/{width}"
    bf = f"BF-{BRIDGE}"
    rules = [f"-A {bf}-OUT {to_vm} -j {chain_def}", f"-A {bf}-IN {from_vm} -j {chain_def}"]
    d = f"-A {chain_def}"
    if family == 4:
        rules += [f"{d} -p udp {from_vm} -m udp --sport 68 --dport 67 -j ACCEPT",
                  f"{d} -p udp {to_vm} -m udp --sport 67 --dport 68 -j ACCEPT",
                  f"{d} -p udp {from_vm} -m udp --sport 67 -j DROP",
                  f"{d} {from_vm} {spoofed_src} -j DROP",
                  f"{d} {to_vm} {spoofed_dst} -j DROP",
                  f"{d} -p udp {from_vm} {own_src} -m udp --dport 53 -j ACCEPT",
                  f"{d} -p tcp {from_vm} {own_src} -m tcp --dport 53 -j ACCEPT"]
    else:
        hop = "-m hl --hl-eq 255"
        rules += [f"{d} -s fe80::/64 -d ff02::1/128 -p ipv6-icmp {to_vm} -m icmp6 --icmpv6-type 134 {hop} -j ACCEPT",
                  f"{d} -d ff02::2/128 -p ipv6-icmp {from_vm} -m icmp6 --icmpv6-type 133 {hop} -j ACCEPT",
                  f"{d} -p ipv6-icmp {from_vm} -m icmp6 --icmpv6-type 134 -j DROP",
                  f"{d} -p ipv6-icmp {from_vm} -m icmp6 --icmpv6-type 135 {hop} -j ACCEPT",
                  f"{d} -p ipv6-icmp {to_vm} -m icmp6 --icmpv6-type 135 {hop} -j ACCEPT",
                  f"{d} -p ipv6-icmp {from_vm} -m icmp6 --icmpv6-type 136 {own_src_v6} {hop} -j ACCEPT",
                  f"{d} -p ipv6-icmp {to_vm} -m icmp6 --icmpv6-type 136 {hop} -j ACCEPT",
                  f"{d} -d ff02::16/128 -p ipv6-icmp {from_vm} -j ACCEPT",
                  f"{d} -p udp {from_vm} -m udp --sport 547 ! -d fe80::/64 -j DROP",
                  f"{d} -p udp {from_vm} {own_src_v6} -m udp --dport 53 -j ACCEPT",
                  f"{d} -p tcp {from_vm} {own_src_v6} -m tcp --dport 53 -j ACCEPT",
                  f"{d} {from_vm} {spoofed_src} -j DROP"]
    rules += [f"{d} {from_vm} {own_src} -j {chain_eg}",
              f"{d} {to_vm} -j {chain_in}",
              f"{d} {from_vm} -m state --state RELATED,ESTABLISHED -j ACCEPT",
              f"{d} {to_vm} -m state --state RELATED,ESTABLISHED -j ACCEPT",
              f"{d} {from_vm} -j DROP",
              f"{d} {to_vm} -j DROP"]
    peers = iter(range(index * 5, index * 5 + 5))
    rules += [f"-A {chain_in} -s {peer_address(family, next(peers))}/{width} {opening(ports)} -j ACCEPT"
              for ports in INGRESS_RULES] + [f"-A {chain_in} -j DROP"]
    rules += [f"-A {chain_eg} -d {peer_address(family, next(peers))}/{width} {opening(ports)} -j RETURN"
              for ports in EGRESS_RULES] + [f"-A {chain_eg} -j DROP"]
    return [chain_in, chain_eg, chain_def], rules


def opening(ports: str) -> str:
    """add_network_rules' match for a rule: `-m state --state NEW` alone for protocol all, else the
    tcp port range (iptables-save prints `22:22` as `22`) and the state."""
    if ports == "all":
        return "-m state --state NEW"
    low, _, high = ports.partition(":")
    shown = ports if high and high != low else low
    return f"-p tcp -m tcp --dport {shown} -m state --state NEW"


def security_group_rules(family: int, vms: int, ipsets: bool = True) -> tuple[list[str], list[str]]:
    """(chains, rules) of a host whose agent runs `vms` VMs in security groups."""
    if vms == 0:
        return [], []
    bf = f"BF-{BRIDGE}"
    chains, rules = [bf, f"{bf}-IN", f"{bf}-OUT"], framework_rules(family)
    for index in range(vms):
        vm_chains, vm_lines = vm_rules(family, index, ipsets)
        chains += vm_chains
        rules += vm_lines
    return chains, rules


def raw_table(family: int) -> str:
    """add_fw_framework's raw PREROUTING: connections to or from the `cs_notrack` ipset are not tracked."""
    name = "cs_notrack" if family == 4 else "cs_notrack6"
    return "\n".join(["*raw", ":PREROUTING ACCEPT [0:0]", ":OUTPUT ACCEPT [0:0]",
                      f"-A PREROUTING -m set --match-set {name} dst -j NOTRACK",
                      f"-A PREROUTING -m set --match-set {name} src -j NOTRACK", "COMMIT"]) + "\n"


def host_rules(family: int, vms: int, firewall: dict, mgmt_prefix: str | None = None,
               ipsets: bool = True) -> str:
    """The running rules (`iptables-save -c`) of a KVM host: the compliant firewall of `firewall`
    (lab/scenario.py's FIREWALL record) with `vms` VMs' security-group rules."""
    chains, rules = security_group_rules(family, vms, ipsets)
    text = firewall_rules.running_rules("kvm-host", family, firewall, mgmt_prefix, chains, rules)
    return (raw_table(family) + text) if ipsets and vms else text
