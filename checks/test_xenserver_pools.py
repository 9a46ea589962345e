"""XenServer pools: facts from each pool's master, over XAPI ([BERGSMA-XS-HA] in docs/sources.md)."""
from datetime import datetime, timezone

from stackaudit import groups
from stackaudit.catalog import check
from stackaudit.rules import xenserver as rules


@check("XS-POOL-HA-ENABLED", reads=("ha",))
def test_pool_ha_enabled(pool, policy):
    """Pool HA is enabled: CloudStack 4.4 and later relies on it to replace a failed pool master."""
    assert pool.facts.ha.enabled, "pool HA is disabled: a failed master is not replaced"


@check("XS-POOL-HA-TIMEOUT", reads=("ha",))
def test_pool_ha_timeout(pool, policy):
    """Pool HA's timeout is set explicitly (ha_configuration key `timeout`) and equals the policy value."""
    ha = pool.facts.ha
    wanted = policy.xenserver.ha_timeout
    assert ha.timeout == wanted, f"HA timeout: {ha.timeout_text}; the policy wants {wanted} s"


@check("XS-POOL-MIN-HOSTS", reads=("pool_hosts",))
def test_pool_min_hosts(pool, policy):
    """An HA pool has at least the policy's minimum of hosts, so a crash does not leave one survivor."""
    findings = rules.min_hosts_findings(pool.facts.pool_hosts, policy.xenserver.min_pool_hosts)
    assert not findings, "; ".join(findings)


@check("XS-POOL-HA-SR-SHARED", reads=("pool_record", "pool_hosts", "pool_srs", "pool_pbds", "pool_vdis"))
def test_pool_ha_sr_shared(pool, policy):
    """The HA statefile lives on a shared SR of an HA-capable type, attached on every pool member."""
    facts = pool.facts
    findings = rules.ha_sr_findings(facts.pool_record, facts.pool_hosts, facts.pool_srs,
                                    facts.pool_pbds, facts.pool_vdis, policy.xenserver.ha_sr_types)
    assert not findings, "; ".join(findings)


@check("XS-VM-NO-HA-PRIORITY", reads=("pool_vms",))
def test_no_vm_ha_priority(pool):
    """No guest VM of the pool (control domains, templates and snapshots aside) has an HA restart priority."""
    offenders = rules.vm_priority_offenders(pool.facts.pool_vms)
    assert not offenders, f"{len(offenders)} VM(s) with an HA restart priority: " + "; ".join(offenders)


@check("XS-HOST-ENABLED", reads=("pool_hosts",))
def test_pool_hosts_enabled(pool):
    """Every host of the pool is enabled (a host left disabled after a crash puts CloudStack in Alert)."""
    disabled = rules.disabled_hosts(pool.facts.pool_hosts)
    assert not disabled, "; ".join(disabled)


@check("XS-POOL-MASTER-LIVE", reads=("pool_record", "pool_hosts", "pool_host_metrics"))
def test_pool_master_live(pool):
    """The pool has a master, and it and every member are live (host_metrics.live)."""
    facts = pool.facts
    findings = rules.master_live_findings(facts.pool_record, facts.pool_hosts, facts.pool_host_metrics)
    assert not findings, "; ".join(findings)


@check("XS-POOL-HA-LICENSED", reads=("pool_licences",))
def test_pool_ha_licensed(pool, policy):
    """On a pool with a member on XenServer before 6.2, every member's licence enables HA
    (license_params enable_xha "true") and does not expire within the policy's warning days."""
    findings = rules.ha_licence_findings(pool.facts.pool_licences, datetime.now(timezone.utc),
                                         policy.xenserver.ha_licence_warn_days)
    assert not findings, "; ".join(findings)


@check("XS-POOL-CS-MEMBERSHIP", reads=("pool_hosts",))
def test_pool_cs_membership(pool):
    """The hosts CloudStack lists in the pool's cluster (listHosts type=Routing, ipaddress) are exactly
    the pool's members (XAPI host.address); a host found in another cluster's pool is named with it."""
    listed = pool.facts.api_rows("listHosts", clusterid=pool.target.attrs.id)
    other_pools, other_clusters = groups.addresses_elsewhere(pool.facts)
    findings = rules.membership_findings([(row.name, row.ipaddress) for row in listed], pool.facts.pool_hosts,
                                         other_pools, other_clusters)
    assert not findings, "; ".join(findings)
