"""Turns the topology into machine specs: each machine's files, firewall, services and network."""
from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from lab import files
from lab.machine import MachineSpec, Service
from lab.topology import LINK_LOCAL_HOST, MGMT_V6_PREFIX, Node, Topology, kvm_guid, stable_id

CLOUD_UID = 1500
STANDIN = "#!/bin/sh\n# lab stand-in: a long-running process holding the daemon's real command line\nwhile :; do sleep 3600; done\n"
SYSTEMD = "/etc/systemd/system"


@dataclass
class Keys:
    suite_public: str        # authorized on hosts, management and database servers
    cloud_private: str       # /root/.ssh/id_rsa.cloud on every hypervisor host
    cloud_public: str        # authorized on every system VM
    host_keys: dict[str, tuple[str, str]]   # machine name -> (private, public)


def template_debian(version: str) -> str:
    """The Debian release of the system VM template of a CloudStack version (interfaces.md §5)."""
    major_minor = tuple(int(p) for p in version.split("-")[0].split(".")[:2])
    if major_minor < (4, 15):
        return "7"
    if major_minor < (4, 16):
        return "10"
    return "11" if major_minor < (4, 20) else "12"


BACKUP_DIR = "/var/backups/cloudstack"
LIBVIRT_SOCKETS = ("libvirtd", "libvirtd-ro", "libvirtd-admin", "libvirtd-tls", "libvirtd-tcp")


def libvirt_socket_units() -> dict[str, str]:
    """The vendor socket units libvirt installs, so that masking them is something to check."""
    return {f"/usr/lib/systemd/system/{name}.socket":
            f"[Unit]\nDescription=libvirt {name} socket\n\n[Socket]\nListenStream=/run/libvirt/{name}-sock\n"
            "\n[Install]\nWantedBy=sockets.target\n" for name in LIBVIRT_SOCKETS}


def backup_files(stems: tuple[str, ...], suffix: str, age_hours: int | None) -> tuple[dict, dict]:
    """Backup files of the given age under /var/backups/cloudstack (none when age_hours is null)."""
    if age_hours is None:
        return {}, {}
    made = time.time() - age_hours * 3600
    stamp = time.strftime("%Y%m%d-%H%M", time.gmtime(made))
    paths = [f"{BACKUP_DIR}/{stem}-{stamp}{suffix}" for stem in stems]
    return ({p: f"lab backup {p}\n" for p in paths}, {p: made for p in paths})


def db_id(topo: Topology, kind: str, name: str) -> int:
    """The database id CloudStack gives a zone, pod or cluster: 1, 2, ... in the scenario's order."""
    zones = topo.scenario["zones"]
    names = {"zone": [z["name"] for z in zones],
             "pod": [p["name"] for z in zones for p in z["pods"]],
             "cluster": [c["name"] for z in zones for p in z["pods"] for c in p["clusters"]]}[kind]
    return names.index(name) + 1


def veth_name(node: Node) -> str:
    return f"sa{node.index}"


def link_local_veth(svm: Node) -> str:
    return f"sl{svm.index}"


def common_files(node: Node, keys: Keys) -> tuple[dict, dict]:
    private, public = keys.host_keys[node.name]
    authorized = keys.cloud_public if node.kind == "systemvm" else keys.suite_public
    port = 3922 if node.kind == "systemvm" else 22
    content = {
        "/etc/ssh/sshd_config": files.sshd_config(node.address, port, node.address6),
        "/etc/ssh/ssh_host_ed25519_key": private,
        "/etc/ssh/ssh_host_ed25519_key.pub": public + "\n",
        "/root/.ssh/authorized_keys": authorized + "\n",
        "/etc/hostname": node.name + "\n",
    }
    modes = {"/etc/ssh/ssh_host_ed25519_key": 0o600, "/root/.ssh/authorized_keys": 0o600}
    return content, modes


def firewall_parts(node: Node, rhel: bool) -> tuple[dict, dict, str, str]:
    """(files, symlinks, running v4, running v6) for a host or management server's firewall."""
    fw = node.facts["firewall"]
    prefix = str(MGMT_V6_PREFIX) if fw["v6_return_prefix"] == "lab" else fw["v6_return_prefix"]
    running = {4: fw["v4_running"] or files.iptables_rules(4, fw, None, node.kind),
               6: fw["v6_running"] or files.iptables_rules(6, fw, prefix, node.kind)}
    paths = ({4: "/etc/sysconfig/iptables", 6: "/etc/sysconfig/ip6tables"} if rhel
             else {4: "/etc/iptables/rules.v4", 6: "/etc/iptables/rules.v6"})
    content = {}
    for family, path in paths.items():
        persisted = fw["persisted"][f"v{family}"]
        if persisted == "same":
            content[path] = files.saved_rules_file(family, running[family])
        elif persisted != "absent":
            content[path] = persisted
    units = ["iptables.service", "ip6tables.service"] if rhel else ["netfilter-persistent.service"]
    links = {}
    if fw["persistent_enabled"]:
        links = {f"{SYSTEMD}/multi-user.target.wants/{u}": f"/lib/systemd/system/{u}" for u in units}
    return content, links, running[4], running[6]


