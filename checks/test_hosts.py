"""Hypervisor hosts (and, for the firewall rules, management servers): facts over SSH and from the
CloudStack API ([BERGSMA-XS-HA], [BERGSMA-XS-UUID], [CSC-WIKI] in docs/sources.md)."""
from stackaudit import groups
from stackaudit.catalog import check, escalate
from stackaudit.errors import NotCheckable
from stackaudit.rules import firewall as firewall_rules
from stackaudit.rules import hosts as rules
from stackaudit.rules import kvm_agent as kvm_agent_rules
from stackaudit.rules import kvm_cgroup2 as kvm_cgroup2_rules
from stackaudit.rules import kvm_packages as kvm_packages_rules
from stackaudit.rules import kvm_user as kvm_user_rules
from stackaudit.rules import make_unique as make_unique_rules
from stackaudit.rules import xenserver as xen_rules


@check("HOST-UUID-UNIQUE", members={"xs-host": ("xensource_inventory",), "kvm-host": ("agent_properties",)})
def test_host_identities_unique(cloud):
    """No two hosts share an identity: XenServer INSTALLATION_UUID and CONTROL_DOMAIN_UUID, KVM agent guid."""
    gathered = groups.host_identities(cloud.facts)
    cloud.facts.attach("identities by host", gathered.values, as_json=True)
    findings = groups.findings_or_not_checked(rules.duplicate_identities(gathered.values), gathered)
    assert not findings, "; ".join(findings)


@check("XS-HOST-NAME-LABEL", members={"xs-pool": ("pool_hosts",)})
def test_xenserver_name_label(xen_host):
    """A XenServer's name-label equals its hostname (a cloned host keeps its template's label)."""
    hosts = xen_host.facts.of(groups.pool_of(xen_host.facts)).pool_hosts
    record = xen_rules.host_record_by_address(hosts, xen_host.target.address, xen_host.target.name)
    if record is None:
        raise NotCheckable(f"{xen_host.id}: the pool's XAPI has no host at {xen_host.target.address}")
    assert record.name_label == record.hostname, f"name-label {record.name_label!r}; hostname {record.hostname!r}"


def firewall_findings_with_evidence(host, family: int, policy) -> list[str]:
    """The firewall rule's findings for one family, with the wanted/running/persisted evidence attached."""
    firewall = host.facts.firewall(family)
    walk = firewall_rules.walk_firewall(firewall, policy.firewall)
    host.facts.attach(f"CLOUDSTACK-SERVICES: wanted, running, persisted (IPv{family})",
                      firewall_rules.firewall_evidence(firewall, walk))
    return firewall_rules.firewall_findings(firewall, walk)


@check("HOST-IPTABLES-V4", reads=("firewall_v4",))
def test_iptables_v4(firewalled_host, policy):
    """Chain CLOUDSTACK-SERVICES exists, INPUT jumps to it, and a new TCP connection to each policy port
    from outside the exceptions meets a REJECT (walking INPUT as netfilter does); the persisted rules
    would load, hold the same chain with the same verdicts, and are loaded at boot."""
    findings = firewall_findings_with_evidence(firewalled_host, 4, policy)
    assert not findings, "; ".join(findings)


@check("HOST-IPTABLES-V6", reads=("firewall_v6",))
def test_iptables_v6(firewalled_host, policy):
    """The same for ip6tables: the management prefix is RETURNed before the REJECT of the policy's
    tcp ports, every other source meets the REJECT; persisted and loaded at boot."""
    findings = firewall_findings_with_evidence(firewalled_host, 6, policy)
    assert not findings, "; ".join(findings)


@check("KVM-LIBVIRTD-LISTEN", reads=("libvirtd_conf", "libvirtd_defaults", "libvirtd_process", "socket_units",
                                      "listeners", "firewall_v4", "firewall_v6"))
def test_libvirtd_listen(kvm_host, policy, request):
    """libvirtd listens as the policy's transport needs (tcp: 16509 with --listen and masked sockets;
    tls: 16514); unauthenticated tcp is tolerated only while every new connection to 16509 from outside
    the firewall's exceptions meets a REJECT over IPv4 and IPv6 (critical where a socket really listens
    on 16509 beyond loopback)."""
    facts = kvm_host.facts
    transport = policy.libvirt.transport
    conf = facts.libvirtd_conf
    findings = rules.libvirtd_findings(conf, facts.libvirtd_defaults,
                                       rules.libvirtd_process_args(facts.libvirtd_process), facts.socket_units, transport)
    exposed = rules.unauthenticated_listening(conf, transport, facts.listeners)
    if exposed:
        facts.attach("unauthenticated libvirt listening (ss -ltn)", exposed, as_json=True)
        walks = {family: firewall_rules.walk_port(facts.firewall(family).running, family, 16509, policy.firewall)
                 for family in (4, 6)}
        for family, walk in walks.items():
            facts.attach(f"tcp 16509 through INPUT (IPv{family})", firewall_rules.path_evidence(walk))
        open_in = [f"IPv{family}" for family, walk in walks.items() if not firewall_rules.rejects_port(walk, 16509)]
        if open_in:
            escalate(request, "critical")
            findings.insert(0, f"auth_tcp = \"none\" and tcp 16509 is not rejected over {' and '.join(open_in)}: "
                               "anyone on the network controls libvirt")
    assert not findings, "; ".join(findings)


