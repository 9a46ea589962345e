"""MS-LDAP-DOMAIN-LINK: every domain with LDAP users (and every domain the policy names) has an LDAP
configuration of its own.

CloudStack asks whether LDAP serves a domain with `listLdapConfigurations domainid=<id>`
(LdapManagerImpl.isLdapEnabled(domainId): configurations whose domain_id equals it; Apache CloudStack,
plugins/user-authenticators/ldap, https://github.com/apache/cloudstack), so a global configuration
does not serve a domain's users. Releases before domain-scoped configurations give no `domainid` at
all; where no configuration has one, which domain each serves cannot be told, and the result is not
checked rather than judged.
"""
from __future__ import annotations

from stackaudit.errors import NotCheckable
from stackaudit.parsers.api_rows import DomainRow, LdapConfigurationRow, UserRow

LDAP_SOURCE = "ldap"      # UserResponse: the source in lower case


def domain_by_name(domains: list[DomainRow], wanted: str) -> DomainRow | None:
    """The domain the policy names by its name or its path (ROOT/Members), compared case-insensitively."""
    wanted = wanted.strip().lower()
    return next((d for d in domains if wanted in (d.name.lower(), (d.path or "").lower())), None)


def ldap_link_findings(users: list[UserRow], ldap_rows: list[LdapConfigurationRow], domains: list[DomainRow],
                       policy_domains: list[str]) -> list[str]:
    names = {d.id: d.path or d.name for d in domains}
    ldap_users: dict[str, list[str]] = {}
    for user in users:
        if (user.usersource or "").lower() == LDAP_SOURCE and user.domainid:
            ldap_users.setdefault(user.domainid, []).append(user.username)
            names.setdefault(user.domainid, user.domain or user.domainid)
    wanted = dict.fromkeys(sorted(ldap_users))
    for name in policy_domains:
        domain = domain_by_name(domains, name)
        if domain is None:
            raise NotCheckable(f"the policy's ldap.domains names {name!r}, which listDomains does not list; "
                               "fix the name there (a domain's name or its path)")
        wanted[domain.id] = None
    if not wanted:
        return []
    if ldap_rows and not any(r.domainid for r in ldap_rows):
        raise NotCheckable("no LDAP configuration carries a domainid (a release before domain-scoped LDAP "
                           "configurations?): which domains they serve cannot be told")
    served = {r.domainid for r in ldap_rows if r.domainid}
    findings = []
    for domain_id in wanted:
        if domain_id in served:
            continue
        who = sorted(ldap_users.get(domain_id, []))
        name = names.get(domain_id, domain_id)
        empty = f"no LDAP configuration (listLdapConfigurations domainid={domain_id} is empty)"
        if who:
            shown = ", ".join(who[:3]) + (", ..." if len(who) > 3 else "")
            findings.append(f"domain {name} has {len(who)} LDAP user{'s' if len(who) != 1 else ''} ({shown}) "
                            f"but {empty}: they cannot log in")
        else:
            findings.append(f"domain {name}, named in the policy's ldap.domains, has {empty}")
    return findings
