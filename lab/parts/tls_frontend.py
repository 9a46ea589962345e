"""The lab's TLS front ends of the UI/API (kind tls-frontend, MS-TLS-LIBSSL-PATCHED): a Debian
machine with sshd, its ssl packages in dpkg's status file, and a process listening on its TLS port
that maps the release's libssl, replaced on disk after it started where the scenario says so."""
from __future__ import annotations

from lab import files
from lab.machine import MachineSpec, Service
from lab.parts.common import Keys, common_files
from lab.parts.system_vm import libssl_names, release_packages, stale_library_script
from lab.topology import Node, Topology


def library_file(release: str, library: str) -> str:
    ssl_file, crypto_file = libssl_names(release)
    return crypto_file if library == "libcrypto" else ssl_file


def tls_frontend_spec(topo: Topology, node: Node, keys: Keys) -> MachineSpec:
    facts = node.facts
    release = facts["debian"]
    packages = release_packages(release, facts["packages"])
    content, modes = common_files(node, keys)
    content.update({"/etc/debian_version": files.DEBIAN_RELEASES[release][0] + "\n",
                    "/etc/os-release": files.os_release_debian(release),
                    "/var/lib/dpkg/status": files.dpkg_status(packages)})
    services = []
    # The process outside TLS starts first: where both map one file, the listener's install replaces
    # it after, so the listener keeps the copy it mapped (replaced only with its own `stale`).
    for process in (facts["stale_elsewhere"], facts["listener"]):
        if process is None:
            continue
        listens = process is facts["listener"]
        script = f"/usr/sbin/{process['process']}"
        content[script] = stale_library_script(library_file(release, process["library"]),
                                               replaced=process.get("stale", True),
                                               listen=(node.address, facts["port"]) if listens else None)
        modes[script] = 0o755
        services.append(Service(process["process"], [script], daemonizes=True))
    return MachineSpec(
        name=node.name, kind=node.kind, netns=node.netns, ssh_address=node.address, address6=node.address6,
        views=("/etc", "/root", "/run", "/var/lib/dpkg", "/usr/sbin", "/usr/lib/x86_64-linux-gnu"),
        files=content, modes=modes, opaque_dirs=("/var/lib/dpkg/updates",), services=services,
        network_setup=[f"addr add {node.address}/15 dev eth0", f"addr add {node.address6}/64 dev eth0 nodad",
                       "link set eth0 up"])
