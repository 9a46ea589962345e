"""The clock of every server and host: a time service keeps it synchronised ([CS-DOCS-NTP] in the
docs/sources.md)."""
from stackaudit.catalog import check
from stackaudit.rules import timesync as rules


@check("TIME-SYNC", reads=("time_service",))
def test_time_sync(machine, policy):
    """A time service keeps the clock synchronised: timedatectl's NTPSynchronized is yes, or else
    chrony's Leap status is Normal, or else ntpq lists a system peer marked `*`; the offset chrony or
    ntpd reports is within the policy's time.max_offset_ms. No time tool at all fails."""
    findings = rules.time_sync_findings(machine.facts.time_service, policy.time.max_offset_ms)
    assert not findings, "; ".join(findings)
