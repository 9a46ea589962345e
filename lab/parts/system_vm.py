"""The lab's system VMs. One spec serves all three kinds the suite names (ssvm, cpvm, router):
they run the same template, so the machine kind is `systemvm` and the module is system_vm.py."""
from __future__ import annotations

from lab import files
from lab.machine import MachineSpec, Service
from lab.parts.common import Keys, common_files
from lab.parts.ssvm_boot import ssvm_boot_parts
from lab.topology import Node, Topology


def template_debian(version: str) -> str:
    """The Debian release of the system VM template of a CloudStack version (its release notes, [CS-DOCS-SYSTEMVM]; the template build in [CS-CODE])."""
    major_minor = tuple(int(p) for p in version.split("-")[0].split(".")[:2])
    if major_minor < (4, 15):
        return "7"
    if major_minor < (4, 16):
        return "10"
    return "11" if major_minor < (4, 20) else "12"


def libssl_names(release: str) -> tuple[str, str]:
    """(libssl file, libcrypto file) of a Debian release, as in /usr/lib/<arch>/."""
    # The library openssl itself links (Debian 9: libssl1.1; 13's libssl3t64 keeps the .so.3 names).
    suffix = {"7": "1.0.0", "8": "1.0.0", "9": "1.1", "10": "1.1", "11": "1.1", "12": "3", "13": "3"}[release]
    return f"libssl.so.{suffix}", f"libcrypto.so.{suffix}"


def stale_library_script(library_file: str, replaced: bool = True, listen: tuple[str, int] | None = None) -> str:
    """A process that maps a library and then sees it replaced on disk, as after an unrestarted upgrade.

    It installs a copy of the machine's real libcrypto under the system VM's library name, maps
    it, then replaces the file by rename as dpkg does, so /proc/PID/maps lists it '(deleted)'
    (`replaced` False: the copy it maps stays in place). With `listen` (address, port) it holds a
    listening TCP socket there, as a TLS front end does; it accepts nothing.
    """
    socket = "" if listen is None else (
        "import socket\n"
        f"server = socket.socket(socket.AF_INET6 if ':' in {listen[0]!r} else socket.AF_INET)\n"
        f"server.bind(({listen[0]!r}, {listen[1]}))\nserver.listen()\n")
    return f'''#!/usr/bin/python3
import ctypes, os, time
lib = "/usr/lib/x86_64-linux-gnu/{library_file}"
with open("/usr/lib/x86_64-linux-gnu/libcrypto.so.3", "rb") as real:
    data = real.read()

def install(path):
    with open(path + ".dpkg-new", "wb") as out:
        out.write(data)
    os.rename(path + ".dpkg-new", path)

install(lib)
handle = ctypes.CDLL(lib)
{socket}if {replaced}:
    install(lib)
# Daemonize like `apache2 -k start`: the caller goes on only once the library is replaced, so no
# process started after this one maps the old copy.
if os.fork() == 0:
    os.setsid()
    while True:
        time.sleep(3600)
'''


def release_packages(release: str, overrides: dict[str, str | None]) -> dict[str, str]:
    """A Debian release's base-files and patched ssl packages, with the scenario's versions over them
    (None: not installed)."""
    packages = {**files.LIBSSL_PACKAGES[release], "base-files": files.DEBIAN_RELEASES[release][0]}
    for name, version in overrides.items():
        if version is None:
            packages.pop(name, None)
        else:
            packages[name] = version
    return packages


def system_vm_spec(topo: Topology, node: Node, keys: Keys) -> MachineSpec:
    facts = node.facts
    release = facts["debian"] or template_debian(topo.scenario["cloudstack_version"])
    packages = release_packages(release, facts["packages"])
    content, modes = common_files(node, keys)
    boot_files, storage_nic = ssvm_boot_parts(topo, node)
    content.update({
        "/etc/debian_version": files.DEBIAN_RELEASES[release][0] + "\n",
        "/etc/os-release": files.os_release_debian(release),
        "/etc/cloudstack-release": files.cloudstack_release(
            facts["cloudstack_release"] or topo.version(facts["agent_version"])),
        "/var/lib/dpkg/status": files.dpkg_status(packages),
        **boot_files,
        **facts["files"]})
    services = []
    stale = facts["stale_library"]
    if stale:
        ssl_file, crypto_file = libssl_names(release)
        script = f"/usr/sbin/{stale['process']}"
        content[script] = stale_library_script(crypto_file if stale["library"] == "libcrypto" else ssl_file)
        modes[script] = 0o755
        services.append(Service(stale["process"], [script, "-k", "start"], daemonizes=True))
    return MachineSpec(
        name=node.name, kind=node.kind, netns=node.netns, ssh_address=node.address, ssh_port=3922,
        views=("/etc", "/root", "/run", "/var/lib/dpkg", "/var/cache", "/usr/sbin", "/usr/lib/x86_64-linux-gnu"),
        files=content, modes=modes, opaque_dirs=("/var/lib/dpkg/updates",), services=services,
        network_setup=[f"addr add {node.address}/16 dev eth0", "link set eth0 up", *storage_nic])
