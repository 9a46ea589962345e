"""The lab's KVM hosts (kind kvm-host): agent.properties, libvirtd and its sockets, the firewall."""
from __future__ import annotations

import shlex
from pathlib import Path

from lab import files
from lab.machine import MachineSpec, Service
from lab.parts.common import (SYSTEMD, Keys, backup_files, common_files, db_id, firewall_parts,
                               host_network)
from lab.parts.units import unit_files
from lab.topology import Node, Topology, kvm_guid
from stackaudit.parsers.bridges import valid_interface_name

OVS_VSCTL = "/usr/bin/ovs-vsctl"
# Debian 12's builds of what KVM-PACKAGES asks for (packages.debian.org, bookworm); cloudstack-agent
# is the host's agent version.
KVM_PACKAGES = {"qemu-system-x86": "1:7.2+dfsg-7+deb12u6", "qemu-block-extra": "1:7.2+dfsg-7+deb12u6",
                "libvirt-daemon-driver-storage-rbd": "9.0.0-4"}
# KVM-CGROUP2-CPU-WEIGHT: what the host mounts at /sys/fs/cgroup, in its own mount namespace. cgroup2: the
# unified hierarchy Debian 11 and later boot with (the default here, as the packages are Debian 12's);
# tmpfs: the mount point of the cgroup v1 and hybrid layouts (its v1 hierarchies are not mounted under
# it: only its type is read); ramfs: no cgroup layout at all.
CGROUP_MOUNTS = {"cgroup2": ("cgroup2", "/sys/fs/cgroup", "rw,nosuid,nodev,noexec,relatime"),
                 "tmpfs": ("tmpfs", "/sys/fs/cgroup", "ro,nosuid,nodev,noexec,mode=755,size=64k"),
                 "ramfs": ("ramfs", "/sys/fs/cgroup", "mode=755")}
LIBVIRT_SOCKETS = ("libvirtd", "libvirtd-ro", "libvirtd-admin", "libvirtd-tls", "libvirtd-tcp")
# libvirtd's stand-in: holds the daemon's command line and, run with --listen (or -l) where
# /etc/libvirt/libvirtd.conf says listen_tcp = 1, listens on its tcp_port (16509 by default) on every
# address of the host's namespace, as libvirtd does; it accepts no connection. KVM-LIBVIRTD-LISTEN
# reads the listening socket with `ss -ltn`.
LIBVIRTD_STANDIN = """#!/usr/bin/python3
import re, socket, sys, time
conf = open("/etc/libvirt/libvirtd.conf").read()
value = lambda key, default: (re.findall(r'^\\s*' + key + r'\\s*=\\s*"?([^"\\s#]*)', conf, re.M) or [default])[-1]
held = []
if {"--listen", "-l"} & set(sys.argv[1:]) and value("listen_tcp", "0") == "1":
    try:
        server = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
        server.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        server.bind(("::", int(value("tcp_port", "16509"))))
    except OSError:
        server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        server.bind(("0.0.0.0", int(value("tcp_port", "16509"))))
    server.listen(1)
    held.append(server)
while True:
    time.sleep(3600)
"""


# Debian 12's /etc/sudoers (its Defaults and rules), then [CSC-WIKI]'s two lines for the user CloudStack
# adds hosts with (KVM-CS-USER).
DEBIAN_SUDOERS = ("Defaults\tenv_reset\nDefaults\tmail_badpass\n"
                  'Defaults\tsecure_path="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"\n'
                  "Defaults\tuse_pty\nroot\tALL=(ALL:ALL) ALL\n%sudo\tALL=(ALL:ALL) ALL\n")
COMPLIANT_SUDOERS = DEBIAN_SUDOERS + "cloudstack ALL=(ALL) NOPASSWD:ALL\nDefaults:cloudstack !requiretty\n"
LOCAL_UID = 1600