def host_network(node: Node) -> list[str]:
    commands = [f"addr add {node.address}/15 dev eth0", f"addr add {node.address6}/64 dev eth0 nodad",
                "link set eth0 up", "link add cloud0 type bridge",
                f"addr add {LINK_LOCAL_HOST} dev cloud0", "link set cloud0 up"]
    for svm in node.system_vms:
        commands += [f"link set {link_local_veth(svm)} master cloud0", f"link set {link_local_veth(svm)} up"]
    return commands


def kvm_host_spec(topo: Topology, node: Node, keys: Keys) -> MachineSpec:
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
        "/usr/sbin/libvirtd": STANDIN,
        **fw_files, **facts["files"]})
    modes.update({"/root/.ssh/id_rsa.cloud": 0o600, "/usr/sbin/libvirtd": 0o755})
    links.update({f"{SYSTEMD}/{s}": "/dev/null" for s in facts["masked_sockets"]})
    content.update(libvirt_socket_units())
    backups, mtimes = backup_files(("etc-cloudstack", "var-lib-cloudstack"), ".tar.gz", facts["backup_age_hours"])
    content.update(backups)
    return MachineSpec(
        name=node.name, kind=node.kind, netns=node.netns, ssh_address=node.address, address6=node.address6,
        views=("/etc", "/root", "/run", "/usr/sbin", "/usr/lib/systemd/system", "/var/backups"), files=content,
        modes=modes, symlinks=links, mtimes=mtimes,
        services=[Service("libvirtd", ["/usr/sbin/libvirtd", *facts["libvirtd_args"].split()])],
        iptables_v4=v4, iptables_v6=v6, network_setup=host_network(node))


def xenserver_host_spec(topo: Topology, node: Node, keys: Keys) -> MachineSpec:
    facts = node.facts
    content, modes = common_files(node, keys)
    fw_files, links, v4, v6 = firewall_parts(node, rhel=True)
    inventory = {
        "PRODUCT_BRAND": "XenServer", "PRODUCT_NAME": "xenenterprise", "PRODUCT_VERSION": "8.2.1",
        "PLATFORM_NAME": "XCP", "PLATFORM_VERSION": "3.2.1", "BUILD_NUMBER": "release/yangtze/master/58",
        "INSTALLATION_UUID": host_uuid(node), "CONTROL_DOMAIN_UUID": control_domain_uuid(node),
        "MANAGEMENT_INTERFACE": "xenbr0", "MANAGEMENT_ADDRESS_TYPE": "IPv4",
        "CURRENT_INTERFACES": "xenbr0", "DOM0_MEM": "4096", "DOM0_VCPUS": "8",
        "INSTALLATION_DATE": "2025-03-02 10:11:12.000000"}
    content.update({
        "/etc/os-release": files.os_release_xenserver(),
        "/etc/redhat-release": "XenServer release 8.2.1 (xenenterprise)\n",
        "/etc/xensource-inventory": files.xensource_inventory(inventory),
        "/root/.ssh/id_rsa.cloud": keys.cloud_private,
        **fw_files, **facts["files"]})
    modes["/root/.ssh/id_rsa.cloud"] = 0o600
    return MachineSpec(
        name=node.name, kind=node.kind, netns=node.netns, ssh_address=node.address, address6=node.address6,
        views=("/etc", "/root", "/run"), files=content, modes=modes, symlinks=links,
        iptables_v4=v4, iptables_v6=v6, network_setup=host_network(node))


def host_uuid(node: Node) -> str:
    return node.facts.get("installation_uuid") or node.id


def control_domain_uuid(node: Node) -> str:
    return node.facts.get("control_domain_uuid") or stable_id("control-domain", node.name)


def libssl_names(release: str) -> tuple[str, str]:
    """(libssl file, libcrypto file) of a Debian release, as in /usr/lib/<arch>/."""
    # The library openssl itself links (Debian 9: libssl1.1; 13's libssl3t64 keeps the .so.3 names).
    suffix = {"7": "1.0.0", "8": "1.0.0", "9": "1.1", "10": "1.1", "11": "1.1", "12": "3", "13": "3"}[release]
    return f"libssl.so.{suffix}", f"libcrypto.so.{suffix}"


