"""The files a lab machine holds, written in the formats the real software writes.

Formats follow their sources (docs/sources.md): agent.properties and the template's
/etc/cloudstack-release as apache/cloudstack writes them [CS-CODE], /etc/xensource-inventory [XAPI],
libvirtd [CS-DOCS-KVM]; and the tools' own output (iptables-save, dpkg status).
"""
from __future__ import annotations

from pathlib import Path

from lab import firewall_rules, security_groups

DEBIAN_RELEASES = {  # /etc/debian_version of the last point release the lab uses, codename
    "7": ("7.11", "wheezy"),
    "8": ("8.11", "jessie"),
    "9": ("9.13", "stretch"),
    "10": ("10.13", "buster"),
    "11": ("11.8", "bullseye"),
    "12": ("12.12", "bookworm"),
    # base-files 13.8+deb13u7 (a Debian 13 machine's installed list) is point release 13.7.
    "13": ("13.7", "trixie"),
}
# The ssl packages of each Debian release the lab's system VMs can run, at a patched version (the
# lab policy's floors, lab/inventory.py). Names and versions from Debian's package data
# (tests/data/recorded/SOURCES.md, "libssl package names per Debian release"):
LIBSSL_PACKAGES = {
    "7": {"openssl": "1.0.1e-2+deb7u6", "libssl1.0.0": "1.0.1e-2+deb7u6"},        # [CS-HEARTBLEED]
    # Debian's pool: libssl1.0.0_1.0.1t-1+deb8u7 (matthewhartman/debian-setup#1).
    "8": {"openssl": "1.0.1t-1+deb8u7", "libssl1.0.0": "1.0.1t-1+deb8u7"},
    # Both libraries side by side, as in multicast/docker-stretch's dpkg -l.
    "9": {"openssl": "1.1.0k-1~deb9u1", "libssl1.1": "1.1.0k-1~deb9u1", "libssl1.0.2": "1.0.2s-1~deb9u1"},
    "10": {"openssl": "1.1.1n-0+deb10u6", "libssl1.1": "1.1.1n-0+deb10u6"},      # packages.debian.org/buster
    "11": {"openssl": "1.1.1w-0+deb11u1", "libssl1.1": "1.1.1w-0+deb11u1"},      # packages.debian.org/bullseye
    "12": {"openssl": "3.0.19-1~deb12u2", "libssl3": "3.0.19-1~deb12u2"},        # a Debian 12 install
    "13": {"openssl": "3.5.7-1~deb13u2", "libssl3t64": "3.5.7-1~deb13u2"},       # a Debian 13 install: the t64 rename
}


def key_value_lines(pairs: dict[str, str | None], separator: str = "=") -> str:
    return "".join(f"{k}{separator}{v}\n" for k, v in pairs.items() if v is not None)


def agent_properties(pairs: dict[str, str | None]) -> str:
    """agent.properties as the agent rewrites it (PropertiesStorage: java.util.Properties.store() with
    the comment "Storage", then the date): one `key=value` a line in the table's own order, with
    store()'s escapes. The order of `pairs` is kept: a real file's (apache/cloudstack issue 5240)."""
    return "#Storage\n#Sat Nov 21 09:12:44 UTC 2026\n" + "".join(
        f"{java_store_escape(k, True)}={java_store_escape(v, False)}\n" for k, v in pairs.items() if v is not None)


def java_store_escape(text: str, is_key: bool) -> str:
    """Properties.saveConvert: `\\ \\t \\n \\r \\f`, `= : # !` escaped; a space escaped in a key
    and at the start of a value; characters outside printable ASCII as \\uXXXX."""
    out = []
    for position, char in enumerate(text):
        if char == " " and (is_key or position == 0):
            out.append("\\ ")
        elif char in "\\=:#!":
            out.append("\\" + char)
        elif char in "\t\n\r\f":
            out.append("\\" + {"\t": "t", "\n": "n", "\r": "r", "\f": "f"}[char])
        elif not 0x20 <= ord(char) <= 0x7e:
            out.append(f"\\u{ord(char):04X}")
        else:
            out.append(char)
    return "".join(out)


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
    """The running rules of a host or management server: [CSC-WIKI]'s CLOUDSTACK-SERVICES chain among the
    rules a real install has (lab/firewall_rules.py, with the sources); a KVM host with
    `security_group_vms` carries that many VMs' security-group rules too (lab/security_groups.py; the
    lab has no ipset tool, so their anti-spoofing rules match addresses, not sets)."""
    vms = firewall.get("security_group_vms", 0) if kind == "kvm-host" else 0
    if vms:
        return security_groups.host_rules(family, vms, firewall, mgmt_prefix, ipsets=False)
    return firewall_rules.running_rules(kind, family, firewall, mgmt_prefix)


