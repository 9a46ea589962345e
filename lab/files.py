"""The files a lab machine holds, written in the formats the real software writes.

Formats follow ../shared/reference/interfaces.md (agent.properties §4, /etc/xensource-inventory §3,
libvirtd §4, /etc/cloudstack-release §5) and the tools' own output (iptables-save, dpkg status).
"""
from __future__ import annotations

from lab import firewall_rules

DEBIAN_RELEASES = {  # /etc/debian_version, codename
    "7": ("7.11", "wheezy"),
    "10": ("10.13", "buster"),
    "11": ("11.8", "bullseye"),
    "12": ("12.12", "bookworm"),
}
# The libssl package of each Debian release, and a patched version of it (the policy floors).
LIBSSL_PACKAGES = {
    "7": ("libssl1.0.0", "1.0.1e-2+deb7u6"),
    "10": ("libssl1.1", "1.1.1n-0+deb10u6"),
    "11": ("libssl1.1", "1.1.1w-0+deb11u1"),
    "12": ("libssl3", "3.0.19-1~deb12u2"),
}


def key_value_lines(pairs: dict[str, str | None], separator: str = "=") -> str:
    return "".join(f"{k}{separator}{v}\n" for k, v in pairs.items() if v is not None)


def agent_properties(pairs: dict[str, str | None]) -> str:
    """agent.properties as the agent rewrites it: java.util.Properties.store(), a date comment first."""
    return "#Storage\n#Sat Nov 21 09:12:44 UTC 2026\n" + key_value_lines(dict(sorted(pairs.items())))


def xensource_inventory(pairs: dict[str, str]) -> str:
    return "".join(f"{k}='{v}'\n" for k, v in pairs.items())


def libvirtd_conf(pairs: dict[str, str | None]) -> str:
    header = ("# Master libvirt daemon configuration file\n#\n"
              "# For further information consult https://libvirt.org/format.html\n\n")
    return header + key_value_lines(pairs, " = ")


def default_libvirtd(args: str) -> str:
    return ("# Defaults for libvirtd initscript (/etc/init.d/libvirtd)\n"
            "# This is a POSIX shell fragment\n\n"
            "# Start libvirtd to handle qemu/kvm:\nstart_libvirtd=\"yes\"\n\n"
            f"# options passed to libvirtd, add \"-l\" to listen on tcp\nLIBVIRTD_ARGS=\"{args}\"\n")


def iptables_rules(family: int, firewall: dict, mgmt_prefix: str | None, kind: str = "kvm-host") -> str:
    """The running rules of a host or management server: seed 004's CLOUDSTACK-SERVICES chain among the
    rules a real install has (lab/firewall_rules.py, with the sources)."""
    return firewall_rules.running_rules(kind, family, firewall, mgmt_prefix)


def saved_rules_file(family: int, rules: str) -> str:
    """What `iptables-save > /etc/iptables/rules.v4` (or `service iptables save`) leaves: no rule counters."""
    del family   # both families are saved the same way
    return firewall_rules.saved_rules_file(rules)


def os_release_debian(release: str) -> str:
    version, codename = DEBIAN_RELEASES[release]
    return (f'PRETTY_NAME="Debian GNU/Linux {release} ({codename})"\nNAME="Debian GNU/Linux"\n'
            f'VERSION_ID="{release}"\nVERSION="{release} ({codename})"\nVERSION_CODENAME={codename}\n'
            'ID=debian\nHOME_URL="https://www.debian.org/"\n')


def os_release_xenserver() -> str:
    return ('NAME="XenServer"\nVERSION="8.2.1"\nID="xenenterprise"\nVERSION_ID="8.2.1"\n'
            'PRETTY_NAME="XenServer 8.2.1"\nID_LIKE="centos rhel fedora"\nPLATFORM_NAME="XCP"\n')


def cloudstack_release(version: str) -> str:
    """Written at template build: `Cloudstack Release $CLOUDSTACK_RELEASE $(date)`."""
    return f"Cloudstack Release {version} Wed Oct 11 10:00:00 UTC 2023\n"


def dpkg_status(packages: dict[str, str], arch: str = "amd64") -> str:
    """/var/lib/dpkg/status stanzas, as dpkg writes them, for installed packages."""
    stanzas = []
    for name, version in sorted(packages.items()):
        stanzas.append(
            f"Package: {name}\nStatus: install ok installed\nPriority: optional\nSection: libs\n"
            f"Installed-Size: 4096\nMaintainer: Debian OpenSSL Team <pkg-openssl-devel@alioth-lists.debian.net>\n"
            f"Architecture: {arch}\n{multi_arch(name)}Source: openssl\nVersion: {version}\n"
            f"Description: {name} (lab package record)\n This stanza stands for the package in the system VM.\n")
    return "\n".join(stanzas)


def multi_arch(package: str) -> str:
    """Shared libraries are Multi-Arch: same (dpkg-query then names them `libssl3:amd64`)."""
    return "Multi-Arch: same\n" if package.startswith("lib") else "Multi-Arch: foreign\n"


def passwd_with_user(base_passwd: str, user: str, uid: int, home: str) -> str:
    if any(line.split(":", 1)[0] == user for line in base_passwd.splitlines()):
        return base_passwd
    return base_passwd.rstrip("\n") + f"\n{user}:x:{uid}:{uid}::{home}:/bin/sh\n"


def group_with_group(base_group: str, group: str, gid: int) -> str:
    if any(line.split(":", 1)[0] == group for line in base_group.splitlines()):
        return base_group
    return base_group.rstrip("\n") + f"\n{group}:x:{gid}:\n"


def db_properties(pairs: dict[str, str | None]) -> str:
    return "# management server clustering parameters\n" + key_value_lines(pairs)


def sshd_config(address: str, port: int, address6: str | None = None) -> str:
    listen = f"ListenAddress {address}\n" + (f"ListenAddress {address6}\n" if address6 else "")
    return (f"Port {port}\n{listen}HostKey /etc/ssh/ssh_host_ed25519_key\n"
            "PermitRootLogin prohibit-password\nPubkeyAuthentication yes\n"
            "AuthorizedKeysFile .ssh/authorized_keys\nPasswordAuthentication no\n"
            "KbdInteractiveAuthentication no\nUsePAM no\nPidFile none\nAllowTcpForwarding yes\n"
            "Subsystem sftp /usr/lib/openssh/sftp-server\n")
