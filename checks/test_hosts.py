"""Hypervisor hosts (and, for the firewall rules, management servers): facts over SSH (seed 004)."""
from stackaudit import rules
from stackaudit.catalog import check


@check("HOST-IPTABLES-V4")
def test_iptables_v4(firewalled_host, policy):
    """Chain CLOUDSTACK-SERVICES exists, INPUT jumps to it, it REJECTs the policy's tcp ports; the
    persisted rules hold the same chain and are loaded at boot."""
    findings = rules.firewall_findings(firewalled_host.facts.firewall(4), policy.firewall)
    assert not findings, "; ".join(findings)