def saved_rules_file(family: int, rules: str) -> str:
    """What `iptables-save > /etc/iptables/rules.v4` (or `service iptables save`) leaves: no rule counters."""
    del family   # both families are saved the same way
    return firewall_rules.saved_rules_file(rules)


def proc_cpuinfo(vendor: str | None, model: str | None, cpus: int = 2) -> str:
    """/proc/cpuinfo as an x86 kernel prints it (arch/x86/kernel/cpu/proc.c show_cpuinfo: one block
    per logical CPU, keys padded with tabs); a null vendor or model leaves its line out."""
    def block(number: int) -> str:
        lines = [f"processor\t: {number}", f"vendor_id\t: {vendor}" if vendor is not None else None,
                 "cpu family\t: 6", "model\t\t: 106", f"model name\t: {model}" if model is not None else None,
                 "stepping\t: 6", "cpu MHz\t\t: 2000.000", "cache size\t: 49152 KB", f"physical id\t: {number % 2}",
                 "flags\t\t: fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov pat pse36 clflush vmx",
                 "bogomips\t: 4000.00", "address sizes\t: 46 bits physical, 57 bits virtual", "power management:"]
        return "".join(f"{line}\n" for line in lines if line is not None)
    return "\n".join(block(n) for n in range(cpus)) + "\n"


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


# client/conf/db.properties.in of apache/cloudstack (the file the 4.19+ packages install; license
# header left out), whose values cloudstack-setup-databases fills in place.
DB_PROPERTIES_IN = """\
# management server clustering parameters, change cluster.node.IP to the machine IP address
# in which the management server is running
cluster.node.IP=127.0.0.1
cluster.servlet.port=9090
region.id=1

# CloudStack database settings
db.cloud.username=@DBUSER@
db.cloud.password=@DBPW@
db.cloud.host=@DBHOST@
db.cloud.driver=@DBDRIVER@
db.cloud.port=3306
db.cloud.name=cloud

# Connection URI to the database "cloud". When this property is set, only the following properties will be used along with it: db.cloud.maxActive, db.cloud.maxIdle, db.cloud.maxWait, db.cloud.username, db.cloud.password, db.cloud.driver, db.cloud.validationQuery, db.cloud.isolation.level. Other properties will be ignored.
db.cloud.uri=


# CloudStack database tuning parameters
db.cloud.maxActive=250
db.cloud.maxIdle=30
db.cloud.maxWait=600000
db.cloud.validationQuery=/* ping */ SELECT 1
db.cloud.testOnBorrow=true
db.cloud.testWhileIdle=true
db.cloud.timeBetweenEvictionRunsMillis=40000
db.cloud.minEvictableIdleTimeMillis=240000
db.cloud.poolPreparedStatements=false
db.cloud.url.params=prepStmtCacheSize=517&cachePrepStmts=true&sessionVariables=sql_mode='STRICT_TRANS_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION'&serverTimezone=UTC

# CloudStack database SSL settings
db.cloud.useSSL=false
db.cloud.keyStore=
db.cloud.keyStorePassword=
db.cloud.trustStore=
db.cloud.trustStorePassword=

# Encryption Settings
db.cloud.encryption.type=none
db.cloud.encrypt.secret=
db.cloud.encryptor.version=

# usage database settings
db.usage.username=@DBUSER@
db.usage.password=@DBPW@
db.usage.host=@DBHOST@
db.usage.driver=@DBDRIVER@
db.usage.port=3306
db.usage.name=cloud_usage

# Connection URI to the database "usage". When this property is set, only the following properties will be used along with it: db.usage.maxActive, db.cloud.maxIdle, db.cloud.maxWait, db.usage.username, db.usage.password, db.usage.driver, db.usage.validationQuery, db.usage.isolation.level. Other properties will be ignored.
db.usage.uri=


# usage database tuning parameters
db.usage.maxActive=100
db.usage.maxIdle=30
db.usage.maxWait=600000
db.usage.url.params=serverTimezone=UTC

# Simulator database settings
db.simulator.username=@DBUSER@
db.simulator.password=@DBPW@
db.simulator.host=@DBHOST@
db.simulator.driver=@DBDRIVER@
db.simulator.port=3306
db.simulator.name=simulator
db.simulator.maxActive=250
db.simulator.maxIdle=30
db.simulator.maxWait=600000
db.simulator.autoReconnect=true

# Connection URI to the database "simulator". When this property is set, only the following properties will be used along with it: db.simulator.host, db.simulator.port, db.simulator.name, db.simulator.autoReconnect. Other properties will be ignored.
db.simulator.uri=


# High Availability And Cluster Properties
db.ha.enabled=false
db.ha.loadBalanceStrategy=com.cloud.utils.db.StaticStrategy
# cloud stack Database
db.cloud.replicas=localhost,localhost
db.cloud.autoReconnect=true
db.cloud.failOverReadOnly=false
db.cloud.reconnectAtTxEnd=true
db.cloud.autoReconnectForPools=true
db.cloud.secondsBeforeRetrySource=3600
db.cloud.queriesBeforeRetrySource=5000
db.cloud.initialTimeout=3600

#usage Database
db.usage.replicas=localhost,localhost
db.usage.autoReconnect=true
db.usage.failOverReadOnly=false
db.usage.reconnectAtTxEnd=true
db.usage.autoReconnectForPools=true
db.usage.secondsBeforeRetrySource=3600
db.usage.queriesBeforeRetrySource=5000
db.usage.initialTimeout=3600
"""


