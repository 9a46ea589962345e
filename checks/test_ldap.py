"""LDAP logins: every domain whose users log in through LDAP has an LDAP configuration of its own, and
its settings name a base DN, a bind account and its directory's attributes ([CS-CODE],
[SHAPEBLUE-HOWTO], [CSC-WIKI] in docs/sources.md)."""
from stackaudit.catalog import check
from stackaudit.rules import ldap_attributes, ldap_link


@check("MS-LDAP-DOMAIN-LINK", reads=("users", "ldap_configurations", "domains"))
def test_ldap_domain_link(cloud, policy):
    """Every domain with users whose source is LDAP, and every domain the policy's ldap.domains names,
    has an LDAP configuration of its own (listLdapConfigurations domainid=<id>), without which its
    LDAP users cannot log in."""
    facts = cloud.facts
    findings = ldap_link.ldap_link_findings(facts.users, facts.ldap_configurations, facts.domains, policy.ldap.domains)
    assert not findings, "; ".join(findings)


@check("MS-LDAP-ATTRIBUTES", reads=("ldap_configurations", "configurations", "scoped_settings", "domains"))
def test_ldap_attributes(cloud, policy):
    """Every domain with an LDAP configuration (none: the global settings) has ldap.basedn set, binds
    with an account (ldap.bind.principal and ldap.bind.password set), and, where the policy gives its
    directory a profile (openldap, ad) or overrides, has those attribute and provider values."""
    facts = cloud.facts
    wanted = ldap_attributes.wanted_values(policy.ldap.profiles, policy.ldap.overrides, facts.domains)
    findings = ldap_attributes.ldap_attribute_findings(facts.ldap_configurations, facts.configurations,
                                                       facts.scoped_settings["domain"], wanted)
    assert not findings, "; ".join(findings)
