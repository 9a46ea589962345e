"""Rule evaluation: facts and policy in, findings out (one sentence each; none means the rule holds).

Kept apart from the checks so a check only asserts, and apart from the parsers so parsing stays pure.
"""
from __future__ import annotations

from stackaudit.errors import NotCheckable
from stackaudit.parsers.dpkg import version_at_least

# The runtime libssl package of each Debian release (interfaces.md section 5).
LIBSSL_PACKAGE = {"7": "libssl1.0.0", "8": "libssl1.0.2", "9": "libssl1.1", "10": "libssl1.1",
                  "11": "libssl1.1", "12": "libssl3", "13": "libssl3t64"}
SERVICES_CHAIN = "CLOUDSTACK-SERVICES"


def libssl_findings(release, packages: dict, system_vm_policy) -> list[str]:
    floor = system_vm_policy.libssl_floors.get(release.major)
    if floor is None:
        raise NotCheckable(f"the policy has no libssl floor for Debian {release.major} "
                           f"(system_vms.libssl_floors); add the fixed version for that release")
    library = LIBSSL_PACKAGE.get(release.major)
    installed = {name: p for name, p in packages.items() if p.installed}
    if library not in installed:
        listed = ", ".join(sorted(installed)) or "none"
        raise NotCheckable(f"{library}, the libssl package of Debian {release.major}, is not installed "
                           f"(installed ssl packages: {listed})")
    findings = []
    for name in ("openssl", library):
        package = installed.get(name)
        if package and not version_at_least(package.version, floor):
            findings.append(f"{name} {package.version} is below the fixed version {floor} "
                            f"for Debian {release.major}")
    return findings


def firewall_findings(firewall, firewall_policy) -> list[str]:
    """HOST-IPTABLES-V4/V6: the running chain, the persisted copy, and loading at boot."""
    family = firewall.family
    findings = [f"running rules: {f}" for f in chain_findings(firewall.running, family, firewall_policy)]
    if firewall.persisted is None:
        findings.append(f"{firewall.persisted_path} does not exist: the rules are lost at the next boot")
    else:
        drift = chain_differences(firewall.running, firewall.persisted)
        if drift:
            findings.append(f"{firewall.persisted_path} differs from the running rules: {drift}")
    if not firewall.loaded_at_boot:
        findings.append(f"{firewall.boot_unit} is not enabled: the persisted rules are not loaded at boot")
    return findings


def chain_findings(ruleset, family: int, firewall_policy) -> list[str]:
    chain = ruleset.chain("filter", SERVICES_CHAIN)
    if chain is None:
        return [f"chain {SERVICES_CHAIN} does not exist"]
    findings = []
    if not ruleset.jumps("filter", "INPUT", SERVICES_CHAIN):
        findings.append(f"INPUT does not jump to {SERVICES_CHAIN}")
    allowed = allowed_exceptions(family, firewall_policy)
    rejected: set[int] = set()
    for rule in chain.rules:
        if rule.target == "REJECT" and rule.protocol == "tcp" and not rule.source and not rule.conditions:
            rejected |= expand_ports(rule.dports)
        elif rule.target in ("RETURN", "ACCEPT") and rule.source and not rejected:
            if rule.source not in allowed:
                findings.append(f"{rule.target} for {rule.source} before the REJECT is not an exception "
                                f"the policy allows ({', '.join(sorted(allowed)) or 'none'})")
    wanted = set(firewall_policy.reject_ports)
    if wanted - rejected:
        findings.append("tcp ports not rejected: " + ",".join(str(p) for p in sorted(wanted - rejected)))
    if family == 6 and firewall_policy.v6_management_prefix:
        prefix = firewall_policy.v6_management_prefix
        if not any(r.target == "RETURN" and r.source == prefix for r in chain.rules):
            findings.append(f"no RETURN for the management prefix {prefix} before the REJECT")
    return findings


def allowed_exceptions(family: int, firewall_policy) -> set[str]:
    if family == 4:
        return set(firewall_policy.v4_exceptions)
    return {firewall_policy.v6_management_prefix} if firewall_policy.v6_management_prefix else set()


def expand_ports(dports) -> set[int]:
    ports: set[int] = set()
    for entry in dports:
        if isinstance(entry, tuple):
            ports |= set(range(entry[0], entry[1] + 1))
        else:
            ports.add(int(entry))
    return ports


def chain_differences(running, persisted) -> str:
    """What differs between the running and persisted CLOUDSTACK-SERVICES chain and its INPUT jump."""
    def lines(ruleset) -> list[str]:
        chain = ruleset.chain("filter", SERVICES_CHAIN)
        jump = ["-A INPUT -j " + SERVICES_CHAIN] if ruleset.jumps("filter", "INPUT", SERVICES_CHAIN) else []
        return jump + ([f"-A {SERVICES_CHAIN} {r.text}" for r in chain.rules] if chain else [])
    want, have = lines(running), lines(persisted)
    if want == have:
        return ""
    missing = [line for line in want if line not in have]
    extra = [line for line in have if line not in want]
    parts = ([f"missing from the file: {' | '.join(missing)}"] if missing else []) + \
            ([f"only in the file: {' | '.join(extra)}"] if extra else [])
    return "; ".join(parts) or "same rules in another order"