def user_files(facts: dict, base_etc: Path) -> dict[str, str]:
    """/etc/passwd and /etc/group with the host's own users added, and its /etc/sudoers."""
    passwd, group = (base_etc / "passwd").read_text(), (base_etc / "group").read_text()
    for number, user in enumerate(facts["local_users"]):
        passwd = files.passwd_with_user(passwd, user, LOCAL_UID + number, f"/home/{user}")
        group = files.group_with_group(group, user, LOCAL_UID + number)
    sudoers = COMPLIANT_SUDOERS if facts["sudoers"] is None else facts["sudoers"]
    return {"/etc/passwd": passwd, "/etc/group": group, "/etc/sudoers": sudoers}


def libvirt_socket_units() -> dict[str, str]:
    """The vendor socket units libvirt installs, so that masking them is something to check."""
    return {f"/usr/lib/systemd/system/{name}.socket":
            f"[Unit]\nDescription=libvirt {name} socket\n\n[Socket]\nListenStream=/run/libvirt/{name}-sock\n"
            "\n[Install]\nWantedBy=sockets.target\n" for name in LIBVIRT_SOCKETS}


def host_packages(topo: Topology, facts: dict) -> dict[str, str]:
    """The host's installed packages: the defaults, then the scenario's (a null version removes one)."""
    packages = {**KVM_PACKAGES, "cloudstack-agent": topo.version(facts["version"]), **facts["packages"]}
    return {name: version for name, version in packages.items() if version is not None}


def kvm_host_spec(topo: Topology, node: Node, keys: Keys, base_etc: Path = Path("/etc")) -> MachineSpec:
    facts = node.facts
    content, modes = common_files(node, keys)
    fw_files, links, v4, v6 = firewall_parts(node, rhel=False)
    # agent.properties as a 4.19 agent leaves it after cloudstack-setup-agent, keystore-setup and its
    # first connection, in the key order of a real file (apache/cloudstack issue 5240): the packaged
    # keys (agent/conf/agent.properties), zone/pod/cluster as database ids, the host's own id
    # (LibvirtComputingResource.id) and host= with the algorithm (Agent.processManagementServerList).
    agent = {
        "cluster": str(db_id(topo, "cluster", node.cluster["name"])), "pod": str(db_id(topo, "pod", node.pod["name"])),
        "resource": "com.cloud.hypervisor.kvm.resource.LibvirtComputingResource",
        "private.network.device": "cloudbr0", "domr.scripts.dir": "scripts/network/domr/kvm",
        "router.aggregation.command.each.timeout": "600", "guest.network.device": "cloudbr0",
        "hypervisor.type": "kvm", "public.network.device": "cloudbr0", "port": "8250",
        "keystore.passphrase": "lab-keystore-passphrase",
        "zone": str(db_id(topo, "zone", node.zone["name"])), "local.storage.uuid": node.id,
        "host": ",".join(m.address for m in topo.management) + "@static",
        "guid": facts["guid"] or kvm_guid(node.address),
        "LibvirtComputingResource.id": str(topo.hosts.index(node) + 1), "workers": "5",
        "iscsi.session.cleanup.enabled": "false",
        **facts["agent_properties"]}
    libvirtd = {"listen_tls": "0", "listen_tcp": "1", "tcp_port": '"16509"', "auth_tcp": '"none"',
                "mdns_adv": "0", **facts["libvirtd_conf"]}
    content.update({
        "/etc/os-release": files.os_release_debian("12"),
        "/etc/cloudstack/agent/agent.properties": files.agent_properties(agent),
        "/etc/libvirt/libvirtd.conf": files.libvirtd_conf(libvirtd),
        "/etc/default/libvirtd": files.default_libvirtd(facts["libvirtd_args"]),
        "/root/.ssh/id_rsa.cloud": keys.cloud_private,
        "/usr/sbin/libvirtd": LIBVIRTD_STANDIN,
        "/var/lib/dpkg/status": files.dpkg_status(host_packages(topo, facts)),
        **ovs_vsctl_standin(node), **user_files(facts, base_etc), **fw_files, **facts["files"]})
    modes.update({"/root/.ssh/id_rsa.cloud": 0o600, "/usr/sbin/libvirtd": 0o755, OVS_VSCTL: 0o755, "/etc/sudoers": 0o440})
    links.update({f"{SYSTEMD}/{s}": "/dev/null" for s in facts["masked_sockets"]})
    content.update(libvirt_socket_units())
    units, unit_modes = unit_files("cloudstack-agent", facts)
    content.update(units)
    modes.update(unit_modes)
    backups, mtimes = backup_files(("etc-cloudstack", "var-lib-cloudstack"), ".tar.gz", facts["backup_age_hours"])
    content.update(backups)
    return MachineSpec(
        name=node.name, kind=node.kind, netns=node.netns, ssh_address=node.address, address6=node.address6,
        views=("/etc", "/root", "/run", "/usr/bin", "/usr/sbin", "/usr/lib/systemd/system", "/var/backups",
               "/var/lib/dpkg"),
        files=content, modes=modes, symlinks=links, mtimes=mtimes, opaque_dirs=("/var/lib/dpkg/updates",),
        services=[Service("libvirtd", ["/usr/sbin/libvirtd", *facts["libvirtd_args"].split()])],
        iptables_v4=v4, iptables_v6=v6, iptables_legacy_v4=facts["firewall"]["v4_legacy"],
        network_setup=host_network(node) + bridge_setup(node)
        + [f"link set {name} mtu {mtu}" for name, mtu in node.facts["bridge_mtus"].items()],
        mounts=(CGROUP_MOUNTS[facts["cgroup_fs"]],),
        bound_files={"/proc/cpuinfo": files.proc_cpuinfo(facts["cpu_vendor"], facts["cpu_model"])})


