"""Services that must start at boot and run: the KVM agent, the database server ([CSC-WIKI],
[SHAPEBLUE-HOWTO], [SYSTEMD-SYSTEMCTL] in docs/sources.md)."""
from stackaudit.catalog import check
from stackaudit.collect.declared.unit_states import AGENT_UNIT
from stackaudit.rules import unit_states as rules


@check("KVM-AGENT-SERVICE", reads=("unit_states",))
def test_agent_service(kvm_host):
    """cloudstack-agent is enabled at boot (systemctl is-enabled: `enabled`; EL6: chkconfig 3:on) and
    running (is-active: `active`; EL6: service status exits 0); an unknown unit fails: not installed."""
    findings = rules.agent_service_findings(kvm_host.facts.unit_states, AGENT_UNIT)
    assert not findings, "; ".join(findings)


@check("DB-SERVICE-ENABLED", reads=("unit_states",))
def test_database_service(database, policy):
    """The first existing unit of the policy's list (mariadb, mysql, mysqld) is enabled at boot and
    running, as systemd or EL6's chkconfig and service report it; none of them existing fails."""
    findings = rules.database_service_findings(database.facts.unit_states, policy.services.database_units)
    assert not findings, "; ".join(findings)
