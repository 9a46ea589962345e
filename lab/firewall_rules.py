"""The lab's compliant firewall, as a real CloudStack install leaves it (tests/data/recorded/SOURCES.md,
section "The lab's compliant firewall", and the recorded originals named there).

The running rules are written as `iptables-save -c` prints them (rule counters `[packets:bytes]`,
which iptables-restore reads and, without --counters, ignores); the persisted files as the tools that
write them do: netfilter-persistent and `service iptables save` both run plain `iptables-save`, so
chain counters but no rule counters.

Order of INPUT, from the order things happen on a real host (each step inserts at the top):
 1. the host's own base rules: loopback and conntrack ACCEPTs (the iptables-services default
    /etc/sysconfig/iptables: `-A INPUT -m state --state RELATED,ESTABLISHED -j ACCEPT`, `-A INPUT -i lo
    -j ACCEPT`; Fedora/CentOS iptables-services, https://src.fedoraproject.org/rpms/iptables);
 2. libvirtd starts and inserts `-I INPUT -j LIBVIRT_INP` (libvirt >= 5.1 private chains, libvirt
    src/network/network_iptables.c and tests/networkxml2firewalldata/nat-default-linux.args,
    https://gitlab.com/libvirt/libvirt);
 3. cloudstack-setup-agent inserts one ACCEPT per agent port with `iptables -I INPUT -p tcp -m tcp
    --dport <port> -j ACCEPT` (apache/cloudstack python/lib/cloudutils/serviceConfig.py,
    firewallConfigBase.allowPort); the result as on the real host of apache/cloudstack issue #7318:
    49152:49216, 5900:6100, 16514, 16509, 1798, 22. A management server gets firewallConfigServer's
    8080, 8096, 8250, 9090 the same way;
 4. [CSC-WIKI]'s chain, its jump inserted above everything: `iptables -I INPUT -j CLOUDSTACK-SERVICES`.
XenServer hosts (RHEL family) keep /etc/sysconfig/iptables in the form of apache/cloudstack issue
#7838's EL hosts (iptables-save output, ACCEPTs, policy ACCEPT) with XenServer's ports 22, 80, 443.
"""
from __future__ import annotations

import re

SAVED_AT = "Sat Nov 21 09:12:44 2026"
# cloudstack-setup-agent's ports in the order `-I INPUT` leaves them (issue #7318's host)
KVM_AGENT_PORTS = ("49152:49216", "5900:6100", "16514", "16509", "1798", "22")
MANAGEMENT_PORTS = ("9090", "8250", "8096", "8080")   # firewallConfigServer, each inserted at the top
XENSERVER_PORTS = ("443", "80", "22")                  # CloudStack docs, network_setup.rst
LIBVIRT_CHAINS = ("LIBVIRT_INP", "LIBVIRT_OUT", "LIBVIRT_FWO", "LIBVIRT_FWI", "LIBVIRT_FWX")
# libvirt's rules for its default network (virbr0, 192.168.122.0/24), as iptables-save prints them
LIBVIRT_V4_RULES = (
    "-A FORWARD -j LIBVIRT_FWX", "-A FORWARD -j LIBVIRT_FWI", "-A FORWARD -j LIBVIRT_FWO",
    "-A OUTPUT -j LIBVIRT_OUT",
    "-A LIBVIRT_INP -i virbr0 -p udp -m udp --dport 53 -j ACCEPT",
    "-A LIBVIRT_INP -i virbr0 -p tcp -m tcp --dport 53 -j ACCEPT",
    "-A LIBVIRT_INP -i virbr0 -p udp -m udp --dport 67 -j ACCEPT",
    "-A LIBVIRT_INP -i virbr0 -p tcp -m tcp --dport 67 -j ACCEPT",
    "-A LIBVIRT_OUT -o virbr0 -p udp -m udp --dport 53 -j ACCEPT",
    "-A LIBVIRT_OUT -o virbr0 -p tcp -m tcp --dport 53 -j ACCEPT",
    "-A LIBVIRT_OUT -o virbr0 -p udp -m udp --dport 68 -j ACCEPT",
    "-A LIBVIRT_OUT -o virbr0 -p tcp -m tcp --dport 68 -j ACCEPT",
    "-A LIBVIRT_FWO -s 192.168.122.0/24 -i virbr0 -j ACCEPT",
    "-A LIBVIRT_FWO -i virbr0 -j REJECT --reject-with icmp-port-unreachable",
    "-A LIBVIRT_FWI -d 192.168.122.0/24 -o virbr0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT",
    "-A LIBVIRT_FWI -o virbr0 -j REJECT --reject-with icmp-port-unreachable",
    "-A LIBVIRT_FWX -i virbr0 -o virbr0 -j ACCEPT",
)
LIBVIRT_V6_RULES = ("-A FORWARD -j LIBVIRT_FWX", "-A FORWARD -j LIBVIRT_FWI", "-A FORWARD -j LIBVIRT_FWO",
                    "-A OUTPUT -j LIBVIRT_OUT")


