"""Management servers' logging configuration, read over SSH ([CS-DOCS-LOG4J], [SHAPEBLUE-HOWTO],
[CS-CODE] in docs/sources.md)."""
from stackaudit.catalog import check
from stackaudit.rules import log4j_syslog as rules


@check("MS-LOG4J-SYSLOG", reads=("log4j_config",))
def test_log4j_syslog(management_server, policy):
    """log4j-cloud.xml is in the dialect the running release reads (log4j 1 before 4.20, log4j2 from
    4.20) and, where the policy names a syslog host, its SYSLOG appender sends there from the root
    logger with the policy's facility and level."""
    findings = rules.log4j_findings(management_server.facts.log4j_config, management_server.target.attrs.version,
                                    policy.ms)
    assert not findings, "; ".join(findings)
