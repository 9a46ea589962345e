"""The pre-upgrade gate: capacity to drain one host at a time, and fresh backups
([CSC-WIKI] in docs/sources.md)."""
import time

from stackaudit.catalog import check
from stackaudit.errors import NotCheckable
from stackaudit.config.policy import BACKUP_KINDS
from stackaudit.rules import gate as rules


@check("GATE-CAPACITY-N1")
def test_capacity_n_plus_one(cluster):
    """The other hosts of the cluster can take the allocated CPU and memory of its largest host, with
    CloudStack's overprovisioned capacities, so hosts go into maintenance one at a time."""
    findings = rules.capacity_findings(cluster.facts.api_rows("listHosts", clusterid=cluster.target.attrs.id))
    assert not findings, "; ".join(findings)


@check("GATE-BACKUP-FRESH", reads=("backup_files",))
def test_backups_fresh(backed_up_machine, policy):
    """The backups the policy names (database dumps; copies of /etc/cloudstack and /var/lib/cloudstack)
    exist and are newer than the policy's age."""
    listing = backed_up_machine.facts.backup_files
    globs = policy.backups.locations[backed_up_machine.target.kind]
    if listing is None or not globs:
        # Not a scope: every machine of these kinds needs its backup before an upgrade; a policy that
        # says nowhere to look leaves the rule unchecked (broken), so the gate cannot pass without it.
        key = next(k for k, kind in BACKUP_KINDS.items() if kind == backed_up_machine.target.kind)
        raise NotCheckable(f"the policy names no backup location for this kind of machine (backups.{key})")
    files, clock = listing
    skew = rules.clock_skew_note(clock, time.time())
    if skew:
        backed_up_machine.facts.attach("clock skew", skew)
    findings = rules.backup_findings(files, clock, globs, policy.backups.max_age_hours)
    assert not findings, "; ".join(findings + ([skew] if skew else []))
