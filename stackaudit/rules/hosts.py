"""Hypervisor hosts and management servers: the CLOUDSTACK-SERVICES firewall (seed 004)."""
from __future__ import annotations

import difflib

from stackaudit.errors import NotCheckable
from stackaudit.rules.libvirtd_options import turns_on_listen

SERVICES_CHAIN = "CLOUDSTACK-SERVICES"


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
    if family == 6:
        prefix = firewall_policy.v6_management_prefix
        if prefix is None:
            raise NotCheckable("the policy names no IPv6 management prefix (firewall.v6_management_prefix); "
                               "set the /64 whose traffic is RETURNed before the REJECT")
        position = next((i for i, r in enumerate(chain.rules) if r.target == "REJECT"), len(chain.rules))
        if not any(r.target == "RETURN" and r.source == prefix for r in chain.rules[:position]):
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


def chain_lines(ruleset) -> list[str]:
    """The INPUT jump and the CLOUDSTACK-SERVICES rules of a ruleset, in iptables-save form."""
    chain = ruleset.chain("filter", SERVICES_CHAIN)
    jump = ["-A INPUT -j " + SERVICES_CHAIN] if ruleset.jumps("filter", "INPUT", SERVICES_CHAIN) else []
    return jump + ([f"-A {SERVICES_CHAIN} {r.text}" for r in chain.rules] if chain else [])


def wanted_chain_lines(family: int, firewall_policy) -> list[str]:
    """Seed 004's rules, with the policy's ports and exceptions (the verdict is chain_findings';
    these lines are the auditor's picture of what is wanted)."""
    lines = ["-A INPUT -j " + SERVICES_CHAIN]
    exceptions = firewall_policy.v4_exceptions if family == 4 else (
        [firewall_policy.v6_management_prefix] if firewall_policy.v6_management_prefix else [])
    lines += [f"-A {SERVICES_CHAIN} -s {source} -j RETURN" for source in exceptions]
    ports = ",".join(str(p) for p in firewall_policy.reject_ports)
    # iptables-save writes a plain REJECT with its default answer; so is it written here.
    answer = "icmp-port-unreachable" if family == 4 else "icmp6-port-unreachable"
    return lines + [f"-A {SERVICES_CHAIN} -p tcp -m multiport --dports {ports} -j REJECT --reject-with {answer}"]


def firewall_evidence(firewall, firewall_policy) -> str:
    """For the auditor: the rules wanted, running and persisted, and the differences between them."""
    wanted, running = wanted_chain_lines(firewall.family, firewall_policy), chain_lines(firewall.running)
    persisted = None if firewall.persisted is None else chain_lines(firewall.persisted)
    parts = [f"wanted (policy, seed 004):\n  " + "\n  ".join(wanted),
             "running:\n  " + ("\n  ".join(running) or "(no chain, no jump)"),
             f"persisted ({firewall.persisted_path}):\n  " + (
                 "(file absent)" if persisted is None else "\n  ".join(persisted) or "(no chain, no jump)"),
             f"loaded at boot ({firewall.boot_unit} enabled): {'yes' if firewall.loaded_at_boot else 'no'}",
             "wanted -> running:\n" + "\n".join(difflib.unified_diff(wanted, running, "wanted", "running", lineterm="")),
             "running -> persisted:\n" + "\n".join(difflib.unified_diff(running, persisted or [], "running",
                                                                         "persisted", lineterm=""))]
    return "\n\n".join(parts) + "\n"


def chain_differences(running, persisted) -> str:
    """What differs between the running and persisted CLOUDSTACK-SERVICES chain and its INPUT jump."""
    want, have = chain_lines(running), chain_lines(persisted)
    if want == have:
        return ""
    missing = [line for line in want if line not in have]
    extra = [line for line in have if line not in want]
    parts = ([f"missing from the file: {' | '.join(missing)}"] if missing else []) + \
            ([f"only in the file: {' | '.join(extra)}"] if extra else [])
    return "; ".join(parts) or "same rules in another order"


def rejects_port(ruleset, family: int, port: int) -> bool:
    """Whether the running CLOUDSTACK-SERVICES chain, reached from INPUT, rejects tcp `port`."""
    chain = ruleset.chain("filter", SERVICES_CHAIN)
    if chain is None or not ruleset.jumps("filter", "INPUT", SERVICES_CHAIN):
        return False
    return any(r.target == "REJECT" and r.protocol == "tcp" and not r.source and not r.conditions
               and port in expand_ports(r.dports) for r in chain.rules)


