"""MS-TLS-LIBSSL-PATCHED: a TLS front end of the UI/API runs a fixed OpenSSL ([CS-HEARTBLEED]): its
packages are at the policy's floor, and the processes serving its TLS port do not still run a
library that was replaced on disk."""
from __future__ import annotations

from stackaudit.errors import NotCheckable
from stackaudit.rules.system_vms import libssl_findings, stale_mapping_findings

POLICY_KEY = "tls_frontends.libssl_floors"


def tls_port_pids(listeners, port: int) -> set[int]:
    """The processes holding a socket that listens on `port`, on any address. Nothing listening there,
    or a socket whose process ss does not show (the reader is not root), cannot be judged."""
    on_port = [owned for owned in listeners if owned.listener.port == port]
    if not on_port:
        raise NotCheckable(f"nothing listens on tcp port {port}, the front end's TLS port (tls_frontends[].port "
                           "in the inventory): the process serving TLS cannot be found")
    unseen = sorted({owned.listener.address for owned in on_port if not owned.owners})
    if unseen:
        raise NotCheckable(f"ss shows no process for the socket on {', '.join(unseen)} port {port}: read as root "
                           "(ssh.user) to see which process serves TLS")
    return {owner.pid for owned in on_port for owner in owned.owners}


def tls_frontend_findings(release, packages: dict, listeners, mappings, port: int, floors_policy) -> list[str]:
    """openssl and the release's libssl at or above the floor (as SVM-LIBSSL-PATCHED judges a system
    VM), and no process listening on the TLS port mapping a deleted libssl or libcrypto (as
    SVM-LIBSSL-NO-STALE, but only the TLS listener's: another process's stale copy serves no TLS here)."""
    pids = tls_port_pids(listeners, port)
    findings = libssl_findings(release, packages, floors_policy, POLICY_KEY)
    listening = [m for m in mappings if m.pid in pids]
    return findings + [f"{text} (it listens on tcp port {port})" for text in stale_mapping_findings(listening)]