def stale_library_script(library_file: str) -> str:
    """A process that maps a library and then sees it replaced on disk, as after an unrestarted upgrade.

    It installs a copy of the machine's real libcrypto under the system VM's library name, maps
    it, then replaces the file by rename as dpkg does, so /proc/PID/maps lists it '(deleted)'.
    """
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
install(lib)
# Daemonize like `apache2 -k start`: the caller goes on only once the library is replaced, so no
# process started after this one maps the old copy.
if os.fork() == 0:
    os.setsid()
    while True:
        time.sleep(3600)
'''


def system_vm_spec(topo: Topology, node: Node, keys: Keys) -> MachineSpec:
    facts = node.facts
    release = facts["debian"] or template_debian(topo.scenario["cloudstack_version"])
    packages = {**files.LIBSSL_PACKAGES[release], "base-files": files.DEBIAN_RELEASES[release][0]}
    for name, version in facts["packages"].items():
        if version is None:
            packages.pop(name, None)
        else:
            packages[name] = version
    content, modes = common_files(node, keys)
    content.update({
        "/etc/debian_version": files.DEBIAN_RELEASES[release][0] + "\n",
        "/etc/os-release": files.os_release_debian(release),
        "/etc/cloudstack-release": files.cloudstack_release(
            facts["cloudstack_release"] or topo.version(facts["agent_version"])),
        "/var/lib/dpkg/status": files.dpkg_status(packages),
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
        views=("/etc", "/root", "/run", "/var/lib/dpkg", "/usr/sbin", "/usr/lib/x86_64-linux-gnu"),
        files=content, modes=modes, opaque_dirs=("/var/lib/dpkg/updates",), services=services,
        network_setup=[f"addr add {node.address}/16 dev eth0", "link set eth0 up"])


def management_spec(topo: Topology, node: Node, keys: Keys, base_etc: Path = Path("/etc")) -> MachineSpec:
    facts = node.facts
    content, modes = common_files(node, keys)
    fw_files, links, v4, v6 = firewall_parts(node, rhel=False)
    db_host = topo.databases[0].address if topo.databases else "localhost"
    # db.properties as cloudstack-setup-databases fills the packaged file of a 4.19 install
    # (lab/files.py DB_PROPERTIES_IN): jasypt ENC(...) values with encryption type file; db.cloud.uri
    # and db.usage.uri stay empty (unset). The ciphertexts are the lab's own, not from any install.
    db = {"cluster.node.IP": node.address,
          "db.cloud.username": "cloud", "db.cloud.password": "ENC(5z2R3y1Lb8kq0m9VtQeW4w==)",
          "db.cloud.host": db_host, "db.cloud.driver": "jdbc:mysql", "db.cloud.port": "3306",
          "db.cloud.encryption.type": "file", "db.cloud.encrypt.secret": "ENC(Qm9oHq7d0V3uZs1kXa2PbA==)",
          "db.usage.username": "cloud", "db.usage.password": "ENC(5z2R3y1Lb8kq0m9VtQeW4w==)",
          "db.usage.host": db_host, "db.usage.driver": "jdbc:mysql", "db.usage.port": "3306",
          "region.id": "1", **facts["db_properties"]}
    java = ["/usr/bin/java", "-Djava.security.properties=/etc/cloudstack/management/java.security.ciphers",
            "-Xmx2G", "-cp", "/usr/share/cloudstack-management/lib/*:/etc/cloudstack/management",
            "org.apache.cloudstack.ServerDaemon"]
    user = facts["process_user"]
    content.update({
        "/etc/os-release": files.os_release_debian("12"),
        "/etc/passwd": files.passwd_with_user((base_etc / "passwd").read_text(), user, CLOUD_UID,
                                              "/var/lib/cloudstack/management"),
        "/etc/group": files.group_with_group((base_etc / "group").read_text(), user, CLOUD_UID),
        "/etc/cloudstack/management/db.properties": files.db_properties(db),
        "/etc/hosts": files.debian_etc_hosts(node.name),
        "/usr/bin/java": STANDIN,
        **fw_files, **facts["files"]})
    modes.update({"/usr/bin/java": 0o755, "/etc/cloudstack/management/db.properties": 0o640})
    backups, mtimes = backup_files(("etc-cloudstack", "var-lib-cloudstack"), ".tar.gz", facts["backup_age_hours"])
    content.update(backups)
    return MachineSpec(
        name=node.name, kind=node.kind, netns=node.netns, ssh_address=node.address, address6=node.address6,
        views=("/etc", "/root", "/run", "/usr/bin", "/var/backups"), files=content, modes=modes, symlinks=links,
        mtimes=mtimes,
        services=[Service("cloudstack-management", java, user=user)], iptables_v4=v4, iptables_v6=v6,
        network_setup=[f"addr add {node.address}/15 dev eth0",
                       f"addr add {node.address6}/64 dev eth0 nodad", "link set eth0 up"])


SPEC_BUILDERS = {"kvm-host": kvm_host_spec, "xenserver-host": xenserver_host_spec,
                 "systemvm": system_vm_spec, "management": management_spec}
