"""War-dropped management servers' layout, read over SSH ([BERGSMA-OPS] in docs/sources.md)."""
from stackaudit.catalog import check
from stackaudit.rules import war_layout as rules


@check("MS-WAR-LAYOUT", reads=("tomcat_sysconfig", "war_layout"))
def test_war_layout(management_server):
    """A management server deployed as a war in Tomcat keeps /etc/cloudstack/management outside the
    webapp, on Tomcat's CLASSPATH after the MySQL connector, and the database scripts under Tomcat's home."""
    facts = management_server.facts
    findings = rules.war_layout_findings(facts.tomcat_sysconfig, facts.war_layout)
    assert not findings, "; ".join(findings)
