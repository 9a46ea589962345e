"""Management servers and the cloud's settings: over SSH and from the CloudStack API
([BERGSMA-OPS], [SHAPEBLUE-HOWTO], [CSC-WIKI] in docs/sources.md)."""
from stackaudit import groups
from stackaudit.catalog import check
from stackaudit.rules import db_properties as db_rules
from stackaudit.rules import fqdn as fqdn_rules
from stackaudit.rules import iso_tools as iso_rules
from stackaudit.rules import management as rules
from stackaudit.rules import global_host
from stackaudit.rules import management_build as build_rules
from stackaudit.rules import selinux as selinux_rules
from stackaudit.rules import vhd_util as vhd_rules
from stackaudit.targets import FIREWALLED_KINDS


@check("MS-VERSION-CONSISTENT")
def test_versions_consistent(cloud):
    """Every management server is Up and runs the same version; every host agent reports it too."""
    facts = cloud.facts
    findings = rules.version_consistency_findings(facts.api_rows("listManagementServers"), facts.api_rows("listHosts"))
    assert not findings, "; ".join(findings)


@check("MS-COUNT")
def test_management_server_count(cloud, policy):
    """At least the policy's number of management servers are Up, so one can be upgraded at a time."""
    findings = rules.count_findings(cloud.facts.api_rows("listManagementServers"), policy.management.min_servers)
    assert not findings, "; ".join(findings)


@check("MS-DB-HOST-NOT-LOCAL", reads=("db_properties", "own_names"))
def test_db_host_not_local(management_server, policy):
    """db.properties points the cloud and usage pools at the database address, not at this server
    (db.cloud.uri / db.usage.uri, where set, take precedence over db.cloud.host / db.usage.host),
    where the database is replicated."""
    facts = management_server.facts
    findings, evidence = db_rules.db_host_findings(facts.db_properties, facts.own_names, policy.database.address,
                                                   management_server.target.attrs.version)
    facts.attach("database hosts as CloudStack reads db.properties", evidence, as_json=True)
    assert not findings, "; ".join(findings)


@check("MS-RUNS-AS-CLOUD", reads=("management_processes",))
def test_runs_as_cloud(management_server):
    """The management server process runs as user `cloud`."""
    processes = management_server.facts.management_processes
    findings = rules.runs_as_findings(rules.management_server_processes(processes.programs, processes.marked_pids))
    assert not findings, "; ".join(findings)


@check("MS-GLOBAL-SETTINGS", reads=("configurations", "scoped_settings"))
def test_global_settings(cloud, policy):
    """The global settings equal the policy baseline, each read at the scope where it takes effect."""
    facts = cloud.facts
    findings = rules.settings_findings(facts.configurations, facts.scoped_settings,
                                       policy.management.global_settings)
    assert not findings, f"{len(findings)} setting(s) off the baseline: " + "; ".join(findings)


@check("MS-LDAP-TLS", reads=("ldap_configurations", "configurations", "scoped_settings"))
def test_ldap_tls(cloud):
    """Every domain with an LDAP configuration has ldap.truststore and ldap.truststore.password set,
    so CloudStack binds over TLS."""
    facts = cloud.facts
    findings = rules.ldap_tls_findings(facts.ldap_configurations, facts.configurations, facts.scoped_settings["domain"])
    assert not findings, "; ".join(findings)


@check("MS-CA-STRICT", reads=("configurations",),
       members={kind: ("firewall_v4", "firewall_v6") for kind in FIREWALLED_KINDS})
def test_ca_strict(cloud, policy):
    """ca.plugin.root.auth.strictness is true; or it is false and its compensating control holds:
    HOST-IPTABLES-V4 and V6 pass on every host and management server."""
    facts = cloud.facts
    strictness = rules.ca_strictness(facts.configurations)
    if str(strictness).lower() == "true":
        return
    gathered = groups.members_firewall_findings(facts, policy.firewall)
    findings = [f"{target}: {'; '.join(found)}" for target, found in sorted(gathered.values.items()) if found]
    findings = groups.findings_or_not_checked(findings, gathered)
    assert not findings, (f"ca.plugin.root.auth.strictness is {strictness} and the firewall that compensates "
                          "does not hold on: " + " | ".join(findings))


@check("MS-SELINUX-MODE", reads=("selinux_modes",))
def test_selinux_mode(management_server, policy):
    """SELinux's running mode (getenforce) and its mode at the next boot (/etc/selinux/config) are both
    in the policy's modes and agree; no SELinux counts as Disabled."""
    facts = management_server.facts
    findings, evidence = selinux_rules.selinux_findings(facts.selinux_modes, policy.ms.selinux_modes)
    facts.attach("SELinux modes", evidence, as_json=True)
    assert not findings, "; ".join(findings)


@check("MS-MKISOFS", reads=("iso_tools",))
def test_iso_tool(management_server):
    """The first of /usr/bin/genisoimage, /usr/bin/mkisofs, /usr/local/bin/mkisofs that exists, the one
    CloudStack builds config-drive ISOs with, is a program user cloud may run."""
    facts = management_server.facts
    findings, evidence = iso_rules.iso_tool_findings(facts.iso_tools)
    facts.attach("ISO programs CloudStack tries", evidence, as_json=True)
    assert not findings, "; ".join(findings)


@check("MS-FQDN", reads=("fqdn_lookup", "own_names"))
def test_fqdn(management_server):
    """hostname --fqdn gives a dotted name, not a localhost one, which resolves on the server to one of
    its own addresses other than loopback."""
    facts = management_server.facts
    findings, evidence = fqdn_rules.fqdn_findings(facts.fqdn_lookup, facts.own_names)
    facts.attach("the server's fully qualified name", evidence, as_json=True)
    assert not findings, "; ".join(findings)


@check("MS-VHDUTIL", reads=("vhd_util",))
def test_vhd_util(management_server):
    """vhd-util is in CloudStack's XenServer scripts directory, a regular file executable by all (0755)."""
    facts = management_server.facts
    findings, evidence = vhd_rules.vhd_util_findings(facts.vhd_util)
    facts.attach("vhd-util", evidence, as_json=True)
    assert not findings, "; ".join(findings)


@check("MS-BUILD-IDENTICAL", members={"mgmt": ("management_build",)})
def test_build_identical(cloud):
    """Every Up management server has the same cloudstack-management version-release and the same code:
    the sha256 of each file of /usr/share/cloudstack-management/lib (or of its Tomcat webapps) is equal."""
    gathered, left_out = groups.management_builds(cloud.facts)
    findings, evidence = build_rules.build_findings(gathered.values)
    cloud.facts.attach("management servers' builds", {"judged": evidence, "not Up, left out": left_out}, as_json=True)
    findings = groups.findings_or_not_checked(findings, gathered)
    assert not findings, "; ".join(findings)


@check("MS-GLOBAL-HOST", reads=("configurations",))
def test_global_host(cloud, policy):
    """The global `host` setting (the addresses agents, SSVMs and console proxies connect to) has no
    loopback entry and lists exactly the Up management servers' serviceip (or the policy's endpoints)."""
    facts = cloud.facts
    findings, evidence = global_host.global_host_findings(
        facts.configurations, facts.api_rows("listManagementServers"),
        [server.address for server in groups.members(facts, "mgmt")], list(policy.management.agent_endpoints))
    facts.attach("global host against the management servers", evidence, as_json=True)
    assert not findings, "; ".join(findings)
