"""LDAP logins: every domain whose users log in through LDAP has an LDAP configuration of its own
([CS-CODE], [CSC-WIKI] in the README's Sources)."""
from stackaudit.catalog import check
from stackaudit.rules import ldap_link


@check("MS-LDAP-DOMAIN-LINK", reads=("users", "ldap_configurations", "domains"))
def test_ldap_domain_link(cloud, policy):
    """Every domain with users whose source is LDAP, and every domain the policy's ldap.domains names,
    has an LDAP configuration of its own (listLdapConfigurations domainid=<id>), without which its
    LDAP users cannot log in."""
    facts = cloud.facts
    findings = ldap_link.ldap_link_findings(facts.users, facts.ldap_configurations, facts.domains, policy.ldap.domains)
    assert not findings, "; ".join(findings)