# Libvirt's settings per transport (seed 004 for tcp; current CloudStack docs for tls).
LIBVIRTD_WANTED = {
    "tcp": {"listen_tls": 0, "listen_tcp": 1, "tcp_port": "16509", "mdns_adv": 0},
    "tls": {"listen_tls": 1, "listen_tcp": 0, "tls_port": "16514", "mdns_adv": 0},
}
# libvirtd's own defaults where a key is absent (libvirtd.conf comments).
LIBVIRTD_DEFAULTS = {"listen_tls": 1, "listen_tcp": 0, "tcp_port": "16509", "tls_port": "16514", "mdns_adv": 0,
                     "auth_tcp": "sasl"}
MASKED_SOCKETS = ("libvirtd.socket", "libvirtd-ro.socket", "libvirtd-admin.socket")


def libvirtd_findings(conf: dict | None, defaults: tuple[str, dict] | None, process_args: list[str] | None,
                      units: dict, transport: str) -> list[str]:
    """KVM-LIBVIRTD-LISTEN without the auth part: listening as the transport needs."""
    if conf is None:
        return ["/etc/libvirt/libvirtd.conf does not exist"]
    findings = []
    for key, wanted in LIBVIRTD_WANTED[transport].items():
        have = conf.get(key, LIBVIRTD_DEFAULTS[key])
        if str(have) != str(wanted):
            shown = "absent (default {})".format(LIBVIRTD_DEFAULTS[key]) if key not in conf else repr(have)
            findings.append(f"{key} is {shown}; {transport} wants {wanted!r}")
    configured = defaults_listen(defaults)
    if configured is False:
        findings.append(f"{defaults[0]} does not pass --listen to libvirtd")
    if process_args is None:
        findings.append("libvirtd is not running")
    elif not turns_on_listen(process_args[1:]):
        findings.append(f"libvirtd runs without --listen: {' '.join(process_args)}")
    unmasked = [u for u in MASKED_SOCKETS if u in units and units[u].installed and not units[u].masked]
    if unmasked:
        findings.append("socket units not masked: " + ", ".join(unmasked))
    return findings


def defaults_listen(defaults: tuple[str, dict] | None) -> bool | None:
    """Whether the defaults file passes --listen (None when there is no such file)."""
    if defaults is None:
        return None
    _, values = defaults
    args = " ".join(values.get(k, "") for k in ("LIBVIRTD_ARGS", "libvirtd_opts", "LIBVIRTD_OPTS")).split()
    return turns_on_listen(args)


def unauthenticated_tcp(conf: dict | None, transport: str) -> bool:
    return transport == "tcp" and conf is not None and str(conf.get("auth_tcp", LIBVIRTD_DEFAULTS["auth_tcp"])) == "none"


def libvirtd_process_args(processes) -> list[str] | None:
    """The running libvirtd's command line, from its program word on (a wrapper such as nice,
    numactl or an interpreter may stand before it)."""
    for process in processes:
        words = process.args.split()
        for i, word in enumerate(words):
            if word.rsplit("/", 1)[-1] == "libvirtd":
                return words[i:]
    return None


def duplicate_identities(identities: dict[str, dict[str, str | None]]) -> list[str]:
    """HOST-UUID-UNIQUE: identities is {target id: {identity name: value}}; a value held twice is a finding."""
    holders: dict[tuple[str, str], list[str]] = {}
    for target_id, values in sorted(identities.items()):
        for name, value in values.items():
            if value:
                holders.setdefault((name, value.lower()), []).append(target_id)
    return [f"{name} {value} is held by {', '.join(ids)}" for (name, value), ids in sorted(holders.items())
            if len(ids) > 1]


def kvm_identity_of(agent_properties: dict[str, str] | None) -> str | None:
    """The agent's guid as CloudStack registers it (`<guid>-LibvirtComputingResource` is the same host)."""
    if not agent_properties:
        return None
    guid = agent_properties.get("guid")
    return guid.split("-LibvirtComputingResource")[0] if guid else None


def management_host_findings(agent_host: str | None, setting: str | None) -> list[str]:
    """KVM-AGENT-MGMT-HOSTS: agent.properties host= against CloudStack's `host` setting, as sets."""
    if setting is None:
        raise NotCheckable("the CloudStack API lists no global setting `host`")
    wanted = [h.strip() for h in setting.split(",") if h.strip()]
    have = [h.strip() for h in (agent_host or "").split(",") if h.strip()]
    if set(have) == set(wanted):
        return []
    return [f"agent.properties host={','.join(have) or '(absent)'}; CloudStack's host setting is {','.join(wanted)}"]


def cloudstack_state_findings(state: str | None, resourcestate: str | None) -> list[str]:
    findings = []
    if state != "Up":
        findings.append(f"CloudStack reports the host {state or 'with no state'}, not Up")
    if resourcestate != "Enabled":
        findings.append(f"its resource state is {resourcestate or 'unknown'}, not Enabled")
    return findings