def db_properties(pairs: dict[str, str | None]) -> str:
    """db.properties as cloudstack-setup-databases writes it (apache/cloudstack
    setup/bindir/cloud-setup-databases.in, prepareDBDotProperties/finalizeDbProperties): the packaged
    file's lines stripped, each `key=value` given a new value in place, keys it adds at the end,
    joined by newlines with no newline after the last. A value of None removes the key."""
    pending = dict(pairs)
    lines = []
    for line in DB_PROPERTIES_IN.splitlines():
        key = line.split("=", 1)[0] if "=" in line and not line.startswith("#") else None
        if key is not None and key in pending:
            value = pending.pop(key)
            if value is None:
                continue
            line = f"{key}={value}"
        lines.append(line.strip())
    lines += [f"{k}={v}" for k, v in pending.items() if v is not None]
    return "\n".join(lines)


def debian_etc_hosts(name: str, address: str = "127.0.1.1") -> str:
    """/etc/hosts as Debian's installer writes it: the host's own name on 127.0.1.1 (Debian Reference,
    5.1.1 "The hostname resolution"); or, where the server has a permanent address, on that address,
    so that `hostname --fqdn` resolves to it (MS-FQDN; the CloudStack install guide's prerequisite)."""
    return (f"127.0.0.1\tlocalhost\n{address}\t{name}.lab.example\t{name}\n\n"
            "# The following lines are desirable for IPv6 capable hosts\n"
            "::1     localhost ip6-localhost ip6-loopback\nff02::1 ip6-allnodes\nff02::2 ip6-allrouters\n")


def sshd_config(address: str, port: int, address6: str | None = None) -> str:
    # LogLevel VERBOSE logs "Connection from A port P on B port 22" for every TCP connection and
    # "Accepted publickey for root" per login to the machine's console.log: the fleet benchmark counts
    # connections per target there (OpenBSD, "sshd_config(5)", LogLevel, 2025,
    # https://man.openbsd.org/sshd_config).
    listen = f"ListenAddress {address}\n" + (f"ListenAddress {address6}\n" if address6 else "")
    return (f"Port {port}\n{listen}HostKey /etc/ssh/ssh_host_ed25519_key\n"
            "LogLevel VERBOSE\nPermitRootLogin prohibit-password\nPubkeyAuthentication yes\n"
            "AuthorizedKeysFile .ssh/authorized_keys\nPasswordAuthentication no\n"
            "KbdInteractiveAuthentication no\nUsePAM no\nPidFile none\nAllowTcpForwarding yes\n"
            "Subsystem sftp /usr/lib/openssh/sftp-server\n")


def write_after_start(machine_pid: int, path: str, text: str) -> None:
    """A file written into the running machine, through its own mount namespace's view (/proc/PID/root):
    the overlay takes it into the machine's upper layer, as an edit on the machine would."""
    target = Path(f"/proc/{machine_pid}/root") / path.lstrip("/")
    target.write_text(text)
    target.chmod(0o644)
