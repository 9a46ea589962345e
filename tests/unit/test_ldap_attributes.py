"""MS-LDAP-ATTRIBUTES' rule (not yet a registered check): base DN, bind account and profile values
per LDAP-served domain, a domain's own value over the global one."""
from __future__ import annotations

import pytest

from stackaudit.errors import NotCheckable
from stackaudit.parsers.api_rows import ConfigurationRow, LdapConfigurationRow, ScopedObject
from stackaudit.rules.ldap_attributes import PROFILES, ldap_attribute_findings, provider_as_read

GLOBAL = [ConfigurationRow("ldap.basedn", None), ConfigurationRow("ldap.bind.principal", None),
          ConfigurationRow("ldap.bind.password", None), ConfigurationRow("ldap.provider", "openldap"),
          ConfigurationRow("ldap.username.attribute", "uid"), ConfigurationRow("ldap.user.object", "inetOrgPerson")]
BOUND = (ConfigurationRow("ldap.basedn", "dc=lab,dc=example"), ConfigurationRow("ldap.bind.principal", "ENC(x)"),
         ConfigurationRow("ldap.bind.password", "ENC(y)"))


def test_a_domain_with_base_dn_and_bind_account_passes_and_its_own_values_win():
    rows = [LdapConfigurationRow("ldap", 636, "d1")]
    assert ldap_attribute_findings(rows, GLOBAL, {"d1": ScopedObject("Members", BOUND)}, {}) == []


def test_empty_base_dn_and_anonymous_bind_fail():
    rows = [LdapConfigurationRow("ldap", 636, "d1")]
    (finding,) = ldap_attribute_findings(rows, GLOBAL, {"d1": ScopedObject("Members", ())}, {})
    assert finding == ("domain Members: ldap.basedn is empty; ldap.bind.principal and ldap.bind.password not set "
                       "(CloudStack binds anonymously)")


def test_the_profile_is_compared_and_the_provider_read_as_cloudstack_reads_it():
    rows = [LdapConfigurationRow("ldap", 636, "d1")]
    settings = BOUND + (ConfigurationRow("ldap.provider", "MicrosoftAD"), ConfigurationRow("ldap.username.attribute", "uid"))
    (finding,) = ldap_attribute_findings(rows, GLOBAL, {"d1": ScopedObject("Members", settings)}, {"d1": PROFILES["ad"]})
    assert "ldap.username.attribute is 'uid', the profile wants 'samaccountname'" in finding
    assert "ldap.provider" not in finding
    assert provider_as_read("nonsense") == "openldap"


def test_a_global_configuration_is_judged_on_the_global_settings():
    (finding,) = ldap_attribute_findings([LdapConfigurationRow("ldap", 389)], GLOBAL, {}, {})
    assert finding.startswith("domain global: ldap.basedn is empty")
    with pytest.raises(NotCheckable, match="domain d9 has no settings listed"):
        ldap_attribute_findings([LdapConfigurationRow("ldap", 389, "d9")], GLOBAL, {}, {})


def test_the_policy_names_profiles_and_overrides_by_domain_name_path_or_global():
    from stackaudit.parsers.api_rows import DomainRow
    from stackaudit.rules.ldap_attributes import wanted_values
    domains = [DomainRow("d-root", "ROOT", "ROOT"), DomainRow("d-mem", "Members", "ROOT/Members")]
    wanted = wanted_values({"ROOT/Members": "ad", "global": "openldap"},
                           {"members": {"ldap.email.attribute": "mailLocalAddress"}}, domains)
    assert wanted["d-mem"] == {**PROFILES["ad"], "ldap.email.attribute": "mailLocalAddress"}
    assert wanted[""] == PROFILES["openldap"]
    with pytest.raises(NotCheckable, match="names 'Nowhere', which listDomains does not list"):
        wanted_values({"Nowhere": "ad"}, {}, domains)
