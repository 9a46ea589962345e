"""Hypervisor hosts: libvirtd's listening, identities, the agent's state ([CSC-WIKI] in docs/sources.md).
The CLOUDSTACK-SERVICES firewall is rules/firewall.py."""
from __future__ import annotations

import ipaddress

from stackaudit.errors import NotCheckable
from stackaudit.rules.libvirtd_options import turns_on_listen


# Libvirt's settings per transport ([CSC-WIKI] for tcp; [CS-DOCS-KVM] for tls).
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


def unauthenticated_listening(conf: dict | None, transport: str, listeners) -> list[str]:
    """The sockets (`address:port`) through which anyone may reach an unauthenticated libvirtd: none
    unless auth_tcp = "none" under the tcp transport and something listens on its tcp_port."""
    if not unauthenticated_tcp(conf, transport):
        return []
    return [f"[{l.address}]:{l.port}" if ":" in l.address else f"{l.address}:{l.port}"
            for l in tcp_listeners(listeners, conf)]


def tcp_listeners(listeners, conf: dict | None) -> list:
    """The sockets on libvirt's tcp_port that take connections from other machines (`ss -ltn`):
    whoever holds them, libvirtd run with --listen and listen_tcp = 1, or systemd for
    libvirtd-tcp.socket (socket activation, libvirt 5.6 and later, where listen_tcp is ignored).
    A socket on a loopback address only is not reachable from the network."""
    port = str((conf or {}).get("tcp_port", LIBVIRTD_DEFAULTS["tcp_port"])).strip('"')
    return [l for l in listeners if str(l.port) == port and not is_loopback_address(l.address)]


def is_loopback_address(address: str) -> bool:
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False       # "*": every address


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


def cloudstack_state_findings(state: str | None, resourcestate: str | None) -> list[str]:
    findings = []
    if state != "Up":
        findings.append(f"CloudStack reports the host {state or 'with no state'}, not Up")
    if resourcestate != "Enabled":
        findings.append(f"its resource state is {resourcestate or 'unknown'}, not Enabled")
    return findings