@check("KVM-AGENT-MGMT-HOSTS", reads=("agent_properties",), members={"cloud": ("configurations",)})
def test_agent_management_hosts(kvm_host):
    """agent.properties `host=` names the same management servers as CloudStack's global `host` setting,
    read as the agent and the management server read them (in order where the algorithm is static)."""
    properties = kvm_host.facts.agent_properties
    if properties is None:     # a KVM host CloudStack lists runs an agent: without its file, not checked
        raise NotCheckable(f"{kvm_host.id}: /etc/cloudstack/agent/agent.properties does not exist")
    compared = kvm_agent_rules.compare_management_hosts(properties.get("host"), groups.cloud_settings(kvm_host.facts))
    kvm_host.facts.attach("agent host= against CloudStack's host setting", compared.evidence, as_json=True)
    assert not compared.findings, "; ".join(compared.findings)


@check("HOST-CS-STATE")
def test_cloudstack_host_state(hypervisor_host):
    """CloudStack reports the host Up and Enabled (not Disconnected, Alert, or in or failing maintenance)."""
    attrs = hypervisor_host.target.attrs
    hypervisor_host.facts.attach("listHosts state", {"state": attrs.state, "resourcestate": attrs.resourcestate},
                                 as_json=True)
    findings = rules.cloudstack_state_findings(attrs.state, attrs.resourcestate)
    assert not findings, "; ".join(findings)


@check("XS-HOST-NO-MAKE-UNIQUE", reads=("make_unique_leftovers",))
def test_xenserver_no_make_unique(xen_host):
    """Nothing runs the first-boot uniquifier at the next boot: no /etc/init.d/xenserver_make_unique,
    no S*xenserver_make_unique rc link, no rc.local line that runs /etc/rc.local.fix."""
    leftovers = xen_host.facts.make_unique_leftovers
    xen_host.facts.attach("uniquifier leftovers that run nothing", make_unique_rules.make_unique_notes(leftovers)
                          or ["none"], as_json=True)
    findings = make_unique_rules.make_unique_findings(leftovers)
    assert not findings, "; ".join(findings)


@check("KVM-PACKAGES", reads=("kvm_packages",), members={"cloud": ("storage_pools",)})
def test_kvm_packages(kvm_host, policy):
    """The policy's packages are installed (dpkg status `install ok installed`), the RBD ones too where
    the host's zone has an RBD primary pool, and qemu-system-x86 is at least the policy's floor."""
    facts = kvm_host.facts
    installed = facts.kvm_packages      # the host's own reading first: a host not reached is named as such
    pools = kvm_packages_rules.rbd_pools(groups.cloud_fact(facts, "storage_pools"), groups.zone_id_of(facts))
    kvm = policy.kvm
    verdict = kvm_packages_rules.package_findings(installed, kvm.packages, kvm.rbd_packages, pools, kvm.qemu_floor)
    facts.attach("packages against the policy", verdict.evidence, as_json=True)
    assert not verdict.findings, "; ".join(verdict.findings)


@check("KVM-CGROUP2-CPU-WEIGHT", reads=("cgroup_fs", "kvm_packages"))
def test_kvm_cgroup2_cpu_weight(kvm_host, policy):
    """On a host whose /sys/fs/cgroup is cgroup2fs, cloudstack-agent (dpkg, and the version listHosts
    reports) is at least the policy's floor or a patched build it lists, so no VM's CPU shares exceed
    cgroup v2's weight limit of 10000; hosts on cgroup v1 or hybrid pass."""
    facts = kvm_host.facts
    mount = facts.cgroup_fs
    facts.attach("/sys/fs/cgroup", f"{mount.fs_type}: {mount.description}")
    if not mount.unified:
        return      # libvirt writes cpu.shares (2-262144) under cgroup v1: any agent keeps it in range
    kvm = policy.kvm
    verdict = kvm_cgroup2_rules.weight_findings(facts.kvm_packages, kvm_host.target.attrs.version,
                                                kvm.cgroup2_agent_floor, kvm.patched_agent_versions)
    facts.attach("cloudstack-agent against the cgroup v2 floor", verdict.evidence, as_json=True)
    assert not verdict.findings, "; ".join(verdict.findings)
@check("KVM-CS-USER", reads=("cs_user_access",), members={"db": ("cloudstack_ssh_users",)})
def test_kvm_cloudstack_user(kvm_host, policy):
    """The user CloudStack logs in to the host as (cloud.host_details `username`; without a database, the
    policy's kvm.ssh_user) exists and, unless it is root, `sudo -l -U` lists (ALL) NOPASSWD: ALL for it
    with no requiretty in force."""
    facts = kvm_host.facts
    users, source = groups.cloudstack_ssh_users(facts)
    user = kvm_user_rules.cloudstack_user(kvm_host.target.attrs.id, users, source, policy.kvm.ssh_user, kvm_host.id)
    access = None if user.name == "root" else facts.cs_user_access     # root needs no sudo: nothing to read
    facts.attach("the user CloudStack logs in as, and its sudo", kvm_user_rules.evidence(user, access), as_json=True)
    findings = kvm_user_rules.user_findings(user, access, kvm_host.id)
    assert not findings, "; ".join(findings)