def running_rules(kind: str, family: int, firewall: dict, mgmt_prefix: str | None,
                  extra_chains: list[str] = (), extra_rules: list[str] = ()) -> str:
    """The running ruleset of a machine `kind` (kvm-host, xs-host, mgmt), as `iptables-save -c`; the
    extra chains and rules (lab/security_groups.py) come before the others of the chains they are in
    (CloudStack's agent inserts its FORWARD rules at the top)."""
    chains = list(extra_chains)
    if firewall["chain"]:
        chains.append("CLOUDSTACK-SERVICES")
    libvirt = kind == "kvm-host"
    if libvirt:
        chains += LIBVIRT_CHAINS
    lines = list(extra_rules)
    if firewall["chain"] and firewall["jump"]:
        lines.append("-A INPUT -j CLOUDSTACK-SERVICES")
    if family == 4:
        ports = {"kvm-host": KVM_AGENT_PORTS, "mgmt": MANAGEMENT_PORTS}.get(kind, XENSERVER_PORTS)
        lines += [f"-A INPUT -p tcp -m tcp --dport {port} -j ACCEPT" for port in ports]
    if libvirt:
        lines.append("-A INPUT -j LIBVIRT_INP")
    if kind != "xs-host":
        lines += ["-A INPUT -i lo -j ACCEPT", "-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT"]
    if libvirt:
        lines += LIBVIRT_V4_RULES if family == 4 else LIBVIRT_V6_RULES
    if firewall["chain"]:
        if family == 6 and mgmt_prefix:
            lines.append(f"-A CLOUDSTACK-SERVICES -s {mgmt_prefix} -j RETURN")
        if firewall["reject_ports"]:
            ports = ",".join(str(p) for p in firewall["reject_ports"])
            answer = "icmp-port-unreachable" if family == 4 else "icmp6-port-unreachable"
            lines.append(f"-A CLOUDSTACK-SERVICES -p tcp -m multiport --dports {ports} -j REJECT --reject-with {answer}")
    # XenServer 8's dom0 is CentOS 7: iptables 1.4.21 (legacy), as on issue #7318's EL7 host
    version = "v1.4.21" if kind == "xs-host" else "v1.8.9 (nf_tables)"
    header = [f"# Generated by {'iptables' if family == 4 else 'ip6tables'}-save {version} on {SAVED_AT}",
              "*filter", ":INPUT ACCEPT [48213:31877251]", ":FORWARD ACCEPT [0:0]", ":OUTPUT ACCEPT [39018:6617302]"]
    # iptables-save prints the built-in chains first, then the user chains by name, each chain's rules in order
    order = {"INPUT": "0", "FORWARD": "1", "OUTPUT": "2"}
    lines.sort(key=lambda line: order.get(line.split()[1], "3" + line.split()[1]))
    packets = iter(counters(len(lines)))
    counted = [f"[{next(packets) if line.startswith('-A INPUT') else 0}:0] {line}" for line in lines]
    counted = [re.sub(r"^\[(\d+):0\]", lambda m: f"[{m[1]}:{int(m[1]) * 60}]", line) for line in counted]
    return "\n".join(header + [f":{c} - [0:0]" for c in sorted(chains)] + counted +
                     ["COMMIT", f"# Completed on {SAVED_AT}"]) + "\n"


def counters(count: int) -> list[int]:
    """Packet counts that fall down the chain, as on a host that has run for a while."""
    return [max(0, 4096 >> i) for i in range(count)]


RULE_COUNTERS = re.compile(r"^\[\d+:\d+\] ", re.MULTILINE)


def saved_rules_file(rules: str) -> str:
    """What netfilter-persistent (`iptables-save > /etc/iptables/rules.v4`) or `service iptables save`
    (`iptables-save > /etc/sysconfig/iptables`) leave: plain iptables-save, no rule counters."""
    return RULE_COUNTERS.sub("", rules)
