"""The lab's management servers (kind mgmt): db.properties, the java process and its user, the firewall."""
from __future__ import annotations

from pathlib import Path

from lab import files
from lab.machine import MachineSpec, Service
from lab.parts.common import STANDIN, Keys, backup_files, common_files, firewall_parts
from lab.topology import DB_VIP, Node, Topology

CLOUD_UID = 1500
# What a 4.19 package installs in /usr/share/cloudstack-management/lib, the unit's CLASSPATH
# (packaging/systemd/cloudstack-management.default, [CS-CODE]): one jar of the server and its
# dependencies. The lab's are small text files standing in for them, one content per version.
LIB_DIR = "/usr/share/cloudstack-management/lib"


def lib_files(version: str, overrides: dict[str, str | None]) -> dict[str, str]:
    files = {f"cloudstack-{version}.jar": f"lab stand-in for the CloudStack {version} server jar\n",
             "cloud-utils.jar": f"lab stand-in for cloud-utils of CloudStack {version}\n", **overrides}
    return {f"{LIB_DIR}/{name}": content for name, content in files.items() if content is not None}


def mgmt_spec(topo: Topology, node: Node, keys: Keys, base_etc: Path = Path("/etc")) -> MachineSpec:
    facts = node.facts
    content, modes = common_files(node, keys)
    fw_files, links, v4, v6 = firewall_parts(node, rhel=False)
    # A pair is reached through its VIP ([CSC-WIKI]); one server (none in the lab) by its address.
    db_host = DB_VIP if len(topo.databases) == 2 else topo.databases[0].address if topo.databases else "localhost"
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
            *facts["java_args"], "org.apache.cloudstack.ServerDaemon"]
    user = facts["process_user"]
    version = topo.version(facts["version"])
    package = version if facts["package_version"] is None else facts["package_version"]
    content.update({
        "/etc/os-release": files.os_release_debian("12"),
        "/etc/passwd": files.passwd_with_user((base_etc / "passwd").read_text(), user, CLOUD_UID,
                                              "/var/lib/cloudstack/management"),
        "/etc/group": files.group_with_group((base_etc / "group").read_text(), user, CLOUD_UID),
        "/etc/cloudstack/management/db.properties": files.db_properties(db) + "".join(
            f"\n{key}={value}" for key, value in facts["db_properties_appended"].items()),
        "/etc/hosts": files.debian_etc_hosts(node.name),
        "/usr/bin/java": STANDIN,
        "/var/lib/dpkg/status": files.dpkg_status({"cloudstack-management": package} if package else {}),
        **lib_files(version, facts["lib_files"]),
        **fw_files, **facts["files"]})
    modes.update({"/usr/bin/java": 0o755, "/etc/cloudstack/management/db.properties": 0o640})
    backups, mtimes = backup_files(("etc-cloudstack", "var-lib-cloudstack"), ".tar.gz", facts["backup_age_hours"])
    content.update(backups)
    return MachineSpec(
        name=node.name, kind=node.kind, netns=node.netns, ssh_address=node.address, address6=node.address6,
        views=("/etc", "/root", "/run", "/usr/bin", "/usr/share", "/var/backups", "/var/lib/dpkg"), files=content,
        modes=modes, symlinks=links, mtimes=mtimes, opaque_dirs=("/var/lib/dpkg/updates",),
        services=[Service("cloudstack-management", java, user=user)], iptables_v4=v4, iptables_v6=v6,
        network_setup=[f"addr add {node.address}/15 dev eth0",
                       f"addr add {node.address6}/64 dev eth0 nodad", "link set eth0 up"])