def bridge_setup(node: Node) -> list[str]:
    """The host's own bridges (KVM-BRIDGES), plain devices and Open vSwitch bridges' internal devices,
    created and set up or down as the scenario says. A plain device is a veth (the lab's kernel may
    lack the dummy driver) whose peer is left down."""
    facts = node.facts
    commands = []
    plain = {**facts["devices"], **facts["ovs_bridges"]}
    for name, state in {**facts["bridges"], **plain}.items():
        if not valid_interface_name(name):
            raise ValueError(f"{node.name}: device name {name!r} is not a Linux interface name")
    for name, state in facts["bridges"].items():
        commands += [f"link add {shlex.quote(name)} type bridge", f"link set {shlex.quote(name)} {state}"]
    for number, (name, state) in enumerate(plain.items()):
        commands += [f"link add {shlex.quote(name)} type veth peer name lab-peer{number}",
                     f"link set {shlex.quote(name)} {state}"]
    return commands


def ovs_vsctl_standin(node: Node) -> dict[str, str]:
    """An ovs-vsctl on a host with Open vSwitch bridges: `list-br` prints them sorted, one a line, as
    Open vSwitch 3.1 does (tests/data/recorded/ovs-vsctl-list-br-debian12.txt); global options such
    as --timeout are accepted. A host without them has no ovs-vsctl, as one without Open vSwitch."""
    bridges = sorted(node.facts["ovs_bridges"])
    if not bridges:
        return {}
    listing = " ".join(shlex.quote(name) for name in bridges)
    return {OVS_VSCTL: f"""#!/bin/sh
for arg; do
  case $arg in
    --*) ;;
    list-br) printf '%s\\n' {listing}; exit 0 ;;
    *) echo "ovs-vsctl: unknown command '$arg'; the lab's ovs-vsctl answers only list-br" >&2; exit 1 ;;
  esac
done
echo "ovs-vsctl: missing command name (use --help for help)" >&2
exit 1
"""}
