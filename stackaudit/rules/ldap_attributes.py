"""MS-LDAP-ATTRIBUTES: each LDAP-served domain's settings
name a base DN, a bind account, and the attributes of its directory's profile.

The settings are CloudStack's LdapConfiguration ConfigKeys, all of scope Domain: a domain's own value,
else the global one (ConfigKey.valueIn). With neither ldap.bind.principal nor ldap.bind.password
CloudStack binds anonymously (getAuthentication returns "none"); both are category Secure and come
back encrypted from the API, so only their presence is judged. ldap.provider is read as CloudStack
reads it (upper-cased to LdapUserManager.Provider; anything else is OPENLDAP). Apache CloudStack,
plugins/user-authenticators/ldap/.../LdapConfiguration.java, https://github.com/apache/cloudstack.
"""
from __future__ import annotations

from stackaudit.errors import NotCheckable
from stackaudit.parsers.api_rows import ConfigurationRow, DomainRow, LdapConfigurationRow, ScopedObject
from stackaudit.rules.ldap_link import domain_by_name

PROVIDERS = {"OPENLDAP": "openldap", "MICROSOFTAD": "microsoftad"}
# CloudStack's own defaults (LdapConfiguration's ConfigKeys), and an Active Directory's attributes.
PROFILES = {
    "openldap": {"ldap.user.object": "inetOrgPerson", "ldap.username.attribute": "uid",
                 "ldap.email.attribute": "mail", "ldap.firstname.attribute": "givenname",
                 "ldap.lastname.attribute": "sn", "ldap.provider": "openldap"},
    "ad": {"ldap.user.object": "user", "ldap.username.attribute": "samaccountname",
           "ldap.email.attribute": "mail", "ldap.firstname.attribute": "givenname",
           "ldap.lastname.attribute": "sn", "ldap.provider": "microsoftad"},
}


def provider_as_read(value: str | None) -> str:
    return PROVIDERS.get((value or "").upper(), "openldap")


def domain_values(domain: ScopedObject | None, configurations: list[ConfigurationRow]) -> dict[str, str | None]:
    """Each setting's value in the domain: its own, else the global one (None: set nowhere)."""
    values = {c.name: c.value for c in configurations}
    if domain is not None:
        values.update({c.name: c.value for c in domain.settings if c.value is not None})
    return values


def ldap_attribute_findings(ldap_rows: list[LdapConfigurationRow], configurations: list[ConfigurationRow],
                            scoped_domains: dict[str, ScopedObject], wanted: dict[str, dict[str, str]]) -> list[str]:
    """`wanted`: domain id (or "" for the global settings) -> the setting values its profile wants."""
    findings = []
    for domain_id in sorted({r.domainid or "" for r in ldap_rows}):
        domain = scoped_domains.get(domain_id) if domain_id else None
        if domain_id and domain is None:
            raise NotCheckable(f"the LDAP configuration's domain {domain_id} has no settings listed "
                               "(listConfigurations domainid=<id>)")
        name = (domain.name if domain else None) or "global"
        values = domain_values(domain, configurations)
        problems = []
        if not (values.get("ldap.basedn") or "").strip():
            problems.append("ldap.basedn is empty")
        unset = [k for k in ("ldap.bind.principal", "ldap.bind.password") if not values.get(k)]
        if unset:
            problems.append(f"{' and '.join(unset)} not set" + (" (CloudStack binds anonymously)"
                                                                 if len(unset) == 2 else ""))
        for key, want in sorted(wanted.get(domain_id, {}).items()):
            have = provider_as_read(values.get(key)) if key == "ldap.provider" else values.get(key)
            if (have or "") != want:
                problems.append(f"{key} is {have!r}, the profile wants {want!r}")
        if problems:
            findings.append(f"domain {name}: {'; '.join(problems)}")
    return findings


def wanted_values(profiles: dict[str, str], overrides: dict[str, dict[str, str]],
                  domains: list[DomainRow]) -> dict[str, dict[str, str]]:
    """The policy's profiles and overrides by domain id ("" for "global"): a domain it names that
    listDomains does not list is not checked (the name is to be fixed)."""
    wanted: dict[str, dict[str, str]] = {}
    for name, values in [*((n, PROFILES[p]) for n, p in profiles.items()), *overrides.items()]:
        is_global = name.strip().lower() == "global"
        domain = None if is_global else domain_by_name(domains, name)
        if domain is None and not is_global:
            raise NotCheckable(f"the policy's ldap.profiles or ldap.overrides names {name!r}, which listDomains "
                               "does not list; fix the name there (a domain's name or path, or global)")
        wanted.setdefault(domain.id if domain else "", {}).update(values)     # overrides after profiles
    return wanted
